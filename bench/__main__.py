"""``python -m bench SUITE [options]``: dispatch to ``bench.SUITE.main(argv)``.

Suites are imported lazily, so a suite that is missing (or whose module fails
to import) is reported as "not available" without affecting the others.
"""
from __future__ import annotations

import importlib
import sys

SUITES = {
    "datalog": "bench.datalog",
    "knn": "bench.knn",
    "check-ir": "bench.check_ir",
    "fixpoint": "bench.fixpoint_overhead",
}

USAGE = ("usage: python -m bench {" + ",".join(SUITES) + "} [options]\n"
         "       python -m bench SUITE --help   for a suite's options\n")


def main(argv: list[str] | None = None) -> int:
    """Run the suite named by the first argument with the remaining ones."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    suite, rest = argv[0], argv[1:]
    if suite not in SUITES:
        sys.stderr.write(f"unknown benchmark suite '{suite}'\n" + USAGE)
        return 2
    try:
        module = importlib.import_module(SUITES[suite])
    except ImportError as exc:
        # only a missing suite module is "not available"; a broken import inside it is a bug to show
        if getattr(exc, "name", None) != SUITES[suite]:
            raise
        sys.stderr.write(f"benchmark suite '{suite}' is not available ({SUITES[suite]} is missing)\n")
        return 2
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
