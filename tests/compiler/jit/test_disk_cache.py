"""The JIT's disk cache: on by default, keyed on everything that shapes the object
code, checked before LLVM loads it, and never a reason to fail or to run wrong code."""
import ctypes
import errno
import json
import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("llvmlite")

from nsl.compiler.jit import cache_eviction, codegen
from nsl.compiler.jit.codegen import Codegen, disk_cache_dir, get_codegen
from tests.helpers import REPO, nslc

# A loop the optimiser vectorises: its optimised IR differs from the input.
SUM = """define i64 @f(ptr %p, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %acc = phi i64 [ {c}, %entry ], [ %acc1, %loop ]
  %q = getelementptr i64, ptr %p, i64 %i
  %v = load i64, ptr %q
  %acc1 = add i64 %acc, %v
  %i1 = add i64 %i, 1
  %done = icmp eq i64 %i1, %n
  br i1 %done, label %exit, label %loop
exit:
  ret i64 %acc1
}
"""

# Run in a fresh interpreter: compile SUM, call it, report what came from where.
CHILD = """
import ctypes, hashlib, json, sys
from nsl.compiler.jit import get_codegen
cg = get_codegen()
lib = cg.create_library("sum", signature="i64(ptr,i64)")
lib.add_ir(cg.ir_header() + sys.argv[1]).finalize()
f = lib.get_function("f", ctypes.c_int64, ctypes.POINTER(ctypes.c_int64), ctypes.c_int64)
xs = (ctypes.c_int64 * 100)(*range(100))
print(json.dumps({"from_cache": lib.from_cache, "result": f(xs, 100),
                  "optimized_ir": hashlib.sha256(lib.optimized_ir.encode()).hexdigest()}))
"""


def _sum_ir(constant):
    return SUM.replace("{c}", str(constant))


def _library(constant, cg=None, signature="i64(ptr,i64)", name="sum"):
    cg = cg or get_codegen()
    return cg.create_library(name, signature=signature).add_ir(cg.ir_header() + _sum_ir(constant))


