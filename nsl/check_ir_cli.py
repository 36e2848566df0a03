"""``nslc check-ir REF.ll [CAND.ll]``: IR translation checks from the shell.

Thin: arguments in, :func:`nsl.compiler.check_ir.check_ir` called, the result
printed (``--json``: exactly the documented object; ``invalid-ir`` otherwise
as a ``file:line:col: error:`` diagnostic with the source line and a caret
on stderr). The whole check is bounded by ``--timeout`` (see
:mod:`nsl.compiler.check_ir.deadline`). Exit status: 0 for
equivalent, refines and unknown (the reason is printed), 1 for
counterexample and invalid-ir, so a failing translation fails a script;
2 for usage errors. Heavy imports happen inside :func:`run`.
"""
from __future__ import annotations

from nsl.cli_types import int_at_least, positive_seconds

EXIT_BY_VERDICT = {"equivalent": 0, "refines": 0, "unknown": 0, "counterexample": 1,
                   "invalid-ir": 1}


def register(subparsers) -> None:
    """Add the ``check-ir`` subcommand."""
    parser = subparsers.add_parser(
        "check-ir", help="check that a candidate LLVM IR function behaves like a reference",
        description="Compare two LLVM IR functions: native differential testing, then an SMT "
                    "proof (poison and UB tracked) for the integer subset. One file defining "
                    "@src and @tgt is checked as reference and candidate.")
    parser.add_argument("reference", metavar="REF.ll")
    parser.add_argument("candidate", metavar="CAND.ll", nargs="?",
                        help="omit when REF.ll defines @src and @tgt")
    parser.add_argument("--function", "-f", metavar="F",
                        help="the function to compare (optional when each file defines one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--mode", choices=("refine", "equiv"), default="refine",
                        help="refine: the candidate may be more defined (default); "
                             "equiv: refinement both ways is required")
    parser.add_argument("--unroll", type=int_at_least(0), default=8, metavar="K",
                        help="loop iterations unrolled by the proof (default 8)")
    parser.add_argument("--samples", type=int_at_least(0), default=100_000, metavar="N",
                        help="random and boundary inputs when not exhaustive (default 100000)")
    parser.add_argument("--timeout", type=positive_seconds, default=20.0, metavar="S",
                        help="seconds for the whole check (default 20)")
    parser.set_defaults(func=run)


def run(args) -> int:
    import json
    import sys

    from nsl.compiler.check_ir.api import check_ir
    from nsl.compiler.check_ir.deadline import CheckTimeout, hard_deadline, timed_out_result
    from nsl.compiler.check_ir.module_loader import invalid_ir_context

    try:
        with hard_deadline(args.timeout) as clock:
            result = check_ir(args.reference, args.candidate, function=args.function,
                              mode=args.mode, unroll=args.unroll, samples=args.samples,
                              timeout=args.timeout)
    except CheckTimeout:
        result = timed_out_result(clock)
    if args.json:
        print(json.dumps(result.to_json()))
    elif result.verdict == "invalid-ir":
        # the verdict on stdout, the diagnostic (line and caret) on stderr
        paths = [p for p in (args.reference, args.candidate) if p]
        print("invalid-ir")
        print((result.reason or "error: invalid IR")
              + invalid_ir_context(result.reason or "", paths), file=sys.stderr)
    else:
        print(result.render())
    return EXIT_BY_VERDICT[result.verdict]
