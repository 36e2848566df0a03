"""The child process of the differential stage: JIT both sides and run them.

Run as ``python -m nsl.compiler.check_ir.diff_worker`` with a JSON request on
stdin; it answers one JSON line on stdout. It lives in its own process so a
SIGFPE or SIGSEGV raised by either side kills only the worker: the parent
reads the index left in the shared progress file and turns the crash into a
verdict.
"""
from __future__ import annotations

import ctypes
import json
import mmap
import sys
import time

import numpy as np

from .jit_kernels import Signature, driver_ir, side_wrapper_ir

SPAN = 1 << 22     # inputs per driver call: the deadline is checked between spans
CHUNK = 1 << 13    # inputs per map call: both output buffers stay in L1/L2

_MAP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)


def _library(codegen, name, module_text, function, sig, kind, locate):
    lib = codegen.create_library(name)
    lib.add_ir(module_text)
    lib.add_ir(codegen.ir_header() + side_wrapper_ir(function, sig, kind, locate))
    return lib.finalize()


def _progress_map(path):
    handle = open(path, "r+b")
    return handle, mmap.mmap(handle.fileno(), 16)


def main() -> int:
    request = json.loads(sys.stdin.read())
    from nsl.compiler.jit.codegen import get_codegen

    sig = Signature(tuple(request["params"]), request["ret"])
    codegen = get_codegen()
    mode = request["mode"]                        # sweep | vector
    kind = "sweep" if mode == "sweep" else "vec"
    locate = request.get("locate")
    wanted = (locate,) if locate else ("ref", "cand")
    sides = {side: _library(codegen, f"check_ir_{side}", request[f"{side}_ir"],
                            request[f"{side}_fn"], sig, kind, bool(locate))
             for side in wanted}
    columns = None
    cols_ptr = ctypes.c_void_p(0)
    if mode == "vector":
        columns = np.ascontiguousarray(np.load(request["inputs_path"]), dtype=np.uint64)
        pointers = (ctypes.c_void_p * max(len(columns), 1))(
            *[col.ctypes.data for col in columns])
        cols_ptr = ctypes.cast(pointers, ctypes.c_void_p)
    _handle, progress = _progress_map(request["progress_path"])
    progress_addr = ctypes.addressof(ctypes.c_char.from_buffer(progress))
    lo, hi = request["lo"], request["hi"]

    if locate:
        # One side, one input at a time; a crash leaves the index in progress.
        fn = _MAP(sides[locate].get_pointer("__nsl_locate"))
        fn(cols_ptr, lo, hi - lo, progress_addr)
        print(json.dumps({"crashed": False}))
        return 0

    driver_lib = codegen.create_library("check_ir_driver", signature=str(sig))
    driver_lib.add_ir(codegen.ir_header() + driver_ir(sig))
    drive = driver_lib.get_function(
        "__nsl_drive", ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_void_p)
    ref_map = sides["ref"].get_pointer("__nsl_map")
    cand_map = sides["cand"].get_pointer("__nsl_map")
    out_dtype = np.dtype(f"uint{sig.out_bits}")
    buf_a = np.zeros(CHUNK, dtype=out_dtype)
    buf_b = np.zeros(CHUNK, dtype=out_dtype)
    deadline = time.monotonic() + request["budget_s"]
    mismatches, at = [], lo
    started = time.perf_counter()
    while at < hi and len(mismatches) < request["max_mismatches"]:
        if time.monotonic() > deadline:
            break
        span_end = min(hi, at + SPAN)
        found = drive(ref_map, cand_map, cols_ptr, at, span_end, CHUNK,
                      buf_a.ctypes.data, buf_b.ctypes.data, progress_addr)
        if found >= span_end:
            at = span_end
            continue
        n = min(CHUNK, span_end - found)
        for offset in np.nonzero(buf_a[:n] != buf_b[:n])[0][: request["max_mismatches"]]:
            mismatches.append({"index": int(found + offset), "reference": int(buf_a[offset]),
                               "candidate": int(buf_b[offset])})
        at = found + n
    elapsed = time.perf_counter() - started
    print(json.dumps({"crashed": False, "tested": at - lo, "mismatches": mismatches,
                      "seconds": elapsed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
