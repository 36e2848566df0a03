"""The JIT self-check runs each kernel in a child process: a kernel that crashes,
hangs, exits or raises fails its own check, with the reason and the phase it
was in, while the other kernels still pass and the test process lives on."""
import ctypes
import os
import signal

import numpy as np
import pytest

pytest.importorskip("llvmlite")

from nsl.compiler.jit import isolation, registry  # noqa: E402
from nsl.compiler.jit.self_check import KernelCheck, check_kernel_isolated, run_self_check  # noqa: E402

pytestmark = pytest.mark.skipif(not isolation.can_fork(), reason="needs fork")

LIMIT = 4.0  # seconds: the hanging kernel's check costs this much

PEEK_IR = """
define i32 @peek(ptr %p) {
  %v = load volatile i32, ptr %p
  ret i32 %v
}
"""
SPIN_IR = """
define void @spin(ptr %flag) {
entry:
  br label %wait
wait:
  %v = load volatile i32, ptr %flag
  %set = icmp ne i32 %v, 0
  br i1 %set, label %done, label %wait
done:
  ret void
}
"""
IDENTITY_IR = """
define i32 @ident(i32 %x) {
  ret i32 %x
}
"""
_FLAG = ctypes.c_int32(0)  # never set: @spin waits forever


def _run_peek(library, variant, inputs):
    # the kernel dereferences the pointer it is given: NULL
    peek = library.get_function("peek", ctypes.c_int32, ctypes.c_void_p)
    return np.array([peek(None)], np.int32)


def _run_spin(library, variant, inputs):
    library.get_function("spin", None, ctypes.c_void_p)(ctypes.addressof(_FLAG))
    return np.zeros(1, np.int32)


def _run_ident(library, variant, inputs):
    ident = library.get_function("ident", ctypes.c_int32, ctypes.c_int32)
    return np.array([ident(int(x)) for x in inputs], np.int32)


def _exit_abruptly(variant, inputs):
    os._exit(3)


def _raise(variant, inputs):
    return 1 / 0


def _kill_self(variant, inputs):
    os.kill(os.getpid(), signal.SIGABRT)


def _family(name, ir, entry, run, reference=None):
    return registry.KernelSpec(
        name=name, signature="",
        variants=lambda features, shapes: [registry.Variant(name, (("n", 1),))],
        lower=lambda variant, header: header + ir,
        entries=lambda variant: (entry,),
        random_inputs=lambda variant, rng: rng.integers(-9, 9, 4, dtype=np.int32),
        run=run,
        reference=reference or (lambda variant, inputs: np.asarray(inputs, np.int32)))


FAMILIES = {
    "t_segv": _family("t_segv", PEEK_IR, "peek", _run_peek),
    "t_hang": _family("t_hang", SPIN_IR, "spin", _run_spin),
    "t_ok": _family("t_ok", IDENTITY_IR, "ident", _run_ident),
    "t_exit": _family("t_exit", IDENTITY_IR, "ident", _run_ident, _exit_abruptly),
    "t_raise": _family("t_raise", IDENTITY_IR, "ident", _run_ident, _raise),
    "t_abort": _family("t_abort", IDENTITY_IR, "ident", _run_ident, _kill_self),
}


@pytest.fixture
def families():
    for spec in FAMILIES.values():
        registry.register(spec)
    yield
    for name in FAMILIES:
        registry.unregister(name)


def _check(name, timeout=LIMIT) -> KernelCheck:
    spec = FAMILIES[name]
    [variant] = spec.variants(frozenset(), None)
    return check_kernel_isolated(spec, variant, samples=3, timeout=timeout)


def test_a_segfaulting_kernel_fails_with_the_signal_and_the_phase():
    result = _check("t_segv")
    assert not result.ok
    assert result.error == "crashed: SIGSEGV while running the optimised kernel on input 0 (seed 0)"
    assert result.line().startswith(f"kernel t_segv[n=1]: {result.error} [")
    assert result.reason == result.error


def test_a_kernel_that_never_returns_is_killed_at_the_time_limit():
    result = _check("t_hang", timeout=LIMIT)
    assert not result.ok
    assert result.error == (f"timed out after {LIMIT:g}s while running the optimised kernel "
                            "on input 0 (seed 0)")
    assert LIMIT <= result.seconds < LIMIT + 5


@pytest.mark.parametrize("name, error", [
    ("t_exit", "exited with status 3 without an answer while running the reference on input 0 (seed 0)"),
    ("t_raise", "raised ZeroDivisionError: division by zero while running the reference "
                "on input 0 (seed 0)"),
    ("t_abort", "crashed: SIGABRT while running the reference on input 0 (seed 0)"),
])
def test_a_reference_that_dies_fails_its_check(name, error):
    result = _check(name)
    assert not result.ok and result.error == error


def test_the_other_kernels_still_pass_and_the_parent_survives(families, monkeypatch):
    parent, seen, children = os.getpid(), [], []
    fork = isolation._fork
    monkeypatch.setattr(isolation, "_fork", lambda: children.append(fork()) or children[-1])
    results = run_self_check({"t_segv": None, "t_hang": None, "t_ok": None}, samples=3,
                             timeout=LIMIT, on_result=seen.append)
    assert os.getpid() == parent and seen == results
    by_family = {r.kernel.split("[")[0]: r for r in results}
    assert by_family["t_segv"].error.startswith("crashed: SIGSEGV while running the optimised")
    assert by_family["t_hang"].error.startswith(f"timed out after {LIMIT:g}s while running")
    ok = by_family["t_ok"]
    assert ok.ok and ok.tested == ok.reference_tested == 3, ok.line()
    assert len(children) == 3
    for pid in children:  # each child was reaped: none is left running or a zombie
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_passing_check_is_the_same_in_a_child_and_in_process():
    from nsl.compiler.jit.self_check import check_kernel

    spec = FAMILIES["t_ok"]
    [variant] = spec.variants(frozenset(), None)
    here = check_kernel(spec, variant, samples=3)
    there = check_kernel_isolated(spec, variant, samples=3)
    strip = dict(seconds=0.0)
    assert KernelCheck(**{**here.__dict__, **strip}) == KernelCheck(**{**there.__dict__, **strip})


def test_without_fork_the_check_runs_in_process(monkeypatch):
    monkeypatch.setattr(isolation, "can_fork", lambda: False)
    assert _check("t_ok").ok
    # an exception is still a failed check, not an error of the caller
    assert _check("t_raise").error.startswith("raised ZeroDivisionError: division by zero while ")


@pytest.mark.parametrize("timeout", [0.5, 1e12])  # 1e12 s: more than poll() or alarm() take
def test_any_positive_time_limit_works(timeout):
    outcome = isolation.run_isolated(lambda report: report("answering") or 7, timeout=timeout)
    assert outcome.finished and (outcome.value, outcome.phase) == (7, "answering")


def test_torch_still_works_in_a_child_after_the_parent_used_its_thread_pool():
    # Without care the child's first parallel region waits forever for the
    # OpenMP workers that stayed in the parent (the knn and fixpoint references use torch).
    torch = pytest.importorskip("torch")
    torch.ones(512, 512) @ torch.ones(512, 512)
    outcome = isolation.run_isolated(
        lambda report: float((torch.ones(512, 512) @ torch.ones(512, 512)).sum()), timeout=30)
    assert outcome.finished, outcome.describe()
    assert outcome.value == 512.0 ** 3
