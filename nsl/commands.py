"""The language subcommands of nslc: run, check, compile, fmt, repl."""
from __future__ import annotations

import json
import pathlib
import sys

from nsl.cli_types import int_at_least, positive_seconds
from nsl.lang.diagnostics import CompileError, UsageError


def register(sub) -> None:
    p = sub.add_parser("run", help="run a program and print the derived facts")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object (the scripting contract)")
    p.add_argument("--query", action="append", default=[], metavar="REL",
                   help="also print relation REL (repeatable)")
    p.add_argument("--facts", action="append", default=[], metavar="REL=PATH",
                   help="load input relation REL from a CSV/TSV/JSONL file (repeatable)")
    p.add_argument("--provenance", metavar="NAME", help="override the program's @provenance")
    p.add_argument("--max-iterations", type=int_at_least(1), default=None, metavar="N",
                   help="fail a recursive stratum that still derives new facts after N iterations "
                        "(default: no limit)")
    p.add_argument("--progress", action="store_true",
                   help="report each stratum's iterations and facts on standard error as it runs")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check", help="check a program for errors without running it")
    p.add_argument("file")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("compile", help="compile a program and print a stage")
    p.add_argument("file")
    p.add_argument("--emit", choices=("ast", "ir", "llvm"), default="ir",
                   help="the stage to print (llvm: one LLVM module per JIT kernel, each after a "
                        "'; ---- kernel NAME ... ----' line)")
    p.add_argument("--no-opt", action="store_true",
                   help="emit the IR straight out of lowering (--emit llvm: the kernels unoptimised)")
    p.add_argument("--verify", action="store_true",
                   help="verify the IR after every pass, and self-check the JIT kernels the "
                        "program uses (with --emit llvm: every kernel if it uses none)")
    p.add_argument("--samples", type=int_at_least(1), default=None, metavar="N",
                   help="random inputs per kernel for the --verify self-check")
    p.add_argument("--kernel-timeout", type=positive_seconds, default=None, metavar="SECONDS",
                   help="kill a kernel's --verify self-check after SECONDS and fail it "
                        "(default 60 plus 0.5 per sample)")
    p.add_argument("--print-after", metavar="PASS", action="append", default=[],
                   help="print the IR after pass PASS on stderr (repeatable; 'all' for every "
                        "pass; with --emit ir)")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output")
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("fmt", help="print a program in canonical layout")
    p.add_argument("file")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-i", "--in-place", action="store_true", help="rewrite the file")
    mode.add_argument("--check", action="store_true", help="exit 1 if the file is not formatted")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("repl", help="an interactive session")
    p.add_argument("file", nargs="?")
    p.set_defaults(func=cmd_repl)


def _read(path: str) -> str:
    from nsl.lang.loader import read_source
    return read_source(path)


def _parse_facts(specs: list[str]) -> dict[str, str]:
    facts = {}
    for spec in specs:
        rel, sep, path = spec.partition("=")
        if not sep or not rel or not path:
            raise UsageError(f"--facts expects REL=PATH, got '{spec}'")
        facts[rel] = path
    return facts


def cmd_run(args) -> int:
    import nsl

    program = nsl.compile(pathlib.Path(args.file))  # a path, whatever its suffix
    _print_warnings(program)
    result = program.run(facts=_parse_facts(args.facts), provenance=args.provenance,
                         queries=args.query, max_iterations=args.max_iterations,
                         progress=ProgressPrinter(sys.stderr) if args.progress else None)
    for w in result.warnings:
        print(w.render(program.sources), file=sys.stderr)
    if args.json:
        # one write of the whole text: a value that cannot be printed fails before any output
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_result(result))
    return 0  # a verdict (a counterexample too) is a result of the program, not an error


