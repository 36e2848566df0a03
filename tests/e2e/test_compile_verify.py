"""``nslc compile --verify`` self-checks the JIT kernels; ``--emit llvm`` prints them."""
from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("llvmlite")

INDEX_PROGRAM = """\
index memory(dim = 100, quant = int8, metric = cosine) from "memory.npy"
rel asked(v: tensor).
rel near(id: int, s: float).
near(id, s) :- asked(v), knn(memory, v, 5, id, s).
"""
PLAIN_PROGRAM = "edge(1, 2).\npath(x, y) :- edge(x, y).\n"
KERNEL_LINE = "optimised agrees with unoptimised on 4 inputs (unknown: not proved); " \
              "matches reference on 4 random inputs"


def run(*args, code=None, timeout=300):
    argv = [sys.executable, "-m", "nsl", *map(str, args)] if code is None else \
        [sys.executable, "-c", code, *map(str, args)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def compile_index_program(tmp_path, *args):
    """``nslc compile`` on the index program."""
    src = tmp_path / "memory.nsl"
    src.write_text(INDEX_PROGRAM)
    return run("compile", src, *args)


def kernel_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kernel ")]


def test_verify_checks_the_kernels_of_an_index_program(tmp_path):
    from nsl.compiler.jit import get_codegen
    from nsl.compiler.jit.knn_isa import supported_isas

    proc = compile_index_program(tmp_path, "--verify", "--samples", "4")
    assert proc.returncode == 0, proc.stderr
    lines = kernel_lines(proc.stderr)
    isas = supported_isas(get_codegen().enabled_features)
    # dim 100 is stored in 128-byte rows: one kernel per instruction set at that stride
    assert [line.split(":")[0] for line in lines] == [f"kernel knn_{isa}[stride=128]" for isa in isas]
    assert all(KERNEL_LINE in line for line in lines), lines
    assert proc.stdout  # the IR is still printed


def test_emit_llvm_prints_the_kernels_the_program_would_jit(tmp_path):
    from nsl.compiler.jit import get_codegen
    from nsl.compiler.jit.knn_isa import ISAS, best_isa
    from nsl.compiler.jit.knn_kernels import block_functions

    isa = best_isa(get_codegen().enabled_features)
    optimised = compile_index_program(tmp_path, "--emit", "llvm")
    assert optimised.returncode == 0, optimised.stderr
    assert optimised.stdout.startswith(f"; ---- kernel knn_{isa}[stride=128] (optimised) ----")
    entries = block_functions(ISAS[isa])
    assert "knn_scan_q1" in entries and len(entries) >= 4  # one per block, with and without bias
    for entry in entries:
        assert f"@{entry}(" in optimised.stdout
    unoptimised = compile_index_program(tmp_path, "--emit", "llvm", "--no-opt")
    assert "(unoptimised)" in unoptimised.stdout and "define internal void @heap_offer" in unoptimised.stdout


def test_emit_llvm_verify_on_a_program_without_kernels_checks_every_kernel(tmp_path):
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    proc = run("compile", src, "--emit", "llvm", "--verify", "--samples", "4")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("; this program has no JIT-compiled kernels")
    labels = [line.split(":")[0] for line in kernel_lines(proc.stderr)]
    assert any("[stride=64]" in label for label in labels) and any("[stride=128]" in label for label in labels)


def test_verify_without_kernels_runs_no_self_check(tmp_path):
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    proc = run("compile", src, "--verify")
    assert proc.returncode == 0 and not kernel_lines(proc.stderr)


def test_a_miscompiled_kernel_fails_the_build(tmp_path):
    # A kernel family whose "optimised" code is off by one: registered in the
    # process, then the CLI runs as usual.
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    code = textwrap.dedent("""
        import sys, numpy as np, ctypes
        from nsl.compiler.jit import registry
        from nsl.cli import main
        IR = "define i32 @inc(i32 %x) {\\n  %y = add i32 %x, 1\\n  ret i32 %y\\n}\\n"
        def run(lib, v, xs):
            f = lib.get_function("inc", ctypes.c_int32, ctypes.c_int32)
            return np.array([f(int(x)) for x in xs], np.int32)
        registry.specs()
        registry.register(registry.KernelSpec(
            name="broken", signature="i32(i32)",
            variants=lambda f, s: [registry.Variant("broken", (("n", 1),))],
            lower=lambda v, header: header + IR, entries=lambda v: ("inc",),
            random_inputs=lambda v, rng: rng.integers(-9, 9, 8, dtype=np.int32),
            run=run, reference=lambda v, xs: (xs + 2).astype(np.int32)))
        sys.exit(main(sys.argv[1:]))
    """)
    proc = run("compile", src, "--emit", "llvm", "--verify", "--samples", "3", code=code)
    assert proc.returncode == 1
    assert "kernel broken[n=1]: " in proc.stderr
    assert "does NOT match its reference" in proc.stderr
    assert "error: kernel self-check failed for broken[n=1]" in proc.stderr


# Registers three kernel families in the process, and no others: one dereferences
# NULL, one spins forever, one is fine; then runs the CLI on its arguments.
CRASH_HANG_FINE = textwrap.dedent("""
    import sys, ctypes, numpy as np
    from nsl.compiler.jit import registry, self_check
    from nsl.runtime import fixpoint_registry  # registered now, so removed below
    from nsl.cli import main
    for spec in registry.specs():
        registry.unregister(spec.name)
    FLAG = ctypes.c_int32(0)  # never set: "hang" waits for it forever
    KERNELS = {
        "segv": ("define i32 @k(ptr %p) {\\n  %v = load volatile i32, ptr %p\\n  ret i32 %v\\n}\\n",
                 lambda lib: lib.get_function("k", ctypes.c_int32, ctypes.c_void_p)(None)),
        "hang": ("define i32 @k(ptr %p) {\\nentry:\\n  br label %l\\nl:\\n"
                 "  %v = load volatile i32, ptr %p\\n  %z = icmp eq i32 %v, 0\\n"
                 "  br i1 %z, label %l, label %e\\ne:\\n  ret i32 %v\\n}\\n",
                 lambda lib: lib.get_function("k", ctypes.c_int32, ctypes.c_void_p)(
                     ctypes.addressof(FLAG))),
        "fine": ("define i32 @k(ptr %p) {\\n  ret i32 7\\n}\\n",
                 lambda lib: lib.get_function("k", ctypes.c_int32, ctypes.c_void_p)(None)),
    }
    for name, (ir, call) in KERNELS.items():
        registry.register(registry.KernelSpec(
            name=name, signature="",
            variants=lambda f, s, name=name: [registry.Variant(name, (("n", 1),))],
            lower=lambda v, header, ir=ir: header + ir, entries=lambda v: ("k",),
            random_inputs=lambda v, rng: None,
            run=lambda lib, v, x, call=call: np.array([call(lib)], np.int32),
            reference=lambda v, x: np.array([7], np.int32)))
    sys.exit(main(sys.argv[1:]))
""")


def test_a_kernel_that_crashes_or_hangs_fails_the_build_not_nslc(tmp_path):
    # Each kernel's check runs in a child process, here under the default limit made
    # short (3 s instead of 60 s plus 0.5 s per sample).
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    code = textwrap.dedent("""
        from nsl.compiler.jit import self_check
        self_check.KERNEL_TIMEOUT, self_check.SAMPLE_TIMEOUT = 3, 0
    """) + CRASH_HANG_FINE
    proc = run("compile", src, "--emit", "llvm", "--verify", "--samples", "3", code=code, timeout=120)
    assert proc.returncode == 1, proc.stderr
    segv = "crashed: SIGSEGV while running the optimised kernel on input 0 (seed 0)"
    hang = "timed out after 3s while running the optimised kernel on input 0 (seed 0)"
    lines = kernel_lines(proc.stderr)
    assert [line.split(":")[0] for line in lines] == ["kernel segv[n=1]", "kernel hang[n=1]",
                                                      "kernel fine[n=1]"], proc.stderr
    assert lines[0].startswith(f"kernel segv[n=1]: {segv} [") and hang in lines[1]
    assert "matches reference on 3 random inputs" in lines[2]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: kernel self-check failed for segv[n=1]: {segv}",
                      f"error: kernel self-check failed for hang[n=1]: {hang}"]
    assert not proc.stdout  # a failed build writes nothing


