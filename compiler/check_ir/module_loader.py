"""Reading ``.ll`` files: parse and verify with llvmlite, pick the functions.

IR that fails to parse or verify is the first way model-written IR fails, so
it is an answer (:class:`InvalidIR` → the ``invalid-ir`` verdict), not a crash.
A missing file is a user mistake and raises :class:`CompileError`.
"""
from __future__ import annotations

import os
import re
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
    """Parse and verify ``text``; raise InvalidIR with LLVM's first message.

    The message is a diagnostic, ``label:line:col: error: message`` (the line
    of the instruction the verifier names, when it can be found), on one line;
    :func:`invalid_ir_context` adds the source line and a caret for a terminal.
    """
    binding = llvm()
    try:
        module = binding.parse_assembly(text)
    except RuntimeError as exc:
        raise InvalidIR(_parser_message(str(exc), label)) from None
    try:
        module.verify()
    except RuntimeError as exc:
        raise InvalidIR(_verifier_message(str(exc), label, text)) from None
    return module


_LLVM_POSITION = re.compile(r"<string>:(\d+):(\d+):\s*error:\s*(.*)")
_REASON_POSITION = re.compile(r"^(.+?):(\d+):(\d+): error: (.*)$")


def _parser_message(message: str, label: str) -> str:
    for line in message.splitlines():
        found = _LLVM_POSITION.search(line)
        if found:
            return f"{label}:{found[1]}:{found[2]}: error: {found[3].strip()}"
    return f"{label}: error: {_first_line(message)}"


def _verifier_message(message: str, label: str, text: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return f"{label}: error: verifier: unknown LLVM error"
    what = lines[0]
    for culprit in lines[1:]:
        for number, source in enumerate(text.splitlines(), 1):
            if source.strip() == culprit:
                col = len(source) - len(source.lstrip()) + 1
                return f"{label}:{number}:{col}: error: {what}"
    return f"{label}: error: {'; '.join(lines[:2])}"


def invalid_ir_context(reason: str, paths) -> str:
    """The source line and a caret under the position ``reason`` names, or "".

    ``reason`` is an ``invalid-ir`` reason (``label:line:col: error: …``);
    ``paths`` are the files that were checked, whose labels may appear in it.
    """
    found = _REASON_POSITION.match(reason)
    if not found:
        return ""
    for path in paths:
        if label_for(path) != found[1]:
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return ""
        line, col = int(found[2]), int(found[3])
        if not 1 <= line <= len(lines):
            return ""
        text = lines[line - 1]
        prefix = "".join(c if c == "\t" else " " for c in text[:max(col - 1, 0)])
        return f"\n{text}\n{prefix}^"
    return ""


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
