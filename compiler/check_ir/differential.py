"""The differential stage: run both sides natively over many inputs.

A worker subprocess (:mod:`diff_worker`) JIT-compiles each side in its own
library and runs the chunked comparison loop. A signal in the worker (SIGFPE,
SIGSEGV …) is not a crash of nslc: the index left in the progress file names
the chunk, and single-side "locate" runs find the input and the side. A
reference that crashes on an input has UB there, so that input is skipped; a
candidate that crashes where the reference does not is a difference.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from .diff_worker import CHUNK
from .inputs import InputPlan
from .jit_kernels import Signature

CRASH = "crash"
MAX_REFERENCE_CRASHES = 4


@dataclass(frozen=True)
class NativeDifference:
    inputs: tuple[int, ...]
    reference: object      # int or "crash"
    candidate: object


@dataclass
class DifferentialResult:
    tested: int = 0
    differences: list = field(default_factory=list)
    reference_crashes: list = field(default_factory=list)   # inputs where the reference crashed
    complete: bool = False          # every planned input ran
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Sides:
    """The two modules' text and the functions to compare in them."""
    ref_ir: str
    cand_ir: str
    ref_fn: str
    cand_fn: str
    signature: Signature


class _Worker:
    def __init__(self, sides: Sides, plan: InputPlan, workdir: str):
        self.sides, self.plan = sides, plan
        self.progress_path = os.path.join(workdir, "progress")
        self.inputs_path = os.path.join(workdir, "inputs.npy")
        if plan.mode == "vector":
            np.save(self.inputs_path, plan.columns)

    def run(self, lo, hi, budget_s, max_mismatches=16, locate=None):
        with open(self.progress_path, "wb") as handle:
            handle.write(struct.pack("<qq", -1, 0))
        sig = self.sides.signature
        request = {"ref_ir": self.sides.ref_ir, "cand_ir": self.sides.cand_ir,
                   "ref_fn": self.sides.ref_fn, "cand_fn": self.sides.cand_fn,
                   "params": list(sig.params), "ret": sig.ret, "mode": self.plan.mode,
                   "inputs_path": self.inputs_path, "progress_path": self.progress_path,
                   "lo": lo, "hi": hi, "budget_s": budget_s,
                   "max_mismatches": max_mismatches, "locate": locate}
        try:
            proc = subprocess.run([sys.executable, "-m", "nsl.compiler.check_ir.diff_worker"],
                                  input=json.dumps(request), capture_output=True, text=True,
                                  timeout=budget_s + 60)
        except subprocess.TimeoutExpired:
            return {"error": "the differential worker did not finish"}
        if proc.returncode < 0:
            with open(self.progress_path, "rb") as handle:
                at, _ = struct.unpack("<qq", handle.read(16))
            return {"crashed": True, "signal": -proc.returncode, "at": at}
        if proc.returncode != 0 or not proc.stdout.strip():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {"error": f"differential worker failed: {last}"}
        return json.loads(proc.stdout.strip().splitlines()[-1])


def run_differential(sides: Sides, plan: InputPlan, budget_s: float,
                     max_mismatches: int = 16) -> DifferentialResult:
    """Run both sides on every input of ``plan`` (or until ``budget_s``)."""
    result = DifferentialResult()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nsl-check-ir-") as workdir:
        worker = _Worker(sides, plan, workdir)
        at = 0
        while at < plan.count:
            left = budget_s - (time.monotonic() - started)
            if left <= 0:
                break
            reply = worker.run(at, plan.count, left, max_mismatches - len(result.differences))
            if "error" in reply:
                result.error = reply["error"]
                break
            if not reply.get("crashed"):
                result.tested += reply["tested"]
                result.seconds += reply.get("seconds", 0.0)
                for m in reply["mismatches"]:
                    result.differences.append(NativeDifference(
                        tuple(plan.inputs_at(m["index"])), m["reference"], m["candidate"]))
                at += reply["tested"]
                result.complete = at >= plan.count
                break
            chunk_start = max(reply["at"], at)
            chunk_end = min(chunk_start + CHUNK, plan.count)
            result.tested += chunk_start - at
            index, side = _locate(worker, chunk_start, chunk_end)
            if index is None:
                result.error = (f"a side crashed (signal {reply['signal']}) on inputs "
                                f"{chunk_start}..{chunk_end - 1} but neither crashes alone")
                break
            inputs = tuple(plan.inputs_at(index))
            result.tested += index - chunk_start + 1
            if side == "ref":
                result.reference_crashes.append(inputs)
                if len(result.reference_crashes) >= MAX_REFERENCE_CRASHES:
                    result.error = "the reference crashes (UB) on many inputs"
                    break
            else:
                result.differences.append(NativeDifference(inputs, None, CRASH))
                break
            at = index + 1
            result.complete = at >= plan.count
    return result


def _locate(worker: _Worker, lo: int, hi: int):
    """(index, side) of the first crashing input in [lo, hi), reference first."""
    for side in ("ref", "cand"):
        reply = worker.run(lo, hi, 60.0, locate=side)
        if reply.get("crashed") and lo <= reply["at"] < hi:
            return reply["at"], side
    return None, None


def reexecute(sides: Sides, inputs) -> NativeDifference | None:
    """Run both sides on one input again; the difference, if it reproduces."""
    columns = np.array([[v] for v in inputs], dtype=np.uint64).reshape(len(inputs), 1)
    plan = InputPlan("vector", 1, sides.signature.params, columns)
    result = run_differential(sides, plan, 30.0, max_mismatches=1)
    if result.differences:
        return result.differences[0]
    if result.reference_crashes:
        return NativeDifference(tuple(inputs), CRASH, "unknown")
    return None
