"""``python -m bench check-ir``: the cost of IR translation checks.

1. Inputs/s of the JIT differential loop (both sides vectorised in their own
   libraries, a chunked compare) against calling both functions through
   ctypes once per input, on simple kernels, one core.
2. Time of the exhaustive 32-bit sweep of a unary i32 kernel.
3. SMT time per pair of the project's corpus (proof only, no native stage),
   with the verdict. Targets: ≥ 1 G inputs/s, every pair decided in < 1 s.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "compiler" / "check_ir" / "corpus"

KERNELS = {
    # name: (IR of @f, parameter widths, result width)
    "inc_i32": ("define i32 @f(i32 %x) {\n  %r = add i32 %x, 1\n  ret i32 %r\n}\n", (32,), 32),
    "mix_i16x2": ("define i16 @f(i16 %x, i16 %y) {\n  %a = mul i16 %x, 3\n  %b = xor i16 %a, %y\n"
                  "  %c = lshr i16 %b, 2\n  ret i16 %c\n}\n", (16, 16), 16),
    "clamp_i32": ("define i32 @f(i32 %x) {\n  %lo = call i32 @llvm.smax.i32(i32 %x, i32 0)\n"
                  "  %r = call i32 @llvm.smin.i32(i32 %lo, i32 255)\n  ret i32 %r\n}\n"
                  "declare i32 @llvm.smax.i32(i32, i32)\ndeclare i32 @llvm.smin.i32(i32, i32)\n",
                  (32,), 32),
}


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench check-ir", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="2^28 inputs per kernel instead of the full 2^32 sweep")
    parser.add_argument("--ctypes-inputs", type=int, default=200_000)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def jit_loop(text, widths, ret, count):
    """(inputs/s, seconds) of the native differential loop over ``count`` inputs."""
    from nsl.compiler.check_ir.differential import Sides, run_differential
    from nsl.compiler.check_ir.inputs import InputPlan
    from nsl.compiler.check_ir.jit_kernels import Signature

    sides = Sides(text, text, "f", "f", Signature(widths, ret))
    run = run_differential(sides, InputPlan("sweep", count, widths), budget_s=600)
    assert run.complete and not run.differences, run
    return run.tested / run.seconds, run.seconds


def ctypes_loop(text, widths, ret, count):
    """Inputs/s calling both functions through ctypes once per input."""
    import ctypes

    from nsl.compiler.jit.codegen import get_codegen

    codegen = get_codegen()
    types = {8: ctypes.c_uint8, 16: ctypes.c_uint16, 32: ctypes.c_uint32, 64: ctypes.c_uint64}
    functions = []
    for side in ("ref", "cand"):
        lib = codegen.create_library(f"bench_check_ir_{side}", signature=side)
        lib.add_ir(text)
        functions.append(lib.get_function("f", types[ret], *[types[w] for w in widths]))
    ref, cand = functions
    started = time.perf_counter()
    for i in range(count):
        args = [(i >> (16 * k)) & ((1 << w) - 1) for k, w in enumerate(widths)]
        if ref(*args) != cand(*args):
            raise AssertionError(args)
    return count / (time.perf_counter() - started)


def smt_corpus():
    """[(pair, verdict, seconds)] deciding every corpus pair by proof alone."""
    from nsl.compiler.check_ir.api import check_ir

    rows = []
    pairs = [(p, None) for p in sorted(CORPUS.glob("*.srctgt.ll"))]
    pairs += [(p, p.with_name(p.name.replace(".ref.ll", ".cand.ll")))
              for p in sorted(CORPUS.glob("*.ref.ll"))]
    for ref, cand in pairs:
        started = time.perf_counter()
        result = check_ir(str(ref), str(cand) if cand else None, native=False, timeout=20)
        rows.append((ref.name.replace(".srctgt.ll", "").replace(".ref.ll", ""),
                     result.verdict, time.perf_counter() - started))
    return rows


def main(argv=None) -> int:
    args = _parse(argv)
    figures = {"kernels": {}, "corpus": []}
    print("== differential loop, one core (inputs/s)")
    print(f"{'kernel':12} {'JIT loop':>12} {'ctypes/input':>13} {'speed-up':>9} {'sweep':>9}")
    for name, (text, widths, ret) in KERNELS.items():
        count = 1 << min(sum(widths), 28 if args.quick else 32)
        rate, seconds = jit_loop(text, widths, ret, count)
        slow = ctypes_loop(text, widths, ret, args.ctypes_inputs)
        figures["kernels"][name] = {"jit_inputs_per_s": rate, "ctypes_inputs_per_s": slow,
                                    "inputs": count, "sweep_s": seconds}
        print(f"{name:12} {rate / 1e9:10.2f} G {slow / 1e6:11.2f} M {rate / slow:8.0f}× "
              f"{seconds:8.2f}s  ({count} inputs)")
    print("\n== SMT per corpus pair (proof only)")
    rows = smt_corpus()
    for name, verdict, seconds in rows:
        figures["corpus"].append({"pair": name, "verdict": verdict, "seconds": seconds})
        print(f"{name:32} {verdict:15} {seconds * 1000:8.1f} ms")
    times = [s for _, _, s in rows]
    print(f"{len(rows)} pairs: median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms, all < 1 s: {max(times) < 1.0}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0
