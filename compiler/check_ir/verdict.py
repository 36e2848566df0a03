"""The answer of a translation check and its JSON form (the contract).

``proved`` is true when the verdict follows from LLVM's semantics — an SMT
proof, or a counterexample confirmed by the reference interpreter — and false
when it rests on native execution alone or the check is ``unknown``.
"""
from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("equivalent", "refines", "counterexample", "unknown", "invalid-ir")


@dataclass(frozen=True)
class Counterexample:
    inputs: tuple          # per argument: unsigned int, or "poison"
    reference: object      # unsigned int, "poison", "ub", "crash" or None (void)
    candidate: object
    check: str             # value | poison | ub

    def to_json(self) -> dict:
        return {"inputs": list(self.inputs), "reference": self.reference,
                "candidate": self.candidate, "check": self.check}


@dataclass(frozen=True)
class CheckIrResult:
    verdict: str
    counterexample: Counterexample | None = None
    bound: int | None = None
    tested: int = 0
    proved: bool = False
    reason: str | None = None
    reference_function: str | None = None
    candidate_function: str | None = None

    def __post_init__(self):
        assert self.verdict in VERDICTS, self.verdict

    def to_json(self) -> dict:
        """Exactly the keys of the ``nslc check-ir --json`` contract."""
        return {"verdict": self.verdict,
                "counterexample": self.counterexample.to_json() if self.counterexample else None,
                "bound": self.bound, "tested": self.tested, "proved": self.proved,
                "reason": self.reason}

    def render(self) -> str:
        """The human-readable report printed by ``nslc check-ir``."""
        names = ""
        if self.reference_function:
            names = f" (@{self.reference_function} vs @{self.candidate_function})"
        lines = [f"{self.verdict}{names}"]
        if self.counterexample is not None:
            cex = self.counterexample
            lines.append(f"  inputs:    {', '.join(str(v) for v in cex.inputs) or '(none)'}")
            lines.append(f"  reference: {cex.reference}")
            lines.append(f"  candidate: {cex.candidate}")
            lines.append(f"  check:     {cex.check}")
        if self.reason:
            lines.append(f"  reason:    {self.reason}")
        details = [f"tested on {self.tested} inputs", "proved" if self.proved else "not proved"]
        if self.bound is not None:
            details.append(f"loops unrolled to {self.bound}")
        lines.append("  " + "; ".join(details))
        return "\n".join(lines)
