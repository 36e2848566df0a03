"""The VNNI knn kernels (vnni512, vnni256) run here with vpdpbusd emulated in
plain vector IR (``knn_emulation``): the emulation against the instruction's
definition, the emulated module against the real one, and the kernels at the
instruction's bounds. ``test_knn_kernels.py`` runs the emulated kernels through
every other kernel test."""
import ctypes

import numpy as np
import pytest

pytest.importorskip("llvmlite.binding")

from nsl.compiler.jit import get_codegen
from nsl.compiler.jit.knn_emulation import EMULATED, emulate_vpdpbusd, emulated_module
from nsl.compiler.jit.knn_ir import scan_module
from nsl.compiler.jit.knn_isa import ISAS
from nsl.compiler.jit.knn_kernels import block_functions
from tests.compiler.jit.test_knn_kernels import EMULATED_SUFFIX, _check, _problem

VNNI = ["vnni512", "vnni256"]
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


# -- the emulated instruction ------------------------------------------------------

def _probe(bits: int):
    """``probe(acc, a, b, out, n)``: out[i] = vpdpbusd(acc[i], a[i], b[i]) for n
    vectors, written with the real intrinsic, then emulated."""
    vec, nbytes = f"<{bits // 32} x i32>", bits // 8
    pointers = "\n".join(f"  %p_{arg} = getelementptr i8, ptr %{arg}, i64 %off" for arg in ("acc", "a", "b", "out"))
    text = get_codegen().ir_header() + f"""
declare {vec} @llvm.x86.avx512.vpdpbusd.{bits}({vec}, {vec}, {vec})
define void @probe(ptr %acc, ptr %a, ptr %b, ptr %out, i64 %n) {{
entry:
  br label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %off = mul i64 %i, {nbytes}
{pointers}
  %v_acc = load {vec}, ptr %p_acc, align 1
  %v_a = load {vec}, ptr %p_a, align 1
  %v_b = load {vec}, ptr %p_b, align 1
  %r = call {vec} @llvm.x86.avx512.vpdpbusd.{bits}({vec} %v_acc, {vec} %v_a, {vec} %v_b)
  store {vec} %r, ptr %p_out, align 1
  %next = add i64 %i, 1
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}}
"""
    library = get_codegen().create_library(f"vpdpbusd_probe_{bits}")
    library.add_ir(emulate_vpdpbusd(text))
    p = ctypes.c_void_p
    return library.get_function("probe", None, p, p, p, p, ctypes.c_int64)


def _vpdpbusd_exact(acc, a, b):
    """Intel's pseudocode without the wrap: per i32 lane, acc + Σ of its 4
    zext(a byte)·sext(b byte), in int64."""
    n, lanes = acc.shape
    products = a.reshape(n, lanes, 4).astype(np.int64) * b.reshape(n, lanes, 4).astype(np.int64)
    return acc.astype(np.int64) + products.sum(axis=2)


@pytest.mark.parametrize("bits", [512, 256])
def test_emulated_vpdpbusd_matches_the_instruction_definition(bits):
    rng = np.random.default_rng(bits)
    lanes, nbytes, n = bits // 32, bits // 8, 4000
    a = rng.integers(0, 256, (n, nbytes)).astype(np.uint8)
    b = rng.integers(-128, 128, (n, nbytes)).astype(np.int8)
    acc = rng.integers(INT32_MIN, INT32_MAX, (n, lanes), endpoint=True).astype(np.int32)
    # extremes: u8 0/255 against s8 -128/127, and accumulators at both ends of
    # i32 that the four products push past (the instruction wraps, no saturation)
    a[:1000] = rng.choice(np.array([0, 255, 1, 128, 127], np.uint8), (1000, nbytes))
    b[:1000] = rng.choice(np.array([-128, 127, -1, 0, 1], np.int8), (1000, nbytes))
    a[1000:1200] = 255
    b[1000:1100], b[1100:1200] = -128, 127    # lane sums -130560 and 129540, the bounds
    acc[1000:1100] = rng.integers(INT32_MIN, INT32_MIN + 200000, (100, lanes))
    acc[1100:1200] = rng.integers(INT32_MAX - 200000, INT32_MAX, (100, lanes), endpoint=True)
    acc[1200:1210], acc[1210:1220] = INT32_MIN, INT32_MAX
    out = np.zeros_like(acc)
    _probe(bits)(acc.ctypes.data, a.ctypes.data, b.ctypes.data, out.ctypes.data, n)
    exact = _vpdpbusd_exact(acc, a, b)
    assert (exact < INT32_MIN).any() and (exact > INT32_MAX).any()  # both wraps are tested
    np.testing.assert_array_equal(out, ((exact - INT32_MIN) % 2**32 + INT32_MIN).astype(np.int32))


