"""The codegen/library split: compile, cache, dump, isolation between libraries."""
import ctypes

import pytest

pytest.importorskip("llvmlite")

from nsl.compiler.jit import get_codegen

ADD = """define i32 @f(i32 %x) {
  %y = add i32 %x, {c}
  ret i32 %y
}
"""


def _library(constant, name="add"):
    cg = get_codegen()
    return cg.create_library(name, signature="i32(i32)").add_ir(
        cg.ir_header() + ADD.replace("{c}", str(constant)))


def test_codegen_is_one_per_process_and_describes_the_host():
    cg = get_codegen()
    assert cg is get_codegen()
    assert cg.cpu_name and cg.cpu_features
    assert all(not f.startswith(("+", "-")) for f in cg.enabled_features)


def test_library_compiles_and_returns_a_callable():
    f = _library(1).get_function("f", ctypes.c_int32, ctypes.c_int32)
    assert f(41) == 42


def test_same_ir_is_served_from_the_cache():
    first = _library(7).finalize()
    second = _library(7).finalize()
    assert second.from_cache
    assert second.get_pointer("f") == first.get_pointer("f")


def test_two_libraries_may_define_the_same_symbol():
    a = _library(100).get_function("f", ctypes.c_int32, ctypes.c_int32)
    b = _library(200).get_function("f", ctypes.c_int32, ctypes.c_int32)
    assert (a(1), b(1)) == (101, 201)


def test_invalid_ir_is_rejected_at_finalize():
    cg = get_codegen()
    lib = cg.create_library("bad").add_ir("define i32 @f() { ret i64 0 }")
    with pytest.raises(RuntimeError):
        lib.finalize()


def test_missing_function_is_a_key_error():
    with pytest.raises(KeyError):
        _library(3).get_pointer("nope")


def test_dump_writes_ir_and_assembly(tmp_path, monkeypatch):
    monkeypatch.setenv("NSL_JIT_DUMP", str(tmp_path))
    _library(12345, name="dumped").finalize()
    assert "define" in (tmp_path / "dumped.ll").read_text()
    assert (tmp_path / "dumped.s").read_text().strip()


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("NSL_JIT_CACHE", str(tmp_path))
    _library(777).finalize()
    assert list(tmp_path.glob("*.o"))
    # A fresh process-level cache must reload the object from disk.
    cg = get_codegen()
    monkeypatch.setattr(cg, "_cache", {})
    again = _library(777)
    assert again.get_function("f", ctypes.c_int32, ctypes.c_int32)(0) == 777
    assert again.from_cache
