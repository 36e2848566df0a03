"""SIGKILL a writer in the middle of appends, many times: every acknowledged
vector must be there after reopening, and nothing else may be damaged."""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from nsl.runtime.retrieval import VectorIndex

DIM = 40
ROUNDS = 20

WRITER = r"""
import sys
import numpy as np
from nsl.runtime.retrieval import VectorIndex, wal

# Many small write() calls per record, so a kill often lands inside one
# (one write() is never torn by SIGKILL; a power cut could tear it anywhere).
wal.WRITE_CHUNK = 128

def vectors_for(ids):
    noise = np.sin(ids[:, None] * 12.9898 + np.arange(%(dim)d)[None, :] * 78.233) * 43758.5453
    return ((noise - np.floor(noise) - 0.5) * (1 + ids[:, None] %% 5)).astype(np.float32)

index = VectorIndex.open(sys.argv[1])
next_id = len(index)
batch = int(sys.argv[2])
while True:
    n = 1 + (batch * 337) %% 1500
    ids = np.arange(next_id, next_id + n, dtype=np.int64)
    index.add(vectors_for(ids), ids=ids)
    print(ids[-1], flush=True)  # acknowledged: add() returned
    next_id += n
    batch += 1
""" % {"dim": DIM}


def vectors_for(ids):
    # pseudo-random but a pure function of the id, so writer and checker agree
    noise = np.sin(ids[:, None] * 12.9898 + np.arange(DIM)[None, :] * 78.233) * 43758.5453
    return ((noise - np.floor(noise) - 0.5) * (1 + ids[:, None] % 5)).astype(np.float32)


def _run_and_kill(path, seed, rng):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        first = writer.stdout.readline()  # wait until it is appending
        assert first, writer.stderr.read().decode()
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        rest, _ = writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    acked = [int(line) for line in (first + rest).split()]
    return max(acked)


def test_acknowledged_appends_survive_sigkill(tmp_path):
    rng = random.Random(1234)
    ids = np.arange(5, dtype=np.int64)
    VectorIndex.build(vectors_for(ids), "l2", ids=ids, path=tmp_path).close()
    highest_acked, torn = 4, 0
    for round_ in range(ROUNDS):
        highest_acked = max(highest_acked, _run_and_kill(tmp_path, round_, rng))
        log_size = (tmp_path / "wal.log").stat().st_size
        index = VectorIndex.open(tmp_path)
        torn += (tmp_path / "wal.log").stat().st_size < log_size
        stored = index.ids.copy()
        # every acknowledged row is there, in order, once; rows past the last
        # acknowledgement may exist (durable but killed before printing)
        assert len(stored) > highest_acked
        np.testing.assert_array_equal(stored, np.arange(len(stored)))
        # and holds exactly what was written
        codes, scale = index.quantizer.quantize_rows(vectors_for(stored))
        np.testing.assert_array_equal(index._store.codes, codes)
        np.testing.assert_array_equal(index._store.row_scale, scale)
        decoded = index.quantizer.dequantize_rows(codes, scale).astype(np.float64)
        np.testing.assert_allclose(index._store.row_bias,
                                   -np.einsum("ij,ij->i", decoded, decoded), rtol=1e-6)
        found, _ = index.search(vectors_for(stored[-3:]), 1)
        np.testing.assert_array_equal(found[:, 0], stored[-3:])
        if round_ % 5 == 4:
            index.save()  # a checkpoint now and then: the log restarts empty
        index.close()
    print(f"{torn} of {ROUNDS} kills left a torn record")  # shown with pytest -s
