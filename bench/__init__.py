"""NSL benchmarks: NSL side by side with its peers, one command per suite.

``python -m bench datalog|knn|check-ir [options]``. Timings live here and
never in ``tests/``; see ``bench/README.md`` and ``docs/benchmarks.md``.
"""
