"""The llvmlite side of the JIT, split as numba splits it (``core/codegen.py``).

* :class:`Codegen` — one per process (:func:`get_codegen`). It owns the target
  machine, built for the host CPU's *name and features* so that LLVM emits
  AVX2 / AVX-512 / VNNI code where the CPU has it, and one MCJIT engine into
  which every library's machine code is loaded.
* :class:`Library` — a unit of compilation: ``add_ir`` (text, any number of
  modules, linked together) → ``finalize`` (optimise with the new pass
  manager, verify, emit machine code) → ``get_pointer`` / ``get_function``.

Machine code is cached under (cache format, IR hash, signature, target triple,
CPU name, CPU features, opt level, llvmlite and LLVM versions): in-process, and
on disk so that the next process skips LLVM (as numba's ``cache=True``). The
disk cache lives in :func:`disk_cache_dir`: ``$NSL_JIT_CACHE`` if set, else
``$XDG_CACHE_HOME/nsl/jit`` or ``~/.cache/nsl/jit``; ``NSL_JIT_CACHE=off``
(or ``0``/``false``/``no``) switches it off. An entry is a header (magic,
format, length, sha256 of the object code) and the object code; it is checked
before LLVM sees it and recompiled and rewritten when it does not match. A
cache that cannot be read or written is skipped silently: it only costs time.
It is capped at ``$NSL_JIT_CACHE_MAX_MB`` megabytes (default 256), least
recently used entries evicted first (:mod:`.cache_eviction`).
``NSL_JIT_DUMP=dir`` writes the optimised LLVM IR (``NAME.ll``) and assembly
(``NAME.s``) of every library finalized, from IR or from the disk cache.

llvmlite is imported lazily: importing this module costs nothing, and
:func:`llvm_available` says whether the JIT can be used at all.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import struct
import threading
from pathlib import Path

from nsl.compiler.jit.cache_eviction import evict, touch

# Bump when the entry layout or anything that shapes the object code but is not
# in the key changes (target machine options: reloc, code model, the pipeline).
CACHE_FORMAT = 1
_MAGIC = b"NSLJITO\0"
_HEADER = struct.Struct("<8sIQ32s")  # magic, format, object length, sha256(object)
_OFF = frozenset({"off", "0", "false", "no"})

_codegen = None
_codegen_lock = threading.Lock()


def llvm_available() -> bool:
    """Whether llvmlite can be imported (the kernels fall back to torch/numpy if not)."""
    if os.environ.get("NSL_JIT_DISABLE"):
        return False
    try:
        import llvmlite.binding  # noqa: F401
    except ImportError:
        return False
    return True


def disk_cache_dir() -> Path | None:
    """The directory machine code is cached in across processes, None when off.

    ``$NSL_JIT_CACHE`` if set and not empty (``off``, ``0``, ``false``, ``no``:
    no disk cache), else ``$XDG_CACHE_HOME/nsl/jit`` (an absolute path, as the
    XDG spec requires) or ``~/.cache/nsl/jit``; None when there is no home."""
    value = os.environ.get("NSL_JIT_CACHE", "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return Path(value).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "nsl" / "jit"
    home = os.path.expanduser("~")
    if not os.path.isabs(home):  # no HOME and no passwd entry
        return None
    return Path(home) / ".cache" / "nsl" / "jit"


def get_codegen() -> "Codegen":
    """The per-process codegen (created on first use, thread-safe)."""
    global _codegen
    with _codegen_lock:
        if _codegen is None:
            _codegen = Codegen()
        return _codegen


class Codegen:
    """Owns the host target machine, the MCJIT engine and the machine-code cache."""

    def __init__(self, opt_level: int = 3):
        import llvmlite
        import llvmlite.binding as llvm

        self._llvm = llvm
        # llvm.initialize() is deprecated in llvmlite 0.50: the core is
        # initialised on import; only the native target and printer are needed.
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.initialize_native_asmparser()  # for IR with inline asm
        self.opt_level = opt_level
        self.llvmlite_version: str = llvmlite.__version__
        self.llvm_version: tuple = tuple(llvm.llvm_version_info)
        self.cpu_name: str = llvm.get_host_cpu_name()
        self.cpu_features: str = llvm.get_host_cpu_features().flatten()
        self.enabled_features = frozenset(
            f[1:] for f in self.cpu_features.split(",") if f.startswith("+"))
        self.target_machine = self._new_target_machine()
        self.triple = self.target_machine.triple
        self.data_layout = str(self.target_machine.target_data)
        self._cache: dict[tuple, "Library"] = {}
        self._lock = threading.Lock()

    def has_feature(self, name: str) -> bool:
        """True if the host CPU has the LLVM feature ``name`` (e.g. ``"avx512vnni"``)."""
        return name in self.enabled_features

    def create_library(self, name: str, signature: str = "", optimise: bool = True) -> "Library":
        """A new, empty library; ``signature`` joins the cache key (e.g. argument types).
        ``optimise=False`` compiles the IR as given (the self-check runs a kernel's
        unoptimised lowering and its optimised IR side by side)."""
        return Library(self, name, signature, optimise)

    def optimise_ir(self, ir_text: str) -> str:
        """``ir_text`` after the pipeline ``finalize`` runs (verified before and after)."""
        module = self._llvm.parse_assembly(ir_text)
        module.verify()
        self._optimize(module)
        module.verify()
        return str(module)

    def ir_header(self) -> str:
        """The ``target triple`` / ``datalayout`` lines for IR written by hand."""
        return (f'target triple = "{self.triple}"\n'
                f'target datalayout = "{self.data_layout}"\n')

    def cache_key(self, ir_text: str, signature: str) -> tuple:
        """Everything that makes two compilations' object code differ (or not load)."""
        digest = hashlib.sha256(ir_text.encode()).hexdigest()
        return (digest, signature, self.cpu_name, self.cpu_features, self.opt_level,
                self.triple, self.llvmlite_version, self.llvm_version, CACHE_FORMAT)

    # -- internals used by Library -------------------------------------------------
    def _optimize(self, module) -> None:
        llvm = self._llvm
        tuning = llvm.create_pipeline_tuning_options(speed_level=self.opt_level)
        tuning.loop_vectorization = True
        tuning.slp_vectorization = True
        tuning.loop_unrolling = True
        builder = llvm.create_pass_builder(self.target_machine, tuning)
        builder.getModulePassManager().run(module, builder)

    def _new_target_machine(self):
        target = self._llvm.Target.from_default_triple()
        return target.create_target_machine(
            cpu=self.cpu_name, features=self.cpu_features, opt=self.opt_level,
            reloc="default", codemodel="jitdefault", jit=True)

    def _load_object(self, obj: bytes):
        """A new engine holding ``obj``: one engine per library, so that two
        libraries may define the same symbol (a reference and a candidate ``@f``).
        An engine owns its target machine, hence a fresh one each time."""
        llvm = self._llvm
        empty = llvm.parse_assembly(f'target triple = "{self.triple}"\n')
        engine = llvm.create_mcjit_compiler(empty, self._new_target_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        return engine


# -- the disk cache: one file per key, a checked header, atomic writes ----------------
def _disk_cache_path(key: tuple) -> Path | None:
    root = disk_cache_dir()
    if root is None:
        return None
    return root / f"{hashlib.sha256(repr(key).encode()).hexdigest()}.o"


def _read_entry(path: Path) -> bytes | None:
    """The object code stored at ``path``; None when missing, unreadable, or not
    exactly what was written (truncated, corrupt, another format): LLVM may crash
    on a bad object file, so nothing unchecked reaches it."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < _HEADER.size:
        return None
    magic, fmt, length, digest = _HEADER.unpack_from(data)
    obj = data[_HEADER.size:]
    if (magic, fmt, length) != (_MAGIC, CACHE_FORMAT, len(obj)):
        return None
    return obj if hashlib.sha256(obj).digest() == digest else None


def _write_entry(path: Path, obj: bytes) -> None:
    """Store ``obj`` at ``path``, or nothing when the cache cannot be written (read-only,
    permission denied, disk full). A private temporary file renamed into place: a
    reader, in any process, sees the old entry, the new one or none, never a part.
    Then the least recently used entries go until the cache is within its cap."""
    entry = _HEADER.pack(_MAGIC, CACHE_FORMAT, len(obj), hashlib.sha256(obj).digest()) + obj
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(entry)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return
    evict(path.parent, keep=path)


class Library:
    """LLVM IR in, function pointers out. Finalize once; then only look up."""

    def __init__(self, codegen: Codegen, name: str, signature: str = "", optimise: bool = True):
        self.codegen = codegen
        self.name = name
        self.signature = signature
        self.optimise = optimise
        self._ir_parts: list[str] = []
        self._addresses: dict[str, int] = {}
        self._engine = None  # kept alive as long as the library: it owns the code
        self._finalized = False
        self._optimized_ir: str | None = None
        self._compiled_by: Library = self  # the library whose IR made the machine code
        self.from_cache = False

    def add_ir(self, text: str) -> "Library":
        """Add one LLVM IR module (text); modules of a library are linked together."""
        if self._finalized:
            raise RuntimeError(f"library {self.name!r} is already finalized")
        self._ir_parts.append(text)
        return self

    @property
    def unoptimised_ir(self) -> str:
        """The IR as added, before optimisation (modules linked when there are several)."""
        if len(self._ir_parts) == 1:
            return self._ir_parts[0]
        llvm = self.codegen._llvm
        module = llvm.parse_assembly(self._ir_parts[0])
        for part in self._ir_parts[1:]:
            module.link_in(llvm.parse_assembly(part))
        return str(module)

    @property
    def optimized_ir(self) -> str | None:
        """The IR the machine code was compiled from (optimised unless ``optimise=False``);
        None before ``finalize``. When the code came from the disk cache it is rebuilt
        from the stored IR on first use — the same text a cold compile produces."""
        if self._optimized_ir is None and self._finalized:
            source = self._compiled_by
            with self.codegen._lock:
                if source._optimized_ir is None:
                    source._optimized_ir = str(source._module())
            self._optimized_ir = source._optimized_ir
        return self._optimized_ir

    def finalize(self) -> "Library":
        """Optimise, verify and compile to machine code (or reuse a cached copy)."""
        if self._finalized:
            return self
        cg = self.codegen
        key = cg.cache_key("\n;---\n".join(self._ir_parts), self.signature)
        if not self.optimise:
            key += ("as-is",)
        with cg._lock:
            cached = cg._cache.get(key)
            if cached is None:
                self._compile(key)
                cg._cache[key] = self
            else:
                self._adopt(cached)
        self._finalized = True
        return self

    def get_pointer(self, fn_name: str) -> int:
        """The address of the compiled function ``fn_name`` (finalizes if needed)."""
        self.finalize()
        address = self._addresses.get(fn_name)
        if address is None:
            address = self._engine.get_function_address(fn_name)
            if not address:
                raise KeyError(f"library {self.name!r} has no function {fn_name!r}")
            self._addresses[fn_name] = address
        return address

    def get_function(self, fn_name: str, restype, *argtypes):
        """A ctypes callable for ``fn_name``; calling it releases the GIL."""
        return ctypes.CFUNCTYPE(restype, *argtypes)(self.get_pointer(fn_name))

    # -- internals -------------------------------------------------------------------
    def _adopt(self, other: "Library") -> None:
        self._engine = other._engine
        self._addresses = other._addresses
        self._compiled_by = other._compiled_by
        self._optimized_ir = other._optimized_ir
        self.from_cache = True

    def _module(self):
        """The linked, verified and (unless ``optimise=False``) optimised module."""
        cg = self.codegen
        llvm = cg._llvm
        module = llvm.parse_assembly(self._ir_parts[0])
        for part in self._ir_parts[1:]:
            module.link_in(llvm.parse_assembly(part))
        module.triple = cg.triple
        module.data_layout = cg.data_layout
        module.verify()
        if self.optimise:
            cg._optimize(module)
            module.verify()  # the optimiser must keep the module valid too
        return module

    def _compile(self, key: tuple) -> None:
        cg = self.codegen
        disk = _disk_cache_path(key)
        obj = _read_entry(disk) if disk is not None else None
        if obj is not None:
            try:
                self._engine = cg._load_object(obj)
            except Exception:  # noqa: BLE001 - an entry LLVM refuses is recompiled, never fatal
                self._engine = None
            if self._engine is not None:
                self.from_cache = True
                touch(disk)  # recently used: evicted last
                if os.environ.get("NSL_JIT_DUMP"):
                    self._dump(self._module())
                return
        module = self._module()
        self._optimized_ir = str(module)
        obj = cg.target_machine.emit_object(module)
        self._dump(module)
        if disk is not None:
            _write_entry(disk, obj)
        self._engine = cg._load_object(obj)

    def _dump(self, module) -> None:
        root = os.environ.get("NSL_JIT_DUMP")
        if not root:
            return
        self._optimized_ir = self._optimized_ir or str(module)
        out = Path(root)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{self.name}.ll").write_text(self._optimized_ir)
        (out / f"{self.name}.s").write_text(self.codegen.target_machine.emit_assembly(module))
