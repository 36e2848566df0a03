"""``nslc index build|add|search|info``: persistent int8 vector indexes from the shell.

Thin: ``.npy`` files in, :class:`nsl.runtime.retrieval.VectorIndex` called,
results printed (``--json`` for scripts). A bad input file or index is one
line, ``PATH: error: message``, exit 1; a bad invocation exits 2. numpy and
the index are imported inside :func:`run`, so ``nslc --help`` stays light.
"""
from __future__ import annotations


from nsl.cli_types import int_at_least

METRICS = ("ip", "cosine", "l2")
SCALES = ("vector", "dimension", "global")
_BUSY = "is open for writing by another process; try again when it is done"


def register(subparsers) -> None:
    """Add the ``index`` subcommand and its build/add/search/info actions."""
    parser = subparsers.add_parser(
        "index", help="build, extend and query persistent int8 vector indexes",
        description="Persistent vector indexes: symmetric int8 codes scanned by JIT-compiled "
                    "kernels, appends made durable by a write-ahead log.")
    actions = parser.add_subparsers(dest="index_action", metavar="ACTION",
                                    parser_class=type(parser))
    actions.required = True

    build = actions.add_parser("build", help="create an index from a .npy matrix")
    build.add_argument("out", metavar="OUT", help="index directory to create")
    build.add_argument("--from", dest="source", required=True, metavar="VECTORS.npy")
    build.add_argument("--metric", choices=METRICS, default="ip")
    build.add_argument("--scale", choices=SCALES, default="vector",
                       help="int8 scale per vector (default), per dimension, or one global")
    build.add_argument("--ids", metavar="IDS.npy", help="int64 ids, one per row (default 0..n-1)")
    build.add_argument("--keep-vectors", action="store_true",
                       help="also store float32 vectors, for exact re-ranking")
    build.add_argument("--force", action="store_true", help="replace an existing index")

    add = actions.add_parser("add", help="append vectors (durable when the command returns)")
    add.add_argument("out", metavar="INDEX")
    add.add_argument("--from", dest="source", required=True, metavar="VECTORS.npy")
    add.add_argument("--ids", metavar="IDS.npy")
    add.add_argument("--checkpoint", action="store_true",
                     help="fold the write-ahead log into the data file afterwards")

    search = actions.add_parser("search", help="k nearest rows for each query")
    search.add_argument("out", metavar="INDEX")
    search.add_argument("--queries", required=True, metavar="QUERIES.npy")
    search.add_argument("-k", type=int_at_least(1), default=10)
    search.add_argument("--rerank", type=int_at_least(1), metavar="R",
                        help="re-score the best R·k candidates exactly (needs --keep-vectors)")
    search.add_argument("--threads", type=int_at_least(1))
    search.add_argument("--json", action="store_true", help="print one JSON object")

    info = actions.add_parser("info", help="describe an index")
    info.add_argument("out", metavar="INDEX")
    info.add_argument("--json", action="store_true")

    parser.set_defaults(func=run)


def run(args) -> int:
    """Dispatch to the action; library errors become ``PATH: error: message``."""
    from pathlib import Path

    from nsl.runtime.retrieval import CorruptIndexError, IndexBusyError, RetrievalError

    if args.index_action != "build" and not Path(args.out).exists():
        _fail(args.out, "no such index")
    action = {"build": _build, "add": _add, "search": _search, "info": _info}[args.index_action]
    try:
        return action(args)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): not an error of the index; main() handles it
    except IndexBusyError:
        _fail(args.out, _BUSY)
    except (CorruptIndexError, RetrievalError, OSError) as exc:
        # an OSError names the file it is about (wal.log, data.nsl8), not just the index
        _fail(getattr(exc, "nsl_path", None) or getattr(exc, "filename", None) or args.out,
              _message(exc))


def _build(args) -> int:
    from pathlib import Path

    from nsl.runtime.retrieval import VectorIndex
    from nsl.runtime.retrieval.index import DATA_FILE

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        _fail(args.out, "exists and is not a directory")
    if (out / DATA_FILE).exists() and not args.force:
        _fail(args.out, "an index already exists here (use --force to replace it)")
    if out.is_dir() and not (out / DATA_FILE).exists() and any(out.iterdir()) and not args.force:
        # the index's files would land next to someone else's
        _fail(args.out, "is a directory that is not empty and holds no index; choose a new "
                        "or empty directory (or use --force to write the index into it)")
    vectors = _load_vectors(args.source, allow_empty=True)
    if len(vectors) == 0 and args.scale != "vector":
        _fail(args.source, f"contains no vectors, and --scale {args.scale} fixes its scales from "
                           "the build vectors; build an empty index with --scale vector")
    ids = _load_ids(args.ids, len(vectors)) if args.ids else None
    with _blame(args.source, ids=args.ids):
        index = VectorIndex.build(vectors, args.metric, ids=ids, scale=args.scale,
                                  keep_vectors=args.keep_vectors)
    # save() takes the log's lock (refusing while a writer holds it) and empties
    # the replaced index's log before the new data file appears
    index.save(out)
    print(f"built {out}: {len(index)} rows, dim {index.dim}, metric {index.metric}")
    return 0


