"""Exceptions raised while executing a module (torch-free, so the facade can catch them cheaply)."""
from __future__ import annotations


class NslRuntimeError(Exception):
    """Base class of every error the runtime raises about a program or its data."""


class NotAvailable(NslRuntimeError):
    """The program uses something this runtime cannot do (yet): a neural op, an unknown provenance.

    ``origin`` is the source span of the IR node responsible (may be None).
    """

    def __init__(self, message: str, origin=None):
        self.message = message
        self.origin = origin
        super().__init__(f"{origin}: error: {message}" if origin is not None else message)

    def diagnostic(self):
        """This error as an ``nsl.lang.diagnostics.Diagnostic`` for uniform rendering."""
        from nsl.lang.diagnostics import error
        return error(self.message, self.origin)


class DerivedValueError(NslRuntimeError):
    """A rule derived a value outside its column's range or enum type; ``origin`` is the
    head argument that computed it (may be None)."""

    def __init__(self, message: str, origin=None):
        self.message = message
        self.origin = origin
        super().__init__(f"{origin}: error: {message}" if origin is not None else message)

    def diagnostic(self):
        from nsl.lang.diagnostics import error, note
        return error(self.message, self.origin,
                     note("a rule derives only values of its head columns' types: keep such rows out "
                          "with a condition in the body, or declare the column with a wider type"))


class FactFileError(NslRuntimeError):
    """A bad row in a facts file; positions are 1-based (``col`` is a character column)."""

    def __init__(self, path: str, line: int, col: int, message: str):
        self.path, self.line, self.col, self.message = str(path), line, col, message
        super().__init__(f"{self.path}:{line}:{col}: error: {message}")

    def diagnostic(self):
        from nsl.lang.diagnostics import Span, error
        return error(self.message, Span(self.path, self.line, self.col, self.line, self.col))
