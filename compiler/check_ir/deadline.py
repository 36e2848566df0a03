"""The time limit of a whole check (``--timeout``), parsing and lifting included.

The stages that can look at a clock keep within the deadline themselves (the
differential worker stops its runs, z3 gets the time that is left). Parsing,
lifting and encoding cannot, so :func:`hard_deadline` also arms SIGALRM as a
backstop: ``HARD_GRACE_S`` after the deadline it raises :class:`CheckTimeout`
wherever the check is, and the caller answers ``unknown``.
"""
from __future__ import annotations

import contextlib
import contextvars
import signal
import sys
import threading
import time
from dataclasses import dataclass

# Past the deadline: the time the cooperative stages get to wind down (the
# differential worker is killed differential.GRACE_S after it) before the alarm.
HARD_GRACE_S = 1.0


class CheckTimeout(Exception):
    """The alarm of :func:`hard_deadline` went off."""


@dataclass
class Clock:
    """The deadline (``time.monotonic``) and what the check is doing now."""
    seconds: float
    deadline: float
    phase: str = "parsing and lifting the functions"


_CLOCK: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("check_ir_clock",
                                                                      default=None)


def current_clock() -> Clock | None:
    """The clock of the enclosing :func:`hard_deadline`, if any."""
    return _CLOCK.get()


def set_phase(phase: str) -> None:
    """Name what the check does now, for the reason of a timeout."""
    clock = _CLOCK.get()
    if clock is not None:
        clock.phase = phase


@contextlib.contextmanager
def hard_deadline(seconds: float):
    """Bound a check to ``seconds`` (plus ``HARD_GRACE_S`` for the alarm); yields the Clock.

    The alarm is armed only where that is possible: on the main thread, with no
    other SIGALRM handler or timer set. It repeats every 0.2 s until its
    exception gets through (Python swallows one raised inside a destructor).
    """
    clock = Clock(seconds, time.monotonic() + seconds)
    token = _CLOCK.set(clock)
    armed = (hasattr(signal, "setitimer")
             and threading.current_thread() is threading.main_thread()
             and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
             and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    previous_hook = sys.unraisablehook
    if armed:
        def expire(signum, frame):
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            raise CheckTimeout()

        def quiet(unraisable):  # the swallowed copies need no traceback
            if not isinstance(unraisable.exc_value, CheckTimeout):
                previous_hook(unraisable)

        sys.unraisablehook = quiet
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds + HARD_GRACE_S)
    try:
        yield clock
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            sys.unraisablehook = previous_hook
        _CLOCK.reset(token)


def timed_out_result(clock: Clock):
    """The ``unknown`` answer when the alarm interrupted a check."""
    from .verdict import CheckIrResult

    return CheckIrResult("unknown", reason=(
        f"timed out: the {clock.seconds:g} s time limit passed while {clock.phase}"))
