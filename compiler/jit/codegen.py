"""The llvmlite side of the JIT, split as numba splits it (``core/codegen.py``).

* :class:`Codegen` — one per process (:func:`get_codegen`). It owns the target
  machine, built for the host CPU's *name and features* so that LLVM emits
  AVX2 / AVX-512 / VNNI code where the CPU has it, and one MCJIT engine into
  which every library's machine code is loaded.
* :class:`Library` — a unit of compilation: ``add_ir`` (text, any number of
  modules, linked together) → ``finalize`` (optimise with the new pass
  manager, verify, emit machine code) → ``get_pointer`` / ``get_function``.

Machine code is cached in-process under (IR hash, signature, CPU name, CPU
features, opt level); with ``NSL_JIT_CACHE=dir`` the object code is also kept
on disk under the same key. ``NSL_JIT_DUMP=dir`` writes the optimised LLVM IR
(``NAME.ll``) and assembly (``NAME.s``) of every library finalized.

llvmlite is imported lazily: importing this module costs nothing, and
:func:`llvm_available` says whether the JIT can be used at all.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from pathlib import Path

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
        import llvmlite.binding as llvm

        self._llvm = llvm
        # llvm.initialize() is deprecated in llvmlite 0.50: the core is
        # initialised on import; only the native target and printer are needed.
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.initialize_native_asmparser()  # for IR with inline asm
        self.opt_level = opt_level
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
        digest = hashlib.sha256(ir_text.encode()).hexdigest()
        return (digest, signature, self.cpu_name, self.cpu_features, self.opt_level)

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


def _disk_cache_path(key: tuple) -> Path | None:
    root = os.environ.get("NSL_JIT_CACHE")
    if not root:
        return None
    name = hashlib.sha256(repr(key).encode()).hexdigest()
    return Path(root) / f"{name}.o"


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
        self.optimized_ir: str | None = None  # None when loaded from the disk cache
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
        self.optimized_ir = other.optimized_ir
        self.from_cache = True

    def _compile(self, key: tuple) -> None:
        cg = self.codegen
        llvm = cg._llvm
        disk = _disk_cache_path(key)
        if disk is not None and disk.is_file():
            self._engine = cg._load_object(disk.read_bytes())
            self.from_cache = True
            return
        module = llvm.parse_assembly(self._ir_parts[0])
        for part in self._ir_parts[1:]:
            module.link_in(llvm.parse_assembly(part))
        module.triple = cg.triple
        module.data_layout = cg.data_layout
        module.verify()
        if self.optimise:
            cg._optimize(module)
            module.verify()  # the optimiser must keep the module valid too
        self.optimized_ir = str(module)
        obj = cg.target_machine.emit_object(module)
        self._dump(module)
        if disk is not None:
            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(obj)
            os.replace(tmp, disk)  # atomic: a reader never sees half an object
        self._engine = cg._load_object(obj)

    def _dump(self, module) -> None:
        root = os.environ.get("NSL_JIT_DUMP")
        if not root:
            return
        out = Path(root)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{self.name}.ll").write_text(str(module))
        (out / f"{self.name}.s").write_text(self.codegen.target_machine.emit_assembly(module))
