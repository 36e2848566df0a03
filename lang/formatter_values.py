"""Constants printed as NSL source (shared by fmt and by `nslc run`'s output)."""
from __future__ import annotations

import json
import math


def format_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)  # not expressible as an NSL literal; shown for information
        text = repr(value)
        return text if any(c in text for c in ".e") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
