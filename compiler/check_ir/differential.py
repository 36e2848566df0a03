"""The differential stage: run both sides natively over many inputs.

A worker subprocess (:mod:`diff_worker`) JIT-compiles each side in its own
library and runs the chunked comparison loop. A signal in the worker (SIGFPE,
SIGSEGV …) is not a crash of nslc: the worker runs JIT code in forked children,
and single-side "locate" runs find the input and the side. A reference that
crashes on an input has UB there, so that input is skipped (and counted) and
testing goes on; a candidate that crashes where the reference does not is a
difference. The worker reports events as JSON lines (``ready``,
``mismatches`` — answered ``go`` or ``stop``, ``reference_crash``,
``candidate_crash``, ``done``).
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from .inputs import InputPlan
from .jit_kernels import Signature

CRASH = "crash"
# Seconds allowed past a run's budget for starting the worker process and
# reading its last answer; the worker itself stops running JIT code at the
# deadline (it kills a child that is still running).
GRACE_S = 0.5


@dataclass(frozen=True)
class NativeDifference:
    inputs: tuple[int, ...]
    reference: object      # int, None (void), "crash" or "unknown"
    candidate: object


@dataclass
class DifferentialResult:
    tested: int = 0                 # inputs run, those where the reference crashed included
    differences: list = field(default_factory=list)
    reference_crashes: list = field(default_factory=list)   # inputs where the reference crashed
    dismissed: int = 0              # differences the confirm callback dismissed
    complete: bool = False          # every planned input ran
    timed_out: bool = False         # stopped by the time limit
    error: str = ""
    seconds: float = 0.0

    def describe(self, count: int) -> str:
        """One sentence on how far testing got, for an ``unknown`` reason."""
        parts = []
        if self.timed_out:
            parts.append(f"native testing stopped by the time limit after {self.tested} of "
                         f"{count} inputs" + (f" ({self.error})" if self.error else ""))
        elif self.error:
            parts.append(self.error)
        if self.reference_crashes:
            parts.append(f"the reference crashed (UB, inputs skipped) on "
                         f"{len(self.reference_crashes)} of them")
        return "; ".join(parts)


@dataclass(frozen=True)
class Sides:
    """The two modules' text and the functions to compare in them."""
    ref_ir: str
    cand_ir: str
    ref_fn: str
    cand_fn: str
    signature: Signature


def run_differential(sides: Sides, plan: InputPlan, budget_s: float, max_mismatches: int = 16,
                     confirm=None) -> DifferentialResult:
    """Run both sides on every input of ``plan`` (or until ``budget_s`` seconds have passed).

    ``confirm(difference) -> bool`` decides whether a native difference counts
    (True stops the run); those it dismisses (False) do not end the run. With no
    ``confirm`` every difference counts and the run stops after
    ``max_mismatches`` of them. Inputs where the reference crashes are skipped.
    """
    result = DifferentialResult()
    deadline = time.monotonic() + max(budget_s, 0.0)
    with tempfile.TemporaryDirectory(prefix="nsl-check-ir-") as workdir:
        inputs_path = os.path.join(workdir, "inputs.npy")
        if plan.mode == "vector":
            np.save(inputs_path, plan.columns)
        sig = sides.signature
        request = {"ref_ir": sides.ref_ir, "cand_ir": sides.cand_ir, "ref_fn": sides.ref_fn,
                   "cand_fn": sides.cand_fn, "params": list(sig.params), "ret": sig.ret,
                   "mode": plan.mode, "inputs_path": inputs_path, "lo": 0, "hi": plan.count,
                   "deadline": deadline, "batch": 16 if confirm else max_mismatches}
        with open(os.path.join(workdir, "stderr"), "w+") as err, subprocess.Popen(
                [sys.executable, "-m", "nsl.compiler.check_ir.diff_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}) as proc:
            try:
                _converse(proc, request, plan, result, deadline + GRACE_S, confirm, max_mismatches)
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            if result.error == "worker":
                err.seek(0)
                last = (err.read().strip().splitlines() or ["no output"])[-1]
                result.error = f"differential worker failed: {last}"
    return result


def _converse(proc, request, plan, result, hard_deadline, confirm, max_mismatches) -> None:
    """Send the request, then follow the worker's events until it is done."""
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.flush()
    ready, lines = False, _Lines(proc.stdout)
    while True:
        line = lines.next(hard_deadline)
        if line is None:  # past the deadline: the worker is still compiling or stuck
            result.timed_out = True
            if not ready:
                result.error = "the functions were still being compiled"
            return
        if not line:
            result.error = "worker"
            return
        event = json.loads(line)
        kind = event["event"]
        if kind == "ready":
            ready = True
        elif kind == "mismatches":
            go = True
            for item in event["items"]:
                diff = NativeDifference(tuple(plan.inputs_at(item["index"])),
                                        item["reference"], item["candidate"])
                if confirm is None or confirm(diff):
                    result.differences.append(diff)
                    go = confirm is None and len(result.differences) < max_mismatches
                    if not go:
                        break
                else:
                    result.dismissed += 1
            proc.stdin.write("go\n" if go else "stop\n")
            proc.stdin.flush()
        elif kind == "reference_crash":
            result.reference_crashes.append(tuple(plan.inputs_at(event["index"])))
        elif kind == "candidate_crash":
            diff = NativeDifference(tuple(plan.inputs_at(event["index"])), event["reference"],
                                    CRASH)
            if confirm is None or confirm(diff):
                result.differences.append(diff)
            else:
                result.dismissed += 1
        elif kind == "done":
            result.tested = event["at"] - request["lo"]
            result.seconds = event["seconds"]
            result.complete = event["at"] >= request["hi"]
            stopped = event["stopped"]
            if stopped == "timeout":
                result.timed_out = True
                if event["detail"]:
                    result.error = f"a side did not finish on {event['detail']}"
            elif stopped == "reference_crashes":
                result.error = (f"the reference crashes (UB) on nearly every input "
                                f"({len(result.reference_crashes)} of {result.tested})")
            elif stopped in ("unlocated", "error"):
                result.error = event["detail"]
            return


class _Lines:
    """Lines of a pipe, read with a deadline (no buffered text hides from select)."""

    def __init__(self, stream):
        self.fd, self.pending = stream.fileno(), b""

    def next(self, deadline: float):
        """The next line; "" at the end of the stream; None once ``deadline`` passes."""
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            data = os.read(self.fd, 1 << 16)
            if not data:
                return ""
            self.pending += data
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()


def reexecute(sides: Sides, inputs, budget_s: float = 30.0) -> NativeDifference | None:
    """Run both sides on one input again; the difference, if it reproduces."""
    columns = np.array([[v] for v in inputs], dtype=np.uint64).reshape(len(inputs), 1)
    plan = InputPlan("vector", 1, sides.signature.params, columns)
    result = run_differential(sides, plan, budget_s, max_mismatches=1)
    if result.differences:
        return result.differences[0]
    if result.reference_crashes:
        return NativeDifference(tuple(inputs), CRASH, "unknown")
    return None
