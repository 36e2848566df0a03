"""Refinement queries (Alive2's definition) over the two encodings.

The candidate *refines* the reference when, for every input (each argument a
value or poison; arguments are never undef) and every choice the candidate
makes, some choice of the reference makes it allow the candidate's behaviour:
the reference has UB, or the candidate has no UB and, unless the reference
returns poison, returns the same non-poison value. The choices are the value
of each use of ``undef`` and of each ``freeze`` of poison: demonic in the
candidate, angelic in the reference, so the negated query is
``∃ inputs, candidate choices. ∀ reference choices. violation``.
Executions that run past the unroll bound on either side are excluded; the
caller learns separately whether any input reaches the bound.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import z3

from .interpreter import Outcome
from .ir_model import Function
from .smt_encode import EncodingTooLarge, encode_function, make_inputs


@dataclass(frozen=True)
class SolverCounterexample:
    inputs: tuple                   # int, or None for a poison input
    reference: Outcome
    candidate: Outcome
    check: str                      # value | poison | ub
    candidate_choices: tuple = ()   # (key, value) of the candidate's freezes and undef uses


@dataclass(frozen=True)
class RefinementResult:
    status: str                     # holds | fails | unknown
    counterexample: SolverCounterexample | None = None
    bound_reached: bool = False     # some execution of either side hits the bound
    has_loops: bool = False
    reason: str = ""


def _outcome(model, enc) -> Outcome:
    if z3.is_true(model.eval(enc.ub, model_completion=True)):
        return Outcome("ub")
    if z3.is_true(model.eval(enc.poison, model_completion=True)):
        return Outcome("poison")
    if enc.value is None:
        return Outcome("value", None)
    return Outcome("value", model.eval(enc.value, model_completion=True).as_long())


def _check(solver: z3.Solver, timeout_ms: int):
    solver.set("timeout", max(1, int(timeout_ms)))
    return solver.check()


def _reconfirm(body, model, values, poisons, cand_choices, timeout_ms) -> str:
    """Re-ask the universal half of a counterexample without quantifiers: with the
    inputs and the candidate's choices fixed to the model's, no choice of the
    reference may avoid the violation. An empty string when confirmed."""
    pins = [var == model.eval(var, model_completion=True)
            for var in [*values, *poisons, *(v for _, v in cand_choices)]]
    solver = z3.Solver()
    solver.add(*pins, z3.Not(body))
    if timeout_ms < 1:
        return "solver: no time left to re-confirm a counterexample that rests on undef or freeze"
    verdict = _check(solver, timeout_ms)
    if verdict == z3.unsat:
        return ""
    if verdict == z3.sat:
        return ("internal disagreement: a choice of the reference's undef or freeze values "
                "allows the solver's counterexample")
    return f"solver: {solver.reason_unknown()} while re-confirming a counterexample"


def check_refinement(reference: Function, candidate: Function, unroll: int,
                     timeout_ms: int) -> RefinementResult:
    """Does ``candidate`` refine ``reference``? Proof, counterexample or unknown."""
    values, poisons = make_inputs(reference)
    try:
        ref = encode_function(reference, values, poisons, unroll, "ref")
        cand = encode_function(candidate, values, poisons, unroll, "cand")
    except EncodingTooLarge as exc:
        return RefinementResult("unknown", has_loops=True, reason=f"unrolled graph too large: {exc}")
    has_loops = ref.has_loops or cand.has_loops
    differs = z3.BoolVal(False)
    if ref.value is not None and cand.value is not None:
        differs = ref.value != cand.value
    violation = z3.And(z3.Not(ref.cut), z3.Not(cand.cut), z3.Not(ref.ub),
                       z3.Or(cand.ub, z3.And(z3.Not(ref.poison), z3.Or(cand.poison, differs))))
    body = violation
    ref_choices = [var for _, var in ref.choices]
    if ref_choices:
        violation = z3.ForAll(ref_choices, violation)
    solver = z3.Solver()
    solver.add(violation)
    started = time.monotonic()
    verdict = _check(solver, timeout_ms)
    if verdict == z3.unknown:
        return RefinementResult("unknown", has_loops=has_loops,
                                reason=f"solver: {solver.reason_unknown()}")
    if verdict == z3.sat:
        model = solver.model()
        inputs = tuple(None if z3.is_true(model.eval(p, model_completion=True))
                       else model.eval(v, model_completion=True).as_long()
                       for v, p in zip(values, poisons))
        # The reference's quantified choices are absent from the model, so
        # completion reads them as 0 — as the interpreter does; any choice fails
        # (re-asked below without the quantifier).
        ref_out, cand_out = _outcome(model, ref), _outcome(model, cand)
        check = "ub" if cand_out.kind == "ub" else "poison" if cand_out.kind == "poison" else "value"
        choices = tuple((where, model.eval(var, model_completion=True).as_long())
                        for where, var in cand.choices)
        if ref_choices:
            left = timeout_ms - (time.monotonic() - started) * 1000
            doubt = _reconfirm(body, model, values, poisons, cand.choices, left)
            if doubt:
                return RefinementResult("unknown", has_loops=has_loops, reason=doubt)
        return RefinementResult("fails", SolverCounterexample(inputs, ref_out, cand_out, check, choices),
                                has_loops=has_loops)
    bound_reached = False
    if has_loops:
        probe = z3.Solver()
        probe.add(z3.Or(ref.cut, cand.cut))
        bound_reached = _check(probe, timeout_ms) != z3.unsat
    return RefinementResult("holds", bound_reached=bound_reached, has_loops=has_loops)