def test_kernel_timeout_sets_the_limit_of_each_kernels_check(tmp_path):
    # The default limit (60 s plus 0.5 s per sample) as it is; the option alone
    # makes the hanging kernel's check fail after 1.5 s.
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    proc = run("compile", src, "--emit", "llvm", "--verify", "--samples", "3",
               "--kernel-timeout", "1.5", code=CRASH_HANG_FINE, timeout=50)
    assert proc.returncode == 1, proc.stderr
    hang = "timed out after 1.5s while running the optimised kernel on input 0 (seed 0)"
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors[1:] == [f"error: kernel self-check failed for hang[n=1]: {hang}"], proc.stderr
    assert errors[0].startswith("error: kernel self-check failed for segv[n=1]: crashed: SIGSEGV")
    assert "matches reference on 3 random inputs" in kernel_lines(proc.stderr)[2]


def test_bad_samples_is_a_usage_error(tmp_path):
    src = tmp_path / "memory.nsl"
    src.write_text(INDEX_PROGRAM)
    proc = run("compile", src, "--verify", "--samples", "0")
    assert proc.returncode == 2 and "--samples" in proc.stderr


@pytest.mark.parametrize("value, why", [("0", "must be positive"), ("-2", "must be positive"),
                                        ("soon", "not a number"), ("nan", "must be positive"),
                                        ("inf", "must be a finite number of seconds"),
                                        ("", "not a number")])
