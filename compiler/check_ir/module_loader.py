"""Reading ``.ll`` files: parse and verify with llvmlite, pick the functions.

IR that fails to parse or verify is the first way model-written IR fails, so
it is an answer (:class:`InvalidIR` → the ``invalid-ir`` verdict), not a crash.
A missing file is a user mistake and raises :class:`CompileError`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from nsl.lang.diagnostics import CompileError, Span, error


class InvalidIR(Exception):
    """The IR does not parse or verify, or the pair cannot be matched up."""


_initialised = False


def llvm():
    """llvmlite.binding with the native target initialised once per process."""
    global _initialised
    import llvmlite.binding as binding
    if not _initialised:
        binding.initialize_native_target()
        binding.initialize_native_asmprinter()
        _initialised = True
    return binding


def read_ir_file(path: str) -> str:
    """The text of ``path``; a missing or unreadable file is a CompileError."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        raise CompileError([error("no such file", Span.unknown(path))]) from None
    except IsADirectoryError:
        raise CompileError([error("is a directory, not an .ll file", Span.unknown(path))]) from None
    except OSError as exc:
        raise CompileError([error(f"cannot read: {exc.strerror}", Span.unknown(path))]) from None


def parse_module(text: str, label: str):
    """Parse and verify ``text``; raise InvalidIR with LLVM's first message."""
    binding = llvm()
    try:
        module = binding.parse_assembly(text)
    except RuntimeError as exc:
        raise InvalidIR(f"{label}: {_first_line(str(exc))}") from None
    try:
        module.verify()
    except RuntimeError as exc:
        raise InvalidIR(f"{label}: verifier: {_first_line(str(exc))}") from None
    return module


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return "; ".join(lines[:2]) if lines else "unknown LLVM error"


def defined_functions(module) -> list:
    return [f for f in module.functions if not f.is_declaration]


@dataclass(frozen=True)
class SelectedPair:
    """The reference and candidate functions, with the modules that own them."""
    reference_module: object
    candidate_module: object
    reference_name: str
    candidate_name: str


def select_pair(ref_module, cand_module, function: str | None, same_file: bool,
                ref_label: str, cand_label: str) -> SelectedPair:
    """Choose which function of each module to compare.

    ``same_file``: one module holding ``@src`` and ``@tgt`` (Alive2's
    ``.srctgt.ll`` convention). Otherwise ``function`` names the function in
    both modules, or may be left out when each defines exactly one.
    """
    if same_file:
        names = {f.name for f in defined_functions(ref_module)}
        if not {"src", "tgt"} <= names:
            raise InvalidIR(f"{ref_label}: a single file must define @src and @tgt")
        return SelectedPair(ref_module, cand_module, "src", "tgt")
    if function is not None:
        for module, label in ((ref_module, ref_label), (cand_module, cand_label)):
            if function not in {f.name for f in defined_functions(module)}:
                raise InvalidIR(f"{label}: no definition of @{function}")
        return SelectedPair(ref_module, cand_module, function, function)
    chosen = []
    for module, label in ((ref_module, ref_label), (cand_module, cand_label)):
        defs = defined_functions(module)
        if len(defs) != 1:
            listed = ", ".join("@" + f.name for f in defs) or "none"
            raise InvalidIR(f"{label}: defines {len(defs)} functions ({listed}); "
                            "name one with --function")
        chosen.append(defs[0].name)
    return SelectedPair(ref_module, cand_module, chosen[0], chosen[1])


def is_srctgt(path: str, text: str) -> bool:
    """Whether a lone file follows the ``@src``/``@tgt`` convention."""
    return path.endswith(".srctgt.ll") or ("@src(" in text and "@tgt(" in text)


def label_for(path: str) -> str:
    return os.path.basename(path) or path