class ProgressPrinter:
    """``--progress``: a stratum's line while it iterates — rewritten in place every
    0.2 s on a terminal, a new line every 10 s otherwise (a log) — and once when it
    is done."""

    def __init__(self, stream, clock=None):
        import time

        self.stream, self.clock = stream, clock or time.monotonic
        self.tty = stream.isatty()
        self.every = 0.2 if self.tty else 10.0
        self.started = self.shown = 0.0

    def __call__(self, p) -> None:
        now = self.clock()
        if p.iteration == 0 and not p.done:
            self.started = self.shown = now
        if not p.done and now - self.shown < self.every:
            return
        self.shown = now
        names = ", ".join(p.relations)
        facts = f"{p.facts} fact{'s' * (p.facts != 1)}"
        if p.done:
            rounds = f" after {p.iteration} iteration{'s' * (p.iteration != 1)}" if p.iteration else ""
            text = f"stratum {p.index + 1}/{p.strata} ({names}): {facts}{rounds}, {now - self.started:.2f} s"
        else:
            text = f"stratum {p.index + 1}/{p.strata} ({names}): iteration {p.iteration}, {facts}"
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if p.done else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def format_result(result) -> str:
    """Facts as NSL source, one per line, so the output can be fed back in."""
    from nsl.lang.formatter_values import format_value

    lines = []
    for name, rows in result.relations.items():
        lines.append(f"// {name}: {len(rows)} fact{'s' * (len(rows) != 1)}")
        for row in rows:
            args = ", ".join(format_value(v) for v in row)
            lines.append(f"{name}({args})." if row else f"{name}.")
    for verdict in result.verdicts:
        line = f"// {verdict['kind']} {verdict['name']}: {verdict['status']}"
        if verdict.get("reason"):
            line += f" ({verdict['reason']})"
        lines.append(line)
        cex = verdict.get("counterexample")
        if cex:
            lines.append(f"//   counterexample: inputs {cex['inputs']}: reference {cex['reference']}, "
                         f"candidate {cex['candidate']} ({cex['check']})")
    return "\n".join(lines) + ("\n" if lines else "")


def _print_warnings(program) -> None:
    for w in program.warnings:
        print(w.render(program.sources), file=sys.stderr)


def cmd_check(args) -> int:
    import nsl

    comp = nsl.compile(pathlib.Path(args.file), verify=True)
    _print_warnings(comp)
    from nsl.statements import statement_file_errors

    missing = statement_file_errors(comp.ast, comp.base_dir)
    if missing:
        raise CompileError(missing, comp.sources)
    comp.load_data()  # input files and indexes, read as `run` reads them
    print(f"{args.file}: ok ({len(comp.ir.relations)} relations, {len(comp.ir.strata)} strata)")
    return 0


def cmd_compile(args) -> int:
    from nsl.compiler.driver import compile_source, parse_only
    from nsl.compiler.passes import DEFAULT_PIPELINE, PASSES

    for given, option in ((args.samples, "--samples"), (args.kernel_timeout, "--kernel-timeout")):
        if given is not None and not args.verify:
            raise UsageError(f"{option} sets the kernel self-check: it needs --verify")
    if args.print_after:
        if args.emit != "ir":
            raise UsageError(f"--print-after shows the IR between passes: it needs --emit ir, not "
                             f"--emit {args.emit}")
        if args.no_opt:
            raise UsageError("--print-after shows the IR after optimisation passes, which "
                             "--no-opt skips")
        for name in set(args.print_after) - {"all"}:
            if name not in PASSES:
                raise UsageError(f"unknown pass '{name}' (passes: {', '.join(DEFAULT_PIPELINE)})")
    text = _read(args.file)
    out = []
    if args.emit == "ast":
        from nsl.lang.ast_dump import dump

        program, _ = parse_only(text, args.file)
        # still check it, so `--emit ast` reports the same errors as every other stage
        compile_source(text, args.file)
        out.append(dump(program))
    elif args.emit == "llvm":
        comp = compile_source(text, args.file, verify=args.verify)
        out.append(_kernels_llvm(_needs(comp), optimised=not args.no_opt))
    else:
        from nsl.compiler.ir_printer import print_module

        wanted = set(args.print_after)

        def after(name, module):
            # on stderr, as LLVM's -print-after: the output (or -o file) stays one module
            # that parses back
            if "all" in wanted or name in wanted:
                sys.stderr.write(f"// ---- after {name} ----\n" + print_module(module))

        passes = () if args.no_opt else DEFAULT_PIPELINE
        comp = compile_source(text, args.file, passes=passes, verify=args.verify, after=after)
        out.append(print_module(comp.module))
    if args.verify and args.emit != "ast":
        needs = _needs(comp)
        if needs or args.emit == "llvm":
            if not _self_check(needs or None, args.samples, args.kernel_timeout):
                return 1
    text_out = "".join(out)
    if args.output:
        _write_atomically(args.output, text_out)
    else:
        sys.stdout.write(text_out)
    return 0