def _add(args) -> int:
    from nsl.runtime.retrieval import VectorIndex

    index = VectorIndex.open(args.out)
    if not index.writable:
        _fail(args.out, _BUSY)
    _warn_log_damage(args.out, index)
    vectors = _load_vectors(args.source)
    ids = _load_ids(args.ids, len(vectors)) if args.ids else None
    with _blame(args.source, ids=args.ids):
        added = index.add(vectors, ids)
    if args.checkpoint:
        index.save()
    index.close()
    print(f"added {len(added)} rows to {args.out}: {len(index)} rows")
    return 0


def _search(args) -> int:
    import json
    import math

    from nsl.runtime.retrieval import VectorIndex

    index = VectorIndex.open(args.out, read_only=True)
    _warn_log_damage(args.out, index)
    if args.rerank and not index.keep_vectors:
        _fail(args.out, "built without --keep-vectors, so it cannot --rerank")
    queries = _load_vectors(args.queries)
    with _blame(args.queries):
        # slots past the index size would be empty, and empty slots are not printed
        ids, scores = index.search(queries, min(args.k, len(index)), rerank=args.rerank,
                                   threads=args.threads)
    if args.json:
        # the index saturates scores, so none should be infinite; null keeps the JSON valid if one is
        rows = [[{"id": int(i), "score": float(s) if math.isfinite(s) else None}
                 for i, s in zip(id_row, score_row) if i >= 0]
                for id_row, score_row in zip(ids, scores)]
        print(json.dumps({"metric": index.metric, "k": args.k, "results": rows}, allow_nan=False))
        return 0
    for q, (id_row, score_row) in enumerate(zip(ids, scores)):
        hits = " ".join(f"{int(i)}:{float(s):.6g}" for i, s in zip(id_row, score_row) if i >= 0)
        print(f"{q}\t{hits}")
    return 0


def _info(args) -> int:
    import json

    from nsl.runtime.retrieval import VectorIndex

    index = VectorIndex.open(args.out, read_only=True)
    _warn_log_damage(args.out, index)
    info = index.info()
    index.close()
    if args.json:
        print(json.dumps(info, sort_keys=True))
    else:
        for key in sorted(info):
            print(f"{key}: {info[key]}")
    return 0


def _load_vectors(path: str, allow_empty: bool = False):
    """A 2-d numeric array from a .npy file, or one clear error line. ``allow_empty``:
    ``0 × d`` is fine (``build`` makes an empty index of dimension d, as the library
    and programs do); adding or searching nothing is more likely a mistake."""
    import numpy as np

    array = _load_npy(path)
    if array.ndim != 2:
        _fail(path, f"expected a 2-d array of vectors, got shape {array.shape}")
    if array.shape[1] == 0:
        _fail(path, f"holds vectors of dimension 0 (shape {array.shape})")
    if array.shape[0] == 0 and not allow_empty:
        _fail(path, "contains no vectors")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        _fail(path, f"expected numbers, got dtype {array.dtype}")
    from nsl.runtime.retrieval.index import float32_rows

    with _blame(path):
        return float32_rows(array)


def _load_ids(path: str, count: int):
    import numpy as np

    from nsl.runtime.retrieval.index import as_ids

    array = _load_npy(path)
    if array.shape != (count,) or not np.issubdtype(array.dtype, np.integer):
        _fail(path, f"expected {count} integer ids, got {array.dtype} array of shape {array.shape}")
    with _blame(path):
        return as_ids(array, count)


def _load_npy(path: str):
    import os

    import numpy as np

    try:
        if os.path.getsize(path) == 0:
            _fail(path, "empty file")
        with open(path, "rb") as f:
            if f.read(6) != b"\x93NUMPY":
                _fail(path, "not a .npy file (no NumPy header)")
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        _fail(path, "no such file")
    except IsADirectoryError:
        _fail(path, "is a directory, expected a .npy file")
    except PermissionError:
        _fail(path, "permission denied")
    except (ValueError, OSError, EOFError) as exc:
        _fail(path, f"damaged or unsupported .npy file ({_message(exc)})")


def _warn_log_damage(out: str, index) -> None:
    """Say on stderr what the index's open found after the log's last intact record."""
    import sys

    damage = index.log_damage
    if damage is None:
        return
    what = (f"the last record of the log ({damage['bytes']} bytes from byte {damage['offset']}) "
            "is incomplete or fails its checksum")
    if damage["cut"]:
        note = ("; it was cut off. A crash mid-append leaves such a record and never "
                "acknowledges it; if no writer crashed, acknowledged rows were lost")
    else:
        note = "; it was skipped and left on disk (the next `nslc index add` cuts it)"
    print(f"{out}/wal.log: warning: {what}{note}", file=sys.stderr)


class _blame:
    """Attribute a RetrievalError raised inside the block to an input file: the ids
    file (``ids``, when given) for an error about ids, else ``path``."""

    def __init__(self, path: str, ids: str | None = None):
        self.path, self.ids = path, ids

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from nsl.runtime.retrieval import RetrievalError
        if isinstance(exc, RetrievalError):
            about_ids = self.ids and str(exc).startswith(("id ", "ids "))
            exc.nsl_path = self.ids if about_ids else self.path
        return False


def _message(exc: Exception) -> str:
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _fail(path: str, message: str):
    from nsl.lang.diagnostics import CompileError, Span, error
    raise CompileError([error(message, Span.unknown(str(path)))])
