"""``python -m bench knn``: int8 knn scan — NSL's JIT kernels vs faiss, numpy, torch.

For each N × d, batch size and thread count: queries/s, GB/s of vector data
scanned (what each query logically reads: N·d bytes for int8, 4·N·d for
float32), that rate over a measured stream-read bandwidth line for the same
bytes (the fastest JIT-compiled loop that only loads them, as 1 to 8
interleaved streams), and recall@10 against exact
float32 search. Peers not installed are skipped, and said so.

The line is read before the first measurement and after each one. ``×line``
divides by the best reading of the whole run (a peer measured while the
machine's bandwidth dipped gets no credit for the dip); ``×adj`` divides by
the better of the two readings taken just before and just after that
measurement, for machines whose bandwidth drifts from minute to minute.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

PEERS = ("nsl", "nsl-rerank", "faiss-sq8-direct", "faiss-sq8", "faiss-flat", "numpy", "torch")
K = 10


def main(argv=None) -> int:
    args = _parse(argv)
    import numpy as np

    if args.schemes:
        from bench.knn_recall import print_scheme_recall
        rows = [row for n in args.sizes for d in args.dims for row in print_scheme_recall(n, d)]
        if args.json:
            with open(args.json, "w") as out:
                json.dump(rows, out, indent=1)
        return 0

    rows_out = []
    for n in args.sizes:
        for d in args.dims:
            rng = np.random.default_rng(0)
            data = _clustered(rng, n, d)
            queries = _clustered(rng, max(args.batches), d, centers_seed=0)
            truth = _exact_top(data, queries)
            for threads in args.threads:
                # The line is re-measured after every measurement; ×line uses
                # the best reading, so a busy moment on a shared machine cannot
                # flatter it; rows are printed once it is final.
                measure_line = stream_reader(n * d, threads, args.min_time)
                lines, rows = [measure_line()], []
                for peer in args.peers:
                    runner = _make_runner(peer, data, threads)
                    if isinstance(runner, str):
                        rows.append(dict(peer=peer, skipped=runner))
                        continue
                    print(f"  measuring {peer} (N={n} d={d} threads={threads})", file=sys.stderr)
                    for batch in args.batches:
                        q = queries[:batch]
                        # recall over every query, asked `batch` at a time
                        ids = np.concatenate([runner(queries[i:i + batch])
                                              for i in range(0, len(queries), batch)])
                        before = measure_line()
                        seconds = _best_time(lambda: runner(q), args.min_time)
                        lines += [before, measure_line()]
                        qps = batch / seconds
                        scanned = qps * n * d * (1 if peer.startswith(("nsl", "faiss-sq8")) else 4)
                        rows.append(dict(peer=peer, n=n, d=d, threads=threads, batch=batch,
                                         qps=qps, gbps=scanned / 1e9, recall=_recall(ids, truth),
                                         adjacent_line_gbps=max(lines[-2:])))
                    del runner
                line = max(lines)
                print(f"\n== N={n} d={d} threads={threads}: int8 stream read {line:.1f} GB/s "
                      f"({n * d / 1e6:.0f} MB; best of {len(lines)} readings around the measurements)")
                print(f"{'peer':18} {'batch':>5} {'q/s':>10} {'GB/s':>8} {'×line':>6} {'×adj':>6} "
                      f"{'recall@10':>9}")
                for row in rows:
                    if "skipped" in row:
                        print(f"{row['peer']:18} skipped: {row['skipped']}")
                        continue
                    row["line_gbps"] = line
                    rows_out.append(row)
                    print(f"{row['peer']:18} {row['batch']:5d} {row['qps']:10.1f} {row['gbps']:8.1f} "
                          f"{row['gbps'] / line:6.2f} {row['gbps'] / row['adjacent_line_gbps']:6.2f} "
                          f"{row['recall']:9.3f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows_out, out, indent=1)
    return 0


def _parse(argv):
    ints = lambda text: [int(float(x)) for x in text.split(",")]  # noqa: E731
    parser = argparse.ArgumentParser(prog="python -m bench knn", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=ints, default=[100_000, 1_000_000])
    parser.add_argument("--dims", type=ints, default=[128, 384])
    parser.add_argument("--batches", type=ints, default=[1, 64])
    parser.add_argument("--threads", type=ints, default=[1, 2])
    parser.add_argument("--peers", type=lambda t: t.split(","), default=list(PEERS))
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="N=100k, d=128 only")
    parser.add_argument("--schemes", action="store_true",
                        help="only measure recall of the int8 scale schemes (no timings)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: time by the process's CPU time, for a machine shared with "
                             "other jobs (meaningful with --threads 1 only)")
    args = parser.parse_args(argv)
    global _clock
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.quick:
        args.sizes, args.dims = [100_000], [128]
    unknown = set(args.peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}; choose from {', '.join(PEERS)}")
    return args


def _clustered(rng, n, d, centers_seed=0):
    """Embedding-like data: points around 1000 random centres (pure Gaussian
    noise has no neighbours worth finding), in chunks to bound memory."""
    import numpy as np

    centers = np.random.default_rng(centers_seed + 1).standard_normal((1000, d)).astype(np.float32)
    out = np.empty((n, d), np.float32)
    for start in range(0, n, 200_000):
        stop = min(n, start + 200_000)
        pick = rng.integers(0, len(centers), stop - start)
        out[start:stop] = centers[pick] + 0.6 * rng.standard_normal((stop - start, d), np.float32)
    return out


def _exact_top(data, queries):
    import numpy as np

    best = np.empty((len(queries), K), np.int64)
    scores = queries @ data.T
    best[:] = np.argsort(-scores, axis=1)[:, :K]
    return best


def _recall(ids, truth):
    import numpy as np
    return float(np.mean([len(set(a[:K]) & set(b)) / K for a, b in zip(ids, truth)]))


_clock = time.perf_counter


def _best_time(fn, min_time):
    """The fastest of repeated runs (at least 3, at least ``min_time`` in all)."""
    best, spent, runs = float("inf"), 0.0, 0
    while spent < min_time or runs < 3:
        start = _clock()
        fn()
        elapsed = _clock() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best


def _make_runner(peer, data, threads):
    """A function queries → ids [B, K], or a string saying why the peer is skipped."""
    import numpy as np

    if peer in ("nsl", "nsl-rerank"):
        from nsl.runtime.retrieval import VectorIndex
        index = VectorIndex.build(data, "ip", keep_vectors=peer == "nsl-rerank")
        rerank = 4 if peer == "nsl-rerank" else None
        return lambda q: index.search(q, K, rerank=rerank, threads=threads)[0]
    if peer.startswith("faiss"):
        try:
            import faiss
        except ImportError:
            return "faiss-cpu is not installed (pip install faiss-cpu)"
        faiss.omp_set_num_threads(threads)
        d = data.shape[1]
        if peer == "faiss-flat":
            index = faiss.IndexFlatIP(d)
            index.add(data)
            return lambda q: index.search(q, K)[1]
        if peer == "faiss-sq8":
            index = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit,
                                               faiss.METRIC_INNER_PRODUCT)
            index.train(data)
            index.add(data)
            return lambda q: index.search(q, K)[1]
        # direct_signed stores round(x) + 128: give it codes we quantized (one
        # global scale: it has no per-row scale) and queries scaled to ±127.
        scale = np.abs(data).max() / 127
        index = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit_direct_signed,
                                           faiss.METRIC_INNER_PRODUCT)
        index.add(np.rint(data / scale).astype(np.float32))

        def search(q):
            q = q * (127 / np.abs(q).max(axis=1, keepdims=True))
            return index.search(np.rint(q).astype(np.float32), K)[1]
        return search
    if peer == "numpy":
        try:
            from threadpoolctl import threadpool_limits
            threadpool_limits(threads)
        except ImportError:
            print("numpy: BLAS threads not limited (pip install threadpoolctl)")

        def search(q):
            scores = q @ data.T
            part = np.argpartition(-scores, K, axis=1)[:, :K]
            order = np.argsort(-np.take_along_axis(scores, part, 1), axis=1)
            return np.take_along_axis(part, order, 1)
        return search
    if peer == "torch":
        try:
            import torch
        except ImportError:
            return "torch is not installed"
        torch.set_num_threads(threads)
        table = torch.from_numpy(data)
        return lambda q: torch.topk(torch.from_numpy(q) @ table.T, K, dim=1).indices.numpy()
    raise ValueError(peer)


STREAM_COUNTS = (1, 2, 4, 8)


def stream_ir(streams: int) -> str:
    """``i64 @stream_read_s{streams}(ptr p, i64 n)``: reads ``n`` bytes (a
    multiple of 128·streams) as ``streams`` equal parts interleaved 128 bytes at
    a time, XOR-folding them so nothing is optimised away."""
    lines = [f"define i64 @stream_read_s{streams}(ptr %p, i64 %n) nounwind {{",
             "entry:",
             f"  %part = udiv i64 %n, {streams}",
             "  br label %loop",
             "loop:",
             "  %i = phi i64 [0, %entry], [%next, %loop]",
             f"  %acc = phi <32 x i8> [zeroinitializer, %entry], [%a{streams}_3, %loop]"]
    previous = "%acc"
    for s in range(streams):
        lines.append(f"  %base{s} = mul i64 %part, {s}")
        lines.append(f"  %start{s} = add i64 %base{s}, %i")
        for c in range(4):
            lines += [f"  %o{s}_{c} = add i64 %start{s}, {32 * c}",
                      f"  %p{s}_{c} = getelementptr i8, ptr %p, i64 %o{s}_{c}",
                      f"  %v{s}_{c} = load <32 x i8>, ptr %p{s}_{c}, align 32",
                      f"  %a{s + 1}_{c} = xor <32 x i8> {previous}, %v{s}_{c}"]
            previous = f"%a{s + 1}_{c}"
    lines += ["  %next = add i64 %i, 128",
              "  %more = icmp ult i64 %next, %part",
              "  br i1 %more, label %loop, label %done",
              "done:",
              f"  %w = bitcast <32 x i8> {previous} to <4 x i64>",
              "  %r = extractelement <4 x i64> %w, i32 0",
              "  ret i64 %r",
              "}"]
    return "\n".join(lines) + "\n"



def stream_reader(n_bytes: int, threads: int, min_time: float):
    """A function returning the GB/s of the fastest JIT loop that only reads
    ``n_bytes`` of int8 (the roofline): per thread, the best of reading its
    part as 1, 2, 4 or 8 interleaved sequential streams (one core's DRAM
    bandwidth grows with the streams in flight), from the same kind of
    huge-page buffer the index keeps its codes in."""
    import ctypes
    from concurrent.futures import ThreadPoolExecutor

    from nsl.compiler.jit import get_codegen
    from nsl.runtime.retrieval.storage import scan_buffer

    codegen = get_codegen()
    library = codegen.create_library("bench_stream_read")
    library.add_ir(codegen.ir_header() + "".join(stream_ir(s) for s in STREAM_COUNTS))
    readers = [library.get_function(f"stream_read_s{s}", ctypes.c_int64, ctypes.c_void_p,
                                    ctypes.c_int64) for s in STREAM_COUNTS]
    unit = 128 * max(STREAM_COUNTS) * threads
    n_bytes = -(-n_bytes // unit) * unit
    buffer = scan_buffer((n_bytes + 64,), "uint8")
    buffer[:] = 1
    base = buffer.ctypes.data + (-buffer.ctypes.data) % 32
    part = n_bytes // threads

    def measure() -> float:
        best = float("inf")
        with ThreadPoolExecutor(threads) as pool:
            for read in readers:
                if threads == 1:  # in this thread: --clock cpu then times the read itself
                    def once():
                        read(base, part)
                else:
                    def once():
                        list(pool.map(lambda t: read(base + t * part, part), range(threads)))
                best = min(best, _best_time(once, min_time / len(readers)))
        return n_bytes / best / 1e9
    measure.keep_alive = (library, buffer)  # the code and the bytes it reads
    return measure


if __name__ == "__main__":
    raise SystemExit(main())