def _needs(comp) -> dict:
    """Family → shapes of the kernels the program would JIT: knn scans (from its AST) and
    the native fixpoint kernels of its recursive strata (from its IR)."""
    from nsl.compiler.jit.registry import program_needs

    needs = program_needs(comp.ast)
    fixpoint = _runtime_kernels()
    if fixpoint is not None:
        needs.update(fixpoint.program_needs(comp.module))
    return needs


def _runtime_kernels():
    """The runtime's kernel families (the fixpoint kernels), registered on import; None
    when the runtime cannot be loaded (then only the compiler's families are checked)."""
    try:
        from nsl.runtime import fixpoint_registry
    except ImportError:
        return None
    return fixpoint_registry


def _kernels_llvm(needs: dict, optimised: bool) -> str:
    """The LLVM IR of every kernel the program would JIT on this CPU."""
    if not needs:
        return ("; this program has no JIT-compiled kernels (they come from `index`/`knn` and "
                "recursive rules the native fixpoint runs)\n")
    from nsl.compiler.jit.codegen import get_codegen, llvm_available
    from nsl.compiler.jit.registry import lowered_kernels

    if not llvm_available():
        raise UsageError("--emit llvm needs llvmlite (not installed, or NSL_JIT_DISABLE is set)")
    cg = get_codegen()
    parts = []
    for _, variant, ir_text in lowered_kernels(needs, cg.enabled_features, cg.ir_header()):
        shown = cg.optimise_ir(ir_text) if optimised else ir_text
        parts.append(f"; ---- kernel {variant.label} ({'optimised' if optimised else 'unoptimised'})"
                     f" ----\n{shown.rstrip()}\n")
    return "\n".join(parts) or "; the runtime compiles no kernel for this program on this CPU\n"


def _self_check(needs: dict | None, samples: int | None, timeout: float | None = None) -> bool:
    """Run the JIT self-check, one line per kernel on stderr; False on any failure.
    ``timeout``: seconds each kernel's check may run (None: ``kernel_timeout(samples)``)."""
    from nsl.compiler.jit.codegen import llvm_available

    if not llvm_available():
        print("kernel self-check skipped: llvmlite is not available (the kernels run their "
              "reference implementations)", file=sys.stderr)
        return True
    from nsl.compiler.jit.self_check import DEFAULT_SAMPLES, run_self_check

    _runtime_kernels()  # register the fixpoint family too (needs None: every family)

    results = run_self_check(needs, samples=samples or DEFAULT_SAMPLES, timeout=timeout,
                             on_result=lambda r: print(r.line(), file=sys.stderr, flush=True))
    failed = [r for r in results if not r.ok]
    for result in failed:
        print(f"error: kernel self-check failed for {result.kernel}: {result.reason}", file=sys.stderr)
    return not failed


def cmd_fmt(args) -> int:
    from nsl.lang.formatter import format_source

    text = _read(args.file)
    formatted = format_source(text, args.file)  # keeps the comments
    if args.check:
        if formatted != text:
            print(f"{args.file}: not formatted (run `nslc fmt -i {args.file}`)", file=sys.stderr)
            return 1
        return 0
    if args.in_place:
        if formatted != text:
            _write_atomically(args.file, formatted)
        return 0
    sys.stdout.write(formatted)
    return 0


def cmd_repl(args) -> int:
    from nsl.repl import run_repl
    return run_repl(args.file)


def _write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, so that a reader never
    sees half a file; a path that cannot be written (no such folder, a folder, no permission)
    is the user's error, naming the path."""
    import os
    import tempfile

    if os.path.isdir(path):  # os.replace would say so only after writing the whole text
        raise UsageError(f"cannot write '{path}': Is a directory")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".nslc-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes it 0600
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _mode_for(path: str) -> int:
    """The permissions ``path`` has (``fmt -i`` keeps them), or those a new file gets."""
    import os
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
