"""Compiled semi-naive fixpoint kernels (IR from ``fixpoint_ir``), one library per kernel shape.

``compile_fixpoint(kernel)`` returns ``(fixpoint, bits_to_keys)`` ctypes callables
taking raw addresses (``int``); the machine code is cached by the codegen under
the IR hash and host CPU, so a program's kernel is compiled once per process
(and once per machine with ``NSL_JIT_CACHE``). Callers check
:func:`nsl.compiler.jit.llvm_available` first and keep their own path otherwise.
"""
from __future__ import annotations

import ctypes
import threading

from nsl.compiler.jit.codegen import get_codegen
from nsl.compiler.jit.fixpoint_ir import kernel_ir
from nsl.compiler.jit.fixpoint_spec import Kernel

SIGNATURE = "i64(ptr,ptr,ptr);i64(ptr,i64,ptr)"
_compiled: dict = {}
_lock = threading.Lock()


def compile_fixpoint(kernel: Kernel):
    """``(fixpoint(P, A, S) -> int, bits_to_keys(bits, nwords, out) -> int)`` for ``kernel``."""
    with _lock:
        fns = _compiled.get(kernel)
        if fns is None:
            cg = get_codegen()
            lib = cg.create_library("nsl_fixpoint", SIGNATURE)
            lib.add_ir(cg.ir_header() + kernel_ir(kernel))
            lib.finalize()
            vp, i64 = ctypes.c_void_p, ctypes.c_int64
            fns = (lib.get_function("nsl_fixpoint", i64, vp, vp, vp),
                   lib.get_function("nsl_bits_to_keys", i64, vp, i64, vp), lib)
            _compiled[kernel] = fns
    return fns[0], fns[1]