def _call(lib):
    f = lib.get_function("f", ctypes.c_int64, ctypes.POINTER(ctypes.c_int64), ctypes.c_int64)
    return f((ctypes.c_int64 * 10)(*range(10)), 10)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory, and a process whose in-memory cache is empty too."""
    root = tmp_path / "jit"
    monkeypatch.setenv("NSL_JIT_CACHE", str(root))
    monkeypatch.setattr(get_codegen(), "_cache", {})
    return root


def _forget(monkeypatch):
    """As if a new process started: only the disk cache remains."""
    monkeypatch.setattr(get_codegen(), "_cache", {})


def _run_child(constant, env):
    proc = subprocess.run([sys.executable, "-c", CHILD, _sum_ir(constant)], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


# -- where the cache lives -------------------------------------------------------------
def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("NSL_JIT_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk_cache_dir() == tmp_path / "xdg" / "nsl" / "jit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec wants absolute paths
    assert disk_cache_dir() == tmp_path / "home" / ".cache" / "nsl" / "jit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert disk_cache_dir() == tmp_path / "home" / ".cache" / "nsl" / "jit"
    monkeypatch.setenv("NSL_JIT_CACHE", "")  # empty is unset
    assert disk_cache_dir() == tmp_path / "home" / ".cache" / "nsl" / "jit"
    monkeypatch.setenv("NSL_JIT_CACHE", str(tmp_path / "mine"))
    assert disk_cache_dir() == tmp_path / "mine"
    for off in ("off", "OFF", "0", "false", "no"):
        monkeypatch.setenv("NSL_JIT_CACHE", off)
        assert disk_cache_dir() is None


def test_off_writes_nothing_anywhere(tmp_path, monkeypatch):
    for folder in ("home", "xdg", "cwd"):
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path / "cwd")
    for off in ("off", "0"):
        monkeypatch.setenv("NSL_JIT_CACHE", off)
        _forget(monkeypatch)
        assert _call(_library(1000)) == 1045
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cwd", "home", "xdg"]


def test_the_suite_never_uses_the_real_home():
    # tests/conftest.py points the cache at a per-session temporary directory
    root = disk_cache_dir()
    assert root is None or not str(root).startswith(os.path.expanduser("~/.cache"))


# -- across processes ------------------------------------------------------------------
def test_a_second_process_loads_the_machine_code_from_disk(tmp_path):
    env = dict(os.environ, NSL_JIT_CACHE=str(tmp_path / "jit"))
    cold = _run_child(5, env)
    warm = _run_child(5, env)
    assert (cold["from_cache"], warm["from_cache"]) == (False, True)
    assert cold["result"] == warm["result"] == 5 + sum(range(100))
    # the optimised IR is rebuilt on demand and is the text the cold compile produced
    assert cold["optimized_ir"] == warm["optimized_ir"]
    assert len(list((tmp_path / "jit").glob("*.o"))) == 1


def test_processes_filling_the_cache_at_once_agree(tmp_path):
    env = dict(os.environ, NSL_JIT_CACHE=str(tmp_path / "jit"))
    children = [subprocess.Popen([sys.executable, "-c", CHILD, _sum_ir(6)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
                for _ in range(3)]
    outputs = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    assert {json.loads(out)["result"] for out, _ in outputs} == {6 + sum(range(100))}
    entries = list((tmp_path / "jit").iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".o"  # no temporary file left behind
    assert codegen._read_entry(entries[0]) is not None
    assert _run_child(6, env)["from_cache"]


# -- a damaged entry never reaches LLVM ------------------------------------------------
def _truncate_half(data):
    return data[:len(data) // 2]


def _flip_last_byte(data):
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def _bad_magic(data):
    return b"X" + data[1:]


def _newer_format(data):
    return data[:8] + (codegen.CACHE_FORMAT + 1).to_bytes(4, "little") + data[12:]


def _raw_object(data):  # an entry written without a header (the format before 1)
    return data[codegen._HEADER.size:]


@pytest.mark.parametrize("damage", [_truncate_half, _flip_last_byte, _bad_magic, _newer_format,
                                    _raw_object, lambda data: data[:20], lambda data: b""],
                         ids=["truncated", "flipped-byte", "magic", "format", "headerless",
                              "short-header", "empty"])
def test_a_damaged_entry_is_recompiled_and_rewritten(cache, monkeypatch, damage):
    cold = _library(2000).finalize()
    assert _call(cold) == 2045 and not cold.from_cache
    (entry,) = cache.glob("*.o")
    good = entry.read_bytes()
    entry.write_bytes(damage(good))

    loaded = []
    real_load = get_codegen()._load_object
    monkeypatch.setattr(get_codegen(), "_load_object", lambda obj: loaded.append(obj) or real_load(obj))
    _forget(monkeypatch)
    again = _library(2000).finalize()
    assert _call(again) == 2045 and not again.from_cache
    assert loaded == [codegen._read_entry(entry)]  # only freshly emitted code was loaded
    assert entry.read_bytes() == good  # rewritten

    _forget(monkeypatch)
    assert _library(2000).finalize().from_cache


def test_an_entry_llvm_refuses_is_recompiled(cache, monkeypatch):
    _library(2100).finalize()
    cg = get_codegen()
    real_load = cg._load_object
    calls = []

    def refuse_first(obj):
        calls.append(obj)
        if len(calls) == 1:
            raise RuntimeError("object file is not valid")
        return real_load(obj)

    monkeypatch.setattr(cg, "_load_object", refuse_first)
    _forget(monkeypatch)
    lib = _library(2100).finalize()
    assert _call(lib) == 2145 and not lib.from_cache


# -- the key ---------------------------------------------------------------------------
def test_every_key_part_gets_its_own_entry(cache, monkeypatch):
    cg = get_codegen()

    def entries_after(lib):
        lib.finalize()
        return len(list(cache.glob("*.o")))

    assert entries_after(_library(3000)) == 1
    assert entries_after(_library(3000)) == 1  # the same key
    assert entries_after(_library(3001)) == 2  # the IR
    assert entries_after(_library(3000, signature="other")) == 3
    assert entries_after(_library(3000, cg=Codegen(opt_level=2))) == 4
    monkeypatch.setattr(cg, "llvm_version", (0, 0, 0))
    assert entries_after(_library(3000)) == 5
    monkeypatch.setattr(cg, "llvmlite_version", "0.0.0")
    assert entries_after(_library(3000)) == 6
    monkeypatch.setattr(cg, "cpu_features", cg.cpu_features + ",+madeup")
    assert entries_after(_library(3000)) == 7
    monkeypatch.setattr(codegen, "CACHE_FORMAT", codegen.CACHE_FORMAT + 1)
    assert entries_after(_library(3000)) == 8
    unoptimised = cg.create_library("sum", "i64(ptr,i64)", optimise=False).add_ir(
        cg.ir_header() + _sum_ir(3000))
    assert entries_after(unoptimised) == 9


def test_ir_and_dumps_are_the_same_from_disk(cache, tmp_path, monkeypatch):
    cold = _library(4000).finalize()
    cold_ir = cold.optimized_ir
    assert "vector" in cold_ir  # optimised, not the input
    _forget(monkeypatch)
    monkeypatch.setenv("NSL_JIT_DUMP", str(tmp_path / "dump"))
    warm = _library(4000, name="warm").finalize()
    assert warm.from_cache
    assert (tmp_path / "dump" / "warm.ll").read_text() == cold_ir
    assert (tmp_path / "dump" / "warm.s").read_text().strip()
    assert warm.optimized_ir == cold_ir
    assert _library(4000).finalize().optimized_ir == cold_ir  # adopted in-process


# -- a cache that cannot be used only costs time ---------------------------------------
def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("how", ["under-a-file", "entry-is-a-directory", "disk-full", "read-only"])
def test_an_unusable_cache_still_compiles_quietly(tmp_path, monkeypatch, capfd, how):
    root = tmp_path / "jit"
    if how == "under-a-file":
        tmp_path.joinpath("file").write_text("")
        root = tmp_path / "file" / "jit"
    elif how == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes to read-only directories")
        root.mkdir()
        root.chmod(0o500)
    monkeypatch.setenv("NSL_JIT_CACHE", str(root))
    cg = get_codegen()
    if how == "entry-is-a-directory":
        lib = _library(5000)
        key = cg.cache_key("\n;---\n".join(lib._ir_parts), lib.signature)
        codegen._disk_cache_path(key).mkdir(parents=True)
    elif how == "disk-full":
        monkeypatch.setattr(os, "replace", _disk_full)
    for _ in range(2):
        _forget(monkeypatch)
        lib = _library(5000).finalize()
        assert _call(lib) == 5045 and not lib.from_cache
    assert capfd.readouterr() == ("", "")
    if root.is_dir():
        assert not list(root.glob("*.tmp"))


# -- eviction: a size cap, least recently used entries first --------------------------
def _entry(lib):
    """The disk-cache file of ``lib``."""
    key = lib.codegen.cache_key("\n;---\n".join(lib._ir_parts), lib.signature)
    return codegen._disk_cache_path(key)


def _fill(constants):
    """One entry per constant, each used longer ago than the next (mtimes 100 s apart)."""
    paths = [_entry(_library(c).finalize()) for c in constants]
    for n, path in enumerate(paths):
        when = time.time() - 1000 + 100 * n
        os.utime(path, (when, when))
    return paths


def _cap(monkeypatch, entries):
    """Set ``NSL_JIT_CACHE_MAX_MB`` to room for ``entries`` entries of the size seen so far."""
    sizes = [p.stat().st_size for p in codegen.disk_cache_dir().glob("*.o")]
    monkeypatch.setenv("NSL_JIT_CACHE_MAX_MB", repr(entries * sum(sizes) / len(sizes) / cache_eviction.MB))


def _entries(cache):
    return set(cache.glob("*.o"))


def test_entries_beyond_the_cap_are_evicted_oldest_first(cache, monkeypatch):
    old = _fill([6000, 6001, 6002, 6003])  # the default cap, 256 MB, is far away
    assert _entries(cache) == set(old)
    _cap(monkeypatch, 3.5)
    new = _library(6004).finalize()
    assert _call(new) == 6049
    assert _entries(cache) == {old[2], old[3], _entry(new)}  # the two oldest went
    _forget(monkeypatch)
    assert not _library(6000).finalize().from_cache  # evicted is a miss, nothing worse
    assert _library(6003).finalize().from_cache


def test_a_hit_refreshes_recency(cache, monkeypatch):
    old = _fill([6100, 6101, 6102])
    _forget(monkeypatch)
    hit = _library(6100).finalize()
    assert hit.from_cache and _call(hit) == 6145
    assert old[0].stat().st_mtime > old[2].stat().st_mtime  # the oldest is now the newest
    _cap(monkeypatch, 3.5)
    new = _library(6103).finalize()
    assert _entries(cache) == {old[0], old[2], _entry(new)}  # 6101 was the least recently used


def test_the_entry_just_written_stays_even_alone_over_the_cap(cache, monkeypatch):
    _fill([6200, 6201])
    monkeypatch.setenv("NSL_JIT_CACHE_MAX_MB", "0.000001")  # one byte
    new = _library(6202).finalize()
    assert _entries(cache) == {_entry(new)}
    _forget(monkeypatch)
    assert _library(6202).finalize().from_cache


@pytest.mark.parametrize("when", ["before-the-read", "after-the-read"])
def test_an_entry_another_process_evicts_is_a_miss_or_a_hit_never_an_error(cache, monkeypatch,
                                                                          when):
    entry = _entry(_library(6300).finalize())
    real_read = codegen._read_entry

    def evicted_meanwhile(path):
        if when == "before-the-read":
            path.unlink()
        obj = real_read(path)
        if when == "after-the-read":
            path.unlink()  # then the hit's touch finds nothing
        return obj

    monkeypatch.setattr(codegen, "_read_entry", evicted_meanwhile)
    _forget(monkeypatch)
    lib = _library(6300).finalize()
    assert _call(lib) == 6345
    assert lib.from_cache == (when == "after-the-read")
    assert entry.is_file() == (when == "before-the-read")  # a miss writes the entry again


# Compile kernels 0..N-1 in a shuffled order, each twice (the second a hit unless
# another process evicted it meanwhile); print the results.
CHILD_MANY = """
import ctypes, json, random, sys
from nsl.compiler.jit import get_codegen
cg = get_codegen()
order = list(range(int(sys.argv[2])))
random.Random(int(sys.argv[3])).shuffle(order)
xs = (ctypes.c_int64 * 100)(*range(100))
results = {}
for c in order + order:
    cg._cache.clear()
    lib = cg.create_library("sum", signature="i64(ptr,i64)")
    lib.add_ir(cg.ir_header() + sys.argv[1].replace("{c}", str(c))).finalize()
    f = lib.get_function("f", ctypes.c_int64, ctypes.POINTER(ctypes.c_int64), ctypes.c_int64)
    results.setdefault(c, set()).add(f(xs, 100))
