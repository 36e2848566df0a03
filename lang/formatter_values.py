"""Constants printed as NSL source (shared by fmt and by `nslc run`'s output)."""
from __future__ import annotations

import json
import math


def format_value(value) -> str:
    """``value`` as NSL writes it. A tensor (anything with ``tolist``) prints as the nested
    list of its numbers, each a float in full (a float32 element's exact value), as a
    JSONL input file writes a tensor: no NSL literal holds a tensor, so this text is for
    reading, and it loses nothing (unlike torch's rounded, elided repr)."""
    if hasattr(value, "tolist"):  # torch or numpy, never imported here
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
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