def test_bad_kernel_timeout_is_a_usage_error(tmp_path, value, why):
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    proc = run("compile", src, "--verify", "--kernel-timeout", value)
    assert proc.returncode == 2 and not proc.stdout
    assert "--kernel-timeout" in proc.stderr and why in proc.stderr, proc.stderr


@pytest.mark.parametrize("option", [("--samples", "4"), ("--kernel-timeout", "5")])
def test_self_check_options_need_verify(tmp_path, option):
    src = tmp_path / "plain.nsl"
    src.write_text(PLAIN_PROGRAM)
    proc = run("compile", src, *option)
    assert proc.returncode == 2 and not proc.stdout
    assert f"{option[0]} sets the kernel self-check: it needs --verify" in proc.stderr, proc.stderr


# -- the native fixpoint kernels of recursive strata -----------------------------------

FAMILY = pathlib.Path(__file__).resolve().parents[2] / "examples" / "kinship" / "family.nsl"


def test_emit_llvm_prints_the_fixpoint_kernel_of_a_recursive_stratum():
    proc = run("compile", FAMILY, "--emit", "llvm")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("; ---- kernel fixpoint[stratum=ancestor] (optimised) ----")
    assert "@nsl_fixpoint(" in proc.stdout and "@nsl_bits_to_keys(" in proc.stdout


def test_verify_checks_the_fixpoint_kernel_of_a_recursive_stratum():
    proc = run("compile", FAMILY, "--verify", "--samples", "4")
    assert proc.returncode == 0, proc.stderr
    [line] = kernel_lines(proc.stderr)
    assert line.startswith(f"kernel fixpoint[stratum=ancestor]: {KERNEL_LINE} ["), line


def test_a_long_kernel_timeout_lets_the_check_finish():
    # 1e12 s is more than poll() or alarm() take at once: the limit is waited out in slices
    proc = run("compile", FAMILY, "--verify", "--samples", "4", "--kernel-timeout", "1e12")
    assert proc.returncode == 0, proc.stderr
    [line] = kernel_lines(proc.stderr)
    assert line.startswith(f"kernel fixpoint[stratum=ancestor]: {KERNEL_LINE} ["), line
