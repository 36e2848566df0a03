"""From two lifted functions to a verdict: differential stage, then SMT.

Cheap first: native execution finds most wrong translations in milliseconds.
Only the SMT stage may answer ``equivalent`` or ``refines``; every
counterexample is re-evaluated by the interpreter (and, when its inputs are
plain values, re-executed natively) before it is reported.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from .cfg import analyse_loops
from .deadline import current_clock, set_phase
from .differential import CRASH, Sides, reexecute, run_differential
from .inputs import exhaustive_plan, plan_inputs
from .interpreter import Outcome, evaluate
from .ir_model import Function
from .jit_kernels import Signature
from .refinement import check_refinement
from .verdict import CheckIrResult, Counterexample


@dataclass(frozen=True)
class Options:
    mode: str = "refine"       # refine | equiv
    unroll: int = 8
    samples: int = 100_000
    timeout: float = 20.0
    native: bool = True        # run the differential stage


def violates(ref: Outcome, cand: Outcome) -> str | None:
    """The refinement check ``cand`` fails against ``ref``, if any (value|poison|ub)."""
    if ref.kind in ("ub", "cut", "undecided") or cand.kind in ("cut", "undecided"):
        return None
    if cand.kind == "ub":
        return "ub"
    if ref.kind == "poison":
        return None
    if cand.kind == "poison":
        return "poison"
    return "value" if cand.value != ref.value else None


def _show_inputs(inputs):
    return tuple("poison" if v is None else v for v in inputs)


def _show(outcome: Outcome):
    return outcome.to_json()


def native_signature(ref: Function) -> Signature | None:
    """The signature the JIT loop can call, or None (wide or non-integer types)."""
    if any(not 1 <= p.width <= 64 for p in ref.params):
        return None
    if ref.ret_width > 64 or (ref.ret_width == 0 and ref.ret_type_text != "void"):
        return None
    return Signature(tuple(p.width for p in ref.params), ref.ret_width)


def _has_loops(fn: Function) -> bool:
    try:
        return analyse_loops(fn).has_loops
    except (KeyError, IndexError):
        return False


class Decider:
    def __init__(self, ref: Function, cand: Function, ref_ir: str, cand_ir: str, options: Options):
        self.ref, self.cand, self.options = ref, cand, options
        self.started = time.monotonic()
        self.clock = current_clock()   # set by hard_deadline: it includes parsing and lifting
        self.deadline = self.clock.deadline if self.clock else self.started + options.timeout
        self.in_subset = ref.in_subset and cand.in_subset
        sig = native_signature(ref)
        self.sides = Sides(ref_ir, cand_ir, ref.name, cand.name, sig) if sig else None
        self.tested = 0
        self.names = dict(reference_function=ref.name, candidate_function=cand.name)
        self.loop_bound = options.unroll if _has_loops(ref) or _has_loops(cand) else None
        self.undef_differences = 0   # native differences left to the solver (undef in the reference)

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.05)

    def result(self, verdict, **fields) -> CheckIrResult:
        fields.setdefault("bound", self.loop_bound)
        return CheckIrResult(verdict, tested=self.tested, **self.names, **fields)

    def decide(self) -> CheckIrResult:
        """Quick native pass, then the proof, then (if undecided) the exhaustive sweep."""
        notes = []
        runnable = self.options.native and self.sides is not None
        if self.sides is None:
            notes.append("not natively runnable (argument or result wider than 64 bits "
                         "or not an integer)")
        testing = ""   # how far native testing got: the last stage's account only
        timed_out = False
        if runnable:
            quick = plan_inputs(self.sides.signature.params, self.options.samples)
            set_phase("testing natively")
            found, testing, timed_out = self.differential(
                quick, self.left() * (0.3 if self.in_subset else 0.5))
            if found is not None:
                return found
        set_phase("proving with z3")
        verdict = self.smt() if self.in_subset else None
        if verdict is not None and verdict.verdict != "unknown":
            return verdict
        sweep = exhaustive_plan(self.sides.signature.params) if runnable else None
        # A quick pass cut by the clock means a side is slow or hangs: the
        # sweep would only meet the same wall again.
        if sweep is not None and sweep.count > quick.count and not timed_out:
            set_phase("testing every input natively")
            found, testing, _ = self.differential(sweep, self.left())
            if found is not None:
                return found
        if self.undef_differences:
            notes.append(f"{self.undef_differences} native difference(s) not confirmed: the "
                         "reference has undef, which may allow the candidate's value, and only "
                         "the solver decides that")
        if verdict is not None:  # the proof's unknown, with what testing added
            return self.result("unknown", bound=verdict.bound,
                               reason=_join(verdict.reason, *notes, testing))
        reasons = "; ".join(sorted(set(self.ref.unsupported + self.cand.unsupported)))
        return self.result("unknown", reason=_join(
            f"outside the SMT subset ({reasons})", *notes,
            testing or (f"tested on {self.tested} inputs without a difference"
                        if runnable else "")))

    # -- differential stage ----------------------------------------------------
    def differential(self, plan, budget):
        """Run ``plan`` natively: (counterexample or None, how far it got, timed out)."""
        confirmed = []

        def confirm(diff) -> bool:
            found = self.confirm_native(diff)
            if found is not None:
                confirmed.append(found)
            return found is not None

        run = run_differential(self.sides, plan, budget, confirm=confirm)
        self.tested += run.tested
        if confirmed:  # made during the run: the count of inputs tested is now known
            return dataclasses.replace(confirmed[0], tested=self.tested), "", run.timed_out
        account = run.describe(plan.count)
        if run.complete and plan.mode == "sweep":
            account = _join(f"all {plan.count} inputs tested natively" + (
                f", {run.dismissed} difference(s) dismissed (the reference is poison or "
                "undef there)" if run.dismissed else " without a difference"), account)
        return None, account, run.timed_out

    def confirm_native(self, diff):
        """A native difference becomes a counterexample only once confirmed."""
        if self.in_subset:
            if self.ref.has_undef:
                # The native code read undef as one value; the reference allows
                # the candidate's if any choice does: a question for the solver.
                self.undef_differences += 1
                return None
            ref_out, cand_out = evaluate(self.ref, diff.inputs), evaluate(self.cand, diff.inputs)
            check = violates(ref_out, cand_out)
            if check is None:  # e.g. the reference is poison there: any result is allowed
                return None
            return self.result("counterexample", proved=True, counterexample=Counterexample(
                diff.inputs, _show(ref_out), _show(cand_out), check))
        again = reexecute(self.sides, diff.inputs, min(self.left(), 30.0))
        if again is None or again.reference == CRASH:
            return None
        check = "ub" if again.candidate == CRASH else "value"
        return self.result("counterexample", proved=False, counterexample=Counterexample(
            diff.inputs, again.reference, again.candidate, check),
            reason="found and re-executed natively; the functions are outside the SMT subset, "
                   "so poison or UB in the reference at this input is not excluded")

    # -- SMT stage ---------------------------------------------------------------
    def smt(self) -> CheckIrResult:
        opts = self.options
        forward = check_refinement(self.ref, self.cand, opts.unroll, self.left() * 1000)
        bound = opts.unroll if forward.has_loops else None
        if forward.status == "unknown":
            return self.result("unknown", bound=bound, reason=forward.reason)
        if forward.status == "fails":
            return self.solver_counterexample(forward.counterexample, self.ref, self.cand,
                                              bound, swapped=False)
        if forward.bound_reached:
            return self.result("unknown", bound=bound, reason=(
                f"loop bound {opts.unroll} reached: the candidate refines the reference on every "
                f"execution that finishes within {opts.unroll} iterations of each loop"))
        backward = check_refinement(self.cand, self.ref, opts.unroll, self.left() * 1000)
        if backward.status == "holds" and not backward.bound_reached:
            return self.result("equivalent", bound=bound, proved=True)
        if opts.mode == "refine":
            return self.result("refines", bound=bound, proved=True)
        if backward.status == "fails":
            return self.solver_counterexample(backward.counterexample, self.cand, self.ref,
                                              bound, swapped=True)
        return self.result("unknown", bound=bound, reason=(
            "the candidate refines the reference; the converse is undecided: "
            + (backward.reason or f"loop bound {opts.unroll} reached")))

    def solver_counterexample(self, cex, src: Function, tgt: Function, bound, swapped: bool):
        # The reference's undef uses and freezes read 0, as in the solver's model
        # (its ∀ over them was re-asked without quantifiers in check_refinement);
        # the candidate's read the model's choices.
        src_out = evaluate(src, cex.inputs, self.options.unroll)
        tgt_out = evaluate(tgt, cex.inputs, self.options.unroll, dict(cex.candidate_choices))
        if "undecided" in (src_out.kind, tgt_out.kind):
            # A branch or noundef use of a value that may depend on undef: one
            # concrete run cannot tell, so the solver's two queries stand alone.
            src_out, tgt_out = cex.reference, cex.candidate
        check = violates(src_out, tgt_out)
        if check is None or (src_out, tgt_out) != (cex.reference, cex.candidate):
            return self.result("unknown", bound=bound, reason=(
                "internal disagreement: the solver's counterexample did not reproduce in the "
                f"interpreter (solver {cex.reference}/{cex.candidate}, "
                f"interpreter {src_out}/{tgt_out})"))
        ref_out, cand_out = (tgt_out, src_out) if swapped else (src_out, tgt_out)
        reason = None
        if swapped:
            reason = "the candidate refines the reference but not conversely"
            check = "ub" if ref_out.kind == "ub" else "poison" if ref_out.kind == "poison" else "value"
        return self.result("counterexample", bound=bound, proved=True, reason=reason,
                           counterexample=Counterexample(_show_inputs(cex.inputs), _show(ref_out),
                                                         _show(cand_out), check))


def _join(*parts) -> str:
    """Parts joined into one reason, each once, in order."""
    return "; ".join(dict.fromkeys(p for p in parts if p))