print(json.dumps({c: sorted(r) for c, r in results.items()}))
"""


def test_processes_evicting_each_others_entries_all_get_right_answers(tmp_path):
    # A cap of about two entries: nearly every write evicts what another process
    # is about to read, or is itself evicting.
    env = dict(os.environ, NSL_JIT_CACHE=str(tmp_path / "jit"), NSL_JIT_CACHE_MAX_MB="0.003")
    kernels = 6
    children = [subprocess.Popen([sys.executable, "-c", CHILD_MANY, SUM, str(kernels), str(seed)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 cwd=REPO, env=env)
                for seed in range(3)]
    outputs = [child.communicate(timeout=300) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    assert [err for _, err in outputs] == ["", "", ""]
    expected = {str(c): [c + sum(range(100))] for c in range(kernels)}
    assert [json.loads(out) for out, _ in outputs] == [expected] * 3
    left = list((tmp_path / "jit").iterdir())
    assert left and all(p.suffix == ".o" for p in left)  # no temporary file left behind
    assert sum(p.stat().st_size for p in left) <= max(0.003 * cache_eviction.MB,
                                                       max(p.stat().st_size for p in left))


def test_eviction_deletes_only_what_the_cache_wrote(tmp_path, monkeypatch):
    monkeypatch.setenv("NSL_JIT_CACHE_MAX_MB", repr(10 / cache_eviction.MB))  # ten bytes
    name = "ab" * 32 + ".o"
    files = {"mine.o": 1000, name: 100, "a" * 64 + ".o": 100, "a" * 64 + ".o.7.0badf00d.tmp": 100,
             "b" * 64 + ".o.8.0badf00d.tmp": 100, "c" * 64 + ".o.9.0badf00d.tmp": 100}
    for file, size in files.items():
        (tmp_path / file).write_bytes(b"x" * size)
    (tmp_path / ("d" * 64 + ".o")).mkdir()  # not a regular file
    stale = time.time() - cache_eviction.STALE_TMP_SECONDS - 60
    for file in ("b" * 64 + ".o.8.0badf00d.tmp", "c" * 64 + ".o.9.0badf00d.tmp"):
        os.utime(tmp_path / file, (stale, stale))
    evicted = cache_eviction.evict(tmp_path, keep=tmp_path / name)
    assert evicted == [tmp_path / ("a" * 64 + ".o")]
    # kept: a file of someone else's, the entry just written (over the cap alone),
    # a temporary a writer is filling now, the directory
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["mine.o", name, "a" * 64 + ".o.7.0badf00d.tmp", "d" * 64 + ".o"])
    assert cache_eviction.evict(tmp_path / "missing") == []


def test_entries_another_process_evicts_first_are_no_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NSL_JIT_CACHE_MAX_MB", repr(150 / cache_eviction.MB))
    names = [c * 64 + ".o" for c in "abc"]
    for age, name in enumerate(reversed(names)):
        (tmp_path / name).write_bytes(b"x" * 100)
        os.utime(tmp_path / name, (1000 - age, 1000 - age))
    real_scandir = os.scandir

    class GoneAfterStat(list):  # listed and stat'ed, then evicted by someone else
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def scandir(path):
        with real_scandir(path) as listing:
            items = GoneAfterStat(listing)
        for item in items:
            item.stat(follow_symlinks=False)  # DirEntry caches it
            os.unlink(item.path)
        return items

    monkeypatch.setattr(cache_eviction.os, "scandir", scandir)
    assert cache_eviction.evict(tmp_path) == [tmp_path / names[0], tmp_path / names[1]]
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("value, cap", [
    (None, 256 << 20), ("", 256 << 20), ("64", 64 << 20), ("0.5", 1 << 19), (" 8 ", 8 << 20),
    ("0", None), ("inf", None), ("-1", 256 << 20), ("nan", 256 << 20), ("lots", 256 << 20)])
def test_the_cap_follows_the_environment(monkeypatch, value, cap):
    if value is None:
        monkeypatch.delenv("NSL_JIT_CACHE_MAX_MB", raising=False)
    else:
        monkeypatch.setenv("NSL_JIT_CACHE_MAX_MB", value)
    assert cache_eviction.max_bytes() == cap


def test_no_cap_evicts_nothing(cache, monkeypatch):
    old = _fill([6400, 6401])
    monkeypatch.setenv("NSL_JIT_CACHE_MAX_MB", "0")
    new = _library(6402).finalize()
    assert _entries(cache) == {*old, _entry(new)}


# -- the CLI ---------------------------------------------------------------------------
TC = """edge(1, 2). edge(2, 3). edge(3, 1).
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), edge(b, c).
"""


def test_emit_llvm_is_the_same_cold_and_warm(tmp_path, monkeypatch):
    monkeypatch.setenv("NSL_JIT_CACHE", str(tmp_path / "jit"))
    (tmp_path / "tc.nsl").write_text(TC)
    args = ("compile", "tc.nsl", "--emit", "llvm", "--verify", "--samples", "3")
    cold = nslc(*args, cwd=str(tmp_path))
    assert cold.returncode == 0, cold.stderr
    assert list((tmp_path / "jit").glob("*.o"))
    warm = nslc(*args, cwd=str(tmp_path))
    assert warm.returncode == 0, warm.stderr
    assert "define" in cold.stdout and warm.stdout == cold.stdout
