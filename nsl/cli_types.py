"""Argument types for nslc's options: bad values are usage errors with a short reason."""
from __future__ import annotations

import argparse
import math


def int_at_least(minimum: int):
    """An argparse type accepting integers ``>= minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text!r}")
        return value
    return parse


def positive_float(text: str) -> float:
    """An argparse type accepting numbers ``> 0``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type accepting a finite number of seconds ``> 0``."""
    value = positive_float(text)
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds: {text!r}")
    return value
