"""The child process of the differential stage: JIT both sides and run them.

Run as ``python -m nsl.compiler.check_ir.diff_worker`` with a JSON request as
the first line of stdin; it answers with JSON event lines on stdout (see
:mod:`differential`). The two libraries are compiled once; every run of JIT
code then happens in a forked child, so a SIGFPE or SIGSEGV raised by either
side, or a side that never returns, costs a fork rather than a recompilation:
the child leaves the index it is at in a shared page, and the worker turns the
crash into an event and goes on after the input (a reference that crashes has
UB there) or stops (a candidate that crashes where the reference does not).
"""
from __future__ import annotations

import ctypes
import json
import mmap
import os
import select
import signal
import sys
import time

import numpy as np

from .jit_kernels import Signature, driver_ir, side_wrapper_ir

SPAN = 1 << 22     # inputs per driver call: the deadline is checked between spans
CHUNK = 1 << 13    # inputs per map call: both output buffers stay in L1/L2
# Give up on a reference that crashes (has UB) on nearly every input: at least
# this many crashes, and more than 90% of the inputs run so far.
MIN_CRASHES_TO_GIVE_UP = 256

_MAP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)


def callable_module(module_text: str, function: str, reserved: set[str]) -> tuple[str, str]:
    """The module as the wrapper can link to it, and a suffix for the wrapper's names.

    ``@function`` gets external linkage (clang emits ``static`` functions as
    ``internal``, which a ``declare`` in the wrapper could not reach), and the
    suffix keeps the wrapper's symbols apart from the module's own.
    """
    from .module_loader import llvm

    binding = llvm()
    module = binding.parse_assembly(module_text)
    fn = module.get_function(function)
    if fn.linkage != binding.Linkage.external:
        fn.linkage = binding.Linkage.external
        fn.visibility = binding.Visibility.default
    names = {g.name for g in module.global_variables} | {f.name for f in module.functions}
    suffix, n = "", 0
    while any(f"{base}{suffix}" in names for base in reserved):
        n += 1
        suffix = f".{n}"
    return str(module), suffix


def _library(codegen, name, module_text, function, sig, kind, locate):
    text, suffix = callable_module(module_text, function,
                                   {"__nsl_map", "__nsl_locate", "__nsl_target"})
    lib = codegen.create_library(name)
    lib.add_ir(text)
    lib.add_ir(codegen.ir_header() + side_wrapper_ir(function, sig, kind, locate, suffix))
    lib.finalize()
    return lib, suffix


class _Emitter:
    """JSON event lines to the parent; ``ask`` waits for its one-word reply."""

    def emit(self, **event) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    def ask(self, **event) -> str:
        self.emit(**event)
        return (sys.stdin.readline() or "stop").strip()


