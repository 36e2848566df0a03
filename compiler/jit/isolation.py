"""Run one self-check in a forked child, so that a kernel which crashes or
never returns costs a failed check instead of nslc itself.

``run_isolated(fn, timeout)`` forks; the child calls ``fn(report)``, where
``report(phase)`` tells the parent what it is doing (so a crash can be said to
have happened "while running the optimised kernel"), and sends back what ``fn``
returned; the parent waits at most ``timeout`` seconds, then kills it.
Everything crosses the pipe pickled, so results must be plain data.

Fork, not a fresh interpreter: the child inherits the kernel families
registered in this process (tests and embedders register their own) and the
JIT's code generator, and starts in milliseconds. ``nslc check-ir`` runs its
native stage as ``python -m`` workers fed JSON instead — right for two IR
texts, wrong for kernel specs made of Python callables. Where there is no fork
(Windows) ``fn`` runs in this process: no protection, same results.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

GRACE = 5  # seconds the child outlives its deadline on its own if the parent is gone
# A user's time limit may be anything positive (nslc compile --kernel-timeout), but
# poll() takes at most about 24 days and alarm() a C int: wait in slices, cap the alarm.
_POLL_SLICE = 3600.0
_MAX_ALARM = 2**31 - 1


@dataclass(frozen=True)
class Outcome:
    """How the child ended: ``value`` when ``fn`` returned, otherwise the way it
    did not (``signal_number``, ``timed_out_after``, ``exit_status`` or
    ``error``), and the last ``phase`` it reported."""
    value: object = None
    finished: bool = False
    phase: str | None = None
    signal_number: int | None = None      # killed by this signal (not ours)
    timed_out_after: float | None = None  # seconds: killed by us at the deadline
    exit_status: int | None = None        # exited without an answer
    error: str | None = None              # ``fn`` raised: "TypeName: message"

    def describe(self) -> str:
        """Why there is no value, e.g. ``crashed: SIGSEGV while <phase>``."""
        if self.signal_number is not None:
            why = f"crashed: {signal_name(self.signal_number)}"
        elif self.timed_out_after is not None:
            why = f"timed out after {self.timed_out_after:g}s"
        elif self.error is not None:
            why = f"raised {self.error}"
        else:
            why = f"exited with status {self.exit_status} without an answer"
        return f"{why} while {self.phase}" if self.phase else why


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def can_fork() -> bool:
    """Whether checks can run in a child here (POSIX)."""
    return hasattr(os, "fork")


def run_isolated(fn, timeout: float) -> Outcome:
    """``fn(report)`` in a forked child, killed after ``timeout`` seconds (in this
    process where there is no fork)."""
    if not can_fork():
        return _run_here(fn)
    from multiprocessing.connection import Pipe

    reader, writer = Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()  # or the child's copy of the buffers could be written twice
    pid = _fork()
    if pid == 0:
        reader.close()
        _child(fn, writer, timeout)
    writer.close()
    status = None
    try:
        answer, phase, timed_out = _listen(reader, time.monotonic() + timeout)
        if timed_out:
            done, status = os.waitpid(pid, os.WNOHANG)  # it may have died just now
            timed_out = not done
            if timed_out:
                os.kill(pid, signal.SIGKILL)
                status = None
        if status is None:
            _, status = os.waitpid(pid, 0)
    finally:
        reader.close()
        if status is None:  # interrupted (Ctrl-C): leave no child behind
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if answer is not None:
        kind, payload = answer
        if kind == "value":
            return Outcome(payload, finished=True, phase=phase)
        return Outcome(phase=phase, error=payload)
    if timed_out:
        return Outcome(phase=phase, timed_out_after=timeout)
    if os.WIFSIGNALED(status):
        return Outcome(phase=phase, signal_number=os.WTERMSIG(status))
    return Outcome(phase=phase, exit_status=os.waitstatus_to_exitcode(status))


def _fork() -> int:
    import warnings

    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process with threads (torch's pool):
        # the child keeps off what they own (see _single_threaded_torch).
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _child(fn, writer, timeout: float) -> None:
    """The child's whole life; never returns."""
    status = 1
    try:
        import faulthandler

        faulthandler.disable()  # a crash is reported by the parent, not as a stack dump
        _single_threaded_torch()
        # Dies on its own if the parent is killed before it can kill a hung child.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(min(int(timeout) + GRACE, _MAX_ALARM))
        value = fn(lambda phase: writer.send(("phase", phase)))
        writer.send(("value", value))
        status = 0
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        try:
            writer.send(("error", _one_line(exc)))
        except BaseException:  # noqa: BLE001 - e.g. the parent is gone
            pass
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _single_threaded_torch() -> None:
    """The worker threads of torch's OpenMP pool do not survive a fork, and the
    child's first parallel region would wait for them forever once the parent
    has used the pool; with one thread torch never enters such a region."""
    torch = sys.modules.get("torch")  # only if already imported: never import it here
    if torch is not None:
        torch.set_num_threads(1)


def _listen(reader, deadline: float):
    """Read the child's messages until it closes the pipe or the deadline passes:
    (its answer or None, its last phase, whether the deadline passed)."""
    answer = phase = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return answer, phase, True
        if not reader.poll(min(left, _POLL_SLICE)):
            continue
        try:
            kind, payload = reader.recv()
        except (EOFError, OSError):
            return answer, phase, False
        if kind == "phase":
            phase = payload
        else:
            answer = (kind, payload)


def _run_here(fn) -> Outcome:
    phases = []
    try:
        value = fn(phases.append)
    except Exception as exc:  # noqa: BLE001 - the same result as in a child
        return Outcome(phase=phases[-1] if phases else None, error=_one_line(exc))
    return Outcome(value, finished=True, phase=phases[-1] if phases else None)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return type(exc).__name__ + (f": {text[0]}" if text else "")