# -- what runs is the real kernel ------------------------------------------------------

@pytest.mark.parametrize("isa_name", VNNI)
@pytest.mark.parametrize("stride", [64, 2112])
def test_emulated_ir_differs_from_the_real_one_only_in_vpdpbusd(isa_name, stride):
    isa = ISAS[isa_name]
    header = get_codegen().ir_header()
    real = scan_module(isa, stride, block_functions(isa), header)
    emulated = emulated_module(isa_name, stride, header)
    (intrinsic,) = (name for name in EMULATED if f"@{name}(" in real)
    stand_in = EMULATED[intrinsic]
    definition = emulated[emulated.index(f"define internal {isa.acc_type} @{stand_in}("):]
    body = emulated[:len(emulated) - len(definition)].rstrip("\n").split("\n")
    real_lines = real.rstrip("\n").split("\n")
    expected = [line for line in real_lines if not line.startswith(f"declare {isa.acc_type} @{intrinsic}(")]
    assert len(body) == len(expected) == len(real_lines) - 1
    calls = 0
    for got, want in zip(body, expected):
        if got != want:
            assert got == want.replace(f"@{intrinsic}(", f"@{stand_in}("), (got, want)
            calls += 1
    assert calls == real.count(f"call {isa.acc_type} @{intrinsic}(") > 0
    assert "llvm.x86.avx512" not in emulated
    # the stand-in has the intrinsic's type, and the whole module is valid IR
    assert f"declare {isa.acc_type} @{intrinsic}({', '.join([isa.acc_type] * 3)})" in real
    assert definition.startswith(f"define internal {isa.acc_type} @{stand_in}("
                                 f"{isa.acc_type} %acc, {isa.acc_type} %a, {isa.acc_type} %b)")
    get_codegen().optimise_ir(emulated)


# -- the kernels at the instruction's own bounds ----------------------------------------
# Everything else the VNNI kernels do is tested with the other variants, emulated,
# in test_knn_kernels.py.

@pytest.mark.parametrize("isa_name", VNNI)
@pytest.mark.parametrize("extreme", ["max", "min", "mixed"])
def test_extreme_bytes_and_queries(isa_name, extreme):
    # every product at vpdpbusd's bound: u8 255 or 0 (x = 127 / -128) against
    # q = 127 / -128 (a query byte knn_scan's contract excludes, the
    # instruction does not)
    rng = np.random.default_rng(8)
    codes, row_scale, row_bias, queries, query_scale = _problem(rng, 70, 2100, 6)
    if extreme == "mixed":
        codes[:] = rng.choice(np.array([0, 255], np.uint8), codes.shape)
        queries[:, :2100] = rng.choice(np.array([-128, 127], np.int8), (6, 2100))
    else:
        codes[:] = 255 if extreme == "max" else 0
        queries[:, :2100] = 127 if extreme == "max" else -128
        codes[::3, :2100] = 255 - codes[::3, :2100]  # some rows of the opposite sign
    _check(isa_name + EMULATED_SUFFIX, (codes, row_scale, row_bias, queries, query_scale), 9)