class _Runner:
    """Runs JIT code in forked children, each bounded by the deadline."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.progress = mmap.mmap(-1, 16)         # shared with the children
        self.progress_addr = ctypes.addressof(ctypes.c_char.from_buffer(self.progress))

    def index(self) -> int:
        return int.from_bytes(self.progress[:8], "little", signed=True)

    def run(self, body):
        """('ok', payload) | ('crash', signal) | ('timeout', None)."""
        self.progress[:8] = (-1).to_bytes(8, "little", signed=True)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run, send the payload, leave without cleanup
            os.close(read_fd)
            try:
                data = json.dumps(body()).encode()
                os.write(write_fd, data)
                os._exit(0)
            except BaseException:  # noqa: BLE001 - the child must never return
                os._exit(3)
        os.close(write_fd)
        chunks, status = [], None
        try:
            while True:
                left = self.deadline - time.monotonic()
                ready, _, _ = select.select([read_fd], [], [], max(left, 0))
                if not ready:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return "timeout", None
                data = os.read(read_fd, 1 << 16)
                if not data:
                    break
                chunks.append(data)
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(read_fd)
        if os.WIFSIGNALED(status):
            return "crash", os.WTERMSIG(status)
        if os.WEXITSTATUS(status) != 0:
            return "error", os.WEXITSTATUS(status)
        return "ok", json.loads(b"".join(chunks) or b"null")


def main() -> int:
    request = json.loads(sys.stdin.readline())
    deadline = request["deadline"]
    out = _Emitter()
    from nsl.compiler.jit.codegen import get_codegen

    sig = Signature(tuple(request["params"]), request["ret"])
    codegen = get_codegen()
    mode = request["mode"]                        # sweep | vector
    kind = "sweep" if mode == "sweep" else "vec"
    libs = {}

    def library(side, locate):
        if (side, locate) not in libs:  # the locate loops only when something crashes
            libs[side, locate] = _library(codegen, f"check_ir_{side}", request[f"{side}_ir"],
                                          request[f"{side}_fn"], sig, kind, locate)
        return libs[side, locate]
    driver_lib = codegen.create_library("check_ir_driver", signature=str(sig))
    driver_lib.add_ir(codegen.ir_header() + driver_ir(sig))
    drive = driver_lib.get_function(
        "__nsl_drive", ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_void_p)
    maps = {side: library(side, False)[0].get_pointer("__nsl_map" + library(side, False)[1])
            for side in ("ref", "cand")}

    def locator(side):
        lib, suffix = library(side, True)
        return _MAP(lib.get_pointer("__nsl_locate" + suffix))
    cols_ptr = ctypes.c_void_p(0)
    if mode == "vector":
        columns = np.ascontiguousarray(np.load(request["inputs_path"]), dtype=np.uint64)
        pointers = (ctypes.c_void_p * max(len(columns), 1))(
            *[col.ctypes.data for col in columns])
        cols_ptr = ctypes.cast(pointers, ctypes.c_void_p)
    out_dtype = np.dtype(f"uint{sig.out_bits}")
    buf_a = np.zeros(CHUNK, dtype=out_dtype)
    buf_b = np.zeros(CHUNK, dtype=out_dtype)
    runner = _Runner(deadline)
    out.emit(event="ready")
    batch = max(int(request["batch"]), 1)
    lo, hi = request["lo"], request["hi"]
    at, crashes, stopped, detail = lo, 0, "complete", ""
    started = time.perf_counter()

    def segment(start, end):
        def body():
            found = drive(maps["ref"], maps["cand"], cols_ptr, start, end, CHUNK,
                          buf_a.ctypes.data, buf_b.ctypes.data, runner.progress_addr)
            if found >= end:
                return {"found": found}
            n = min(CHUNK, end - found)
            offsets = np.nonzero(buf_a[:n] != buf_b[:n])[0]
            items = [{"index": int(found + k), "reference": int(buf_a[k]),
                      "candidate": int(buf_b[k])} for k in offsets[:batch]]
            return {"found": found, "n": n, "items": items, "truncated": len(offsets) > batch}
        return body

    def locate(side, start, end):
        fn = locator(side)  # compiled here, in the worker, not in the child

        def body():
            fn(cols_ptr, start, end - start, runner.progress_addr)
            return None
        return body

    def reference_value(index):
        def body():
            _MAP(maps["ref"])(cols_ptr, index, 1, buf_a.ctypes.data)
            return int(buf_a[0])
        return body

    skip = None   # a located reference crash: the inputs before it still need comparing
    while at < hi:
        if at == skip:
            at, skip = at + 1, None
            continue
        if time.monotonic() >= deadline:
            stopped = "timeout"
            break
        span_end = min(hi, at + SPAN, skip if skip is not None else hi)
        status, payload = runner.run(segment(at, span_end))
        if status == "timeout":
            first = max(runner.index(), at)
            stopped = "timeout"
            detail = f"inputs {first}..{min(first + CHUNK, span_end) - 1}"
            break
        if status == "error":
            stopped, detail = "error", f"the test run exited with status {payload}"
            break
        if status == "ok":
            found = payload["found"]
            if found >= span_end:
                at = span_end
                continue
            if payload["items"]:
                reply = out.ask(event="mismatches", items=payload["items"])
                if reply != "go":
                    at = payload["items"][-1]["index"] + 1
                    stopped = "stopped"
                    break
            at = payload["items"][-1]["index"] + 1 if payload["truncated"] else found + payload["n"]
            continue
        # a side crashed somewhere in the chunk being run: find the input and the side
        chunk_start = max(runner.index(), at)
        chunk_end = min(chunk_start + CHUNK, span_end)
        culprit = None
        for side in ("ref", "cand"):
            status, _ = runner.run(locate(side, chunk_start, chunk_end))
            if status == "timeout":
                break
            if status == "crash" and chunk_start <= runner.index() < chunk_end:
                culprit = side, runner.index()
                break
        if status == "timeout":
            stopped, detail = "timeout", f"inputs {chunk_start}..{chunk_end - 1}"
            break
        if culprit is None:
            stopped = "unlocated"
            detail = (f"a side crashed (signal {payload}) on inputs {chunk_start}..{chunk_end - 1} "
                      "but neither crashes alone")
            break
        side, index = culprit
        if side == "ref":
            out.emit(event="reference_crash", index=index)
            crashes += 1
            skip = index
            if crashes >= MIN_CRASHES_TO_GIVE_UP and crashes * 10 > (index + 1 - lo) * 9:
                at = index + 1
                stopped = "reference_crashes"
                break
            continue
        status, value = runner.run(reference_value(index))
        out.emit(event="candidate_crash", index=index,
                 reference=(value if sig.ret else None) if status == "ok" else "unknown")
        at = index + 1
        stopped = "stopped"
        break
    out.emit(event="done", at=at, stopped=stopped, detail=detail,
             seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
