"""Suite-wide setup: the JIT's disk cache lives in a temporary directory per session.

Set in the environment, so the ``nslc`` and Python subprocesses the tests start use
it too: no test writes to the real ``~/.cache`` or depends on an earlier run. Running
the suite with ``NSL_JIT_CACHE=off`` keeps the cache off instead.
"""
import os
import shutil
import tempfile

_CACHE_OFF = {"off", "0", "false", "no"}
_session_cache = None


def pytest_configure(config):
    global _session_cache
    if os.environ.get("NSL_JIT_CACHE", "").strip().lower() in _CACHE_OFF:
        return
    _session_cache = tempfile.mkdtemp(prefix="nsl-jit-cache-")
    os.environ["NSL_JIT_CACHE"] = _session_cache


def pytest_unconfigure(config):
    if _session_cache is not None:
        shutil.rmtree(_session_cache, ignore_errors=True)
