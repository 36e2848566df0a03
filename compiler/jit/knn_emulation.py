"""The VNNI knn kernels, run on a CPU without VNNI.

``vnni512`` and ``vnni256`` (``knn_isa``) call ``@llvm.x86.avx512.vpdpbusd``,
which only CPUs with AVX-512 VNNI / AVX-VNNI can execute. To test everything
else those kernels do (register blocks, remainders, the ``128·Σq`` bias
correction, the 16 → 8 lane fold, the fused top-k) on any x86 or other host,
:func:`emulated_module` takes the exact module the runtime compiles and
replaces only the intrinsic: its declaration becomes an internal function of
the same type written in plain vector IR, and every call is renamed to it.
Nothing else in the text changes, so what runs is the real kernel logic; only
the instruction itself is unverified (it needs a VNNI CPU).

The instruction, per i32 lane ``i`` (Intel SDM, VPDPBUSD; operands as in the
intrinsic ``vpdpbusd(acc, a, b)``, ``a`` unsigned bytes, ``b`` signed)::

    acc[i] + Σ_{k<4} zext(a.byte[4i+k]) · sext(b.byte[4i+k])     (mod 2^32)

Each product fits in i16 and the sum of four in i32, so computing them in i32
is exact; only the final accumulation wraps, as the (non-saturating)
instruction does.
"""
from __future__ import annotations

import threading

#: intrinsic name → the internal function replacing it (one per vector width)
EMULATED = {f"llvm.x86.avx512.vpdpbusd.{bits}": f"nsl_emulated_vpdpbusd_{bits}" for bits in (512, 256)}

_cache: dict[tuple[str, int], object] = {}
_lock = threading.Lock()


def vpdpbusd_definition(bits: int) -> str:
    """IR of ``@nsl_emulated_vpdpbusd_{bits}``: vpdpbusd's semantics, any target."""
    lanes, nbytes = bits // 32, bits // 8
    vec, wide = f"<{lanes} x i32>", f"<{nbytes} x i32>"
    # noinline: each call stays the stand-in for one instruction, and a kernel
    # (up to 16 accumulators × 32 unrolled chunks) compiles ~10× faster.
    lines = [f"define internal {vec} @nsl_emulated_vpdpbusd_{bits}({vec} %acc, {vec} %a, {vec} %b) "
             "noinline nounwind {",
             # x86 is little endian: byte 4i+k of the register is byte k of lane i
             f"  %a8 = bitcast {vec} %a to <{nbytes} x i8>",
             f"  %b8 = bitcast {vec} %b to <{nbytes} x i8>",
             f"  %au = zext <{nbytes} x i8> %a8 to {wide}",
             f"  %bs = sext <{nbytes} x i8> %b8 to {wide}",
             f"  %p = mul {wide} %au, %bs"]
    for k in range(4):
        picks = ", ".join(f"i32 {4 * i + k}" for i in range(lanes))
        lines.append(f"  %p{k} = shufflevector {wide} %p, {wide} poison, <{lanes} x i32> <{picks}>")
    lines += [f"  %s01 = add {vec} %p0, %p1",
              f"  %s23 = add {vec} %p2, %p3",
              f"  %s = add {vec} %s01, %s23",
              f"  %r = add {vec} %acc, %s",  # no nsw: wraps like the instruction
              f"  ret {vec} %r",
              "}"]
    return "\n".join(lines) + "\n"


def emulate_vpdpbusd(module_text: str) -> str:
    """``module_text`` with every vpdpbusd intrinsic declaration dropped, its
    calls renamed to an internal emulation, and that emulation appended."""
    used = [name for name in EMULATED if f"@{name}(" in module_text]
    kept = [line for line in module_text.split("\n")
            if not (line.lstrip().startswith("declare") and any(f"@{name}(" in line for name in used))]
    text = "\n".join(kept)
    for name in used:
        text = text.replace(f"@{name}(", f"@{EMULATED[name]}(")
    return text + "".join("\n" + vpdpbusd_definition(int(name.rsplit(".", 1)[1])) for name in used)


def emulated_module(isa_name: str, stride: int, header: str) -> str:
    """The runtime's scan module for ``isa_name`` and ``stride`` (exactly what
    ``knn_kernels`` compiles), with vpdpbusd emulated."""
    from nsl.compiler.jit.knn_ir import scan_module
    from nsl.compiler.jit.knn_isa import ISAS
    from nsl.compiler.jit.knn_kernels import block_functions

    isa = ISAS[isa_name]
    return emulate_vpdpbusd(scan_module(isa, stride, block_functions(isa), header))


def emulated_kernels(isa_name: str, stride: int):
    """``knn_kernels._ScanKernels`` of the VNNI variant ``isa_name`` for this
    stride, compiled for the host CPU with vpdpbusd emulated (cached); call
    ``.scan(codes, row_scale, row_bias, queries, query_scale, k, threads)``."""
    key = (isa_name, stride)
    with _lock:
        kernels = _cache.get(key)
        if kernels is None:
            from nsl.compiler.jit.codegen import get_codegen
            from nsl.compiler.jit.knn_ir import SIGNATURE
            from nsl.compiler.jit.knn_isa import ISAS
            from nsl.compiler.jit.knn_kernels import _ScanKernels

            codegen = get_codegen()
            library = codegen.create_library(f"knn_{isa_name}_emulated_s{stride}", signature=SIGNATURE)
            library.add_ir(emulated_module(isa_name, stride, codegen.ir_header()))
            kernels = _cache[key] = _ScanKernels(codegen, ISAS[isa_name], stride, library=library)
        return kernels
