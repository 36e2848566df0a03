"""Every ISA variant compiles to the instructions it is meant to use, checked
on LLVM's assembly for a CPU that has them (this host may not run them)."""
import numpy as np
import pytest

llvm = pytest.importorskip("llvmlite.binding")

from nsl.compiler.jit import get_codegen
from nsl.compiler.jit.knn_ir import scan_module
from nsl.compiler.jit.knn_isa import ISAS, best_isa, supported_isas
from nsl.compiler.jit.knn_kernels import block_functions

EXPECTED = {
    "vnni512": ("icelake-server", "vpdpbusd\t%zmm"),
    "vnni256": ("alderlake", "vpdpbusd"),
    "avx2": ("znver3", "vpmovzxbw"),
    "avx2u": ("znver3", "vpunpcklbw"),
    "avx2mask": ("znver3", "vpmaddubsw"),
    "generic": ("x86-64", "pmaddwd"),
}


def _assembly(isa_name, cpu):
    isa = ISAS[isa_name]
    text = scan_module(isa, 128, block_functions(isa), get_codegen().ir_header())
    module = llvm.parse_assembly(text)
    module.verify()
    target = llvm.Target.from_default_triple()
    machine = target.create_target_machine(cpu=cpu, opt=3)
    return machine.emit_assembly(module)


@pytest.mark.parametrize("isa_name", sorted(EXPECTED))
def test_variant_uses_its_instructions(isa_name):
    if not get_codegen().triple.startswith("x86_64"):
        pytest.skip("x86 variants")
    cpu, mnemonic = EXPECTED[isa_name]
    assert mnemonic in _assembly(isa_name, cpu)


def test_variant_choice_follows_cpu_features():
    assert best_isa(frozenset({"avx512f", "avx512vnni", "avx512vl", "avx2"})) == "vnni512"
    assert best_isa(frozenset({"avxvnni", "avx2"})) == "vnni256"
    assert best_isa(frozenset({"avx2"})) == "avx2mask"
    assert best_isa(frozenset()) == "generic"
    assert "vnni512" not in supported_isas(frozenset({"avx2"}))


def test_avx2_query_permutation_matches_the_unpack_order():
    perm = ISAS["avx2u"].query_permutation(64)
    assert sorted(perm) == list(range(64))
    assert list(perm[:16]) == [*range(0, 8), *range(16, 24)]
    assert ISAS["generic"].query_permutation(64) is None
    assert isinstance(perm, np.ndarray)
