"""Exceptions raised while executing a module (torch-free, so the facade can catch them cheaply)."""
from __future__ import annotations


class NslRuntimeError(Exception):
    """Base class of every error the runtime raises about a program or its data."""


class SourceError(NslRuntimeError):
    """An error at a source span of the program: ``origin``, the span of the IR node
    responsible (may be None); subclasses add their notes."""

    def __init__(self, message: str, origin=None):
        self.message = message
        self.origin = origin
        super().__init__(f"{origin}: error: {message}" if origin is not None else message)

    def notes(self) -> tuple:
        return ()

    def diagnostic(self):
        """This error as an ``nsl.lang.diagnostics.Diagnostic`` for uniform rendering."""
        from nsl.lang.diagnostics import error, note
        return error(self.message, self.origin, *(note(text) for text in self.notes()))


class NotAvailable(SourceError):
    """The program uses something this runtime cannot do (yet): a neural op, an unknown provenance."""


class DerivedValueError(SourceError):
    """A rule derived a value outside its column's range or enum type; ``origin`` is the
    head argument that computed it."""

    def notes(self) -> tuple:
        return ("a rule derives only values of its head columns' types: keep such rows out "
                "with a condition in the body, or declare the column with a wider type",)


class FactFileError(NslRuntimeError):
    """A bad row in a facts file; positions are 1-based (``col`` is a character column)."""

    def __init__(self, path: str, line: int, col: int, message: str):
        self.path, self.line, self.col, self.message = str(path), line, col, message
        super().__init__(f"{self.path}:{line}:{col}: error: {message}")

    def diagnostic(self):
        from nsl.lang.diagnostics import Span, error
        return error(self.message, Span(self.path, self.line, self.col, self.line, self.col))


class NoFixpointError(SourceError):
    """A recursive stratum still derived new facts after the iteration limit; ``origin``
    is a rule that derived some in the last iteration, ``example`` one of them (or None)."""

    def __init__(self, relations, limit: int, new_facts: int | None, example: str | None, origin=None):
        self.limit = limit
        names = ", ".join(f"'{r}'" for r in relations)
        self.detail = ("the last iteration still derived "
                       + (f"{new_facts} new fact{'s' * (new_facts != 1)}" if new_facts is not None
                          else "new facts")
                       + (f", e.g. {example}" if example else ""))
        super().__init__(f"the recursive rules for {names} did not reach a fixpoint within "
                         f"{limit} iteration{'s' * (limit != 1)} (the iteration limit)", origin)

    def notes(self) -> tuple:
        return (f"{self.detail}; rules that compute new values from their own results "
                "(such as x + 1) never stop: bound them with a condition in the body, "
                "or raise the limit if the recursion is just deep",)
