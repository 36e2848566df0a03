"""The native query preparation of the knn kernels (``knn_ir_queries``) against
numpy: quantization as ``Quantizer.quantize_queries`` does it, each ISA's
encoding as ``Isa.encode_queries`` does it, and the per-query constants spread
over the register blocks' lanes."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.runtime.retrieval.quantization import Quantizer, row_stride
from tests.compiler.jit.test_knn_kernels import EMULATED_SUFFIX, VARIANTS

NATIVE = [v for v in VARIANTS if v != "torch"]
pytestmark = pytest.mark.skipif(not NATIVE, reason="llvmlite is not available")

# magnitudes from subnormal to near the float32 limit, and exact zeros
VALUES = st.one_of(
    st.floats(-1e3, 1e3, width=32),
    st.sampled_from([0.0, -0.0, 1.4e-45, -1.4e-45, 1e-40, 3.0e38, -3.0e38, 0.5, -0.5, 1.5, 2.5]),
    st.floats(-2.0**100, 2.0**100, width=32))


def kernels_of(variant: str, stride: int):
    if variant.endswith(EMULATED_SUFFIX):
        from nsl.compiler.jit.knn_emulation import emulated_kernels
        return emulated_kernels(variant[:-len(EMULATED_SUFFIX)], stride)
    from nsl.compiler.jit.knn_kernels import get_kernels
    return get_kernels(stride, variant)


def expected_lanes(batch, scales, biases):
    """Per segment: lane P of block g holds query j0 + g·QB + P // RB."""
    out = []
    for (qb, rb), j0, count in batch.kernels.plan(batch.n_queries):
        index = (np.arange(0, count, qb)[:, None] + np.arange(qb * rb)[None, :] // rb + j0).ravel()
        out.append((scales[index], biases[index]))
    return out


def check_batch(batch, codes, scales):
    """``batch`` holds exactly ``codes``/``scales`` (then zero padding), encoded as numpy does."""
    n = batch.n_queries
    assert np.array_equal(batch.signed[:n], codes)
    assert not batch.signed[n:].any()
    assert np.array_equal(batch.scales[:n].view(np.int32), scales.view(np.int32))  # bit for bit
    assert not batch.scales[n:].any()
    encoded, biases = batch.kernels.isa.encode_queries(batch.signed)
    assert np.array_equal(batch.encoded, encoded)
    assert np.array_equal(batch.biases, biases)
    for (lane_scale, lane_bias), (want_scale, want_bias) in zip(batch._lanes, expected_lanes(batch, batch.scales, biases)):
        assert np.array_equal(lane_scale, want_scale)
        assert np.array_equal(lane_bias, want_bias)


@pytest.mark.parametrize("variant", NATIVE)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_native_quantization_and_encoding_match_numpy(variant, data):
    dim = data.draw(st.integers(1, 200), label="dim")
    n = data.draw(st.integers(1, 9), label="n")
    rows = st.lists(VALUES, min_size=dim, max_size=dim)
    queries = np.array(data.draw(st.lists(rows, min_size=n, max_size=n), label="queries"), np.float32)
    dim_scale = None
    if data.draw(st.booleans(), label="dimension scales"):
        scale_values = st.floats(2.0**-20, 2.0**20, width=32) | st.sampled_from([1.4e-45, 1.0])
        dim_scale = np.array(data.draw(st.lists(scale_values, min_size=dim, max_size=dim)), np.float32)
        queries = np.clip(queries, -2.0**100, 2.0**100)  # q·s stays finite, as fitted scales keep it
    factor = data.draw(st.sampled_from([1.0, 2.0]), label="factor")
    stride = row_stride(dim)
    codes, scales = Quantizer(dim, stride, "vector" if dim_scale is None else "dimension",
                              dim_scale).quantize_queries(queries)
    batch = kernels_of(variant, stride).batch(n)
    batch.load_floats(np.ascontiguousarray(queries), dim_scale, factor)
    check_batch(batch, codes, scales * np.float32(factor))


@pytest.mark.parametrize("variant", NATIVE)
@pytest.mark.parametrize("n", [1, 2, 3, 5, 64, 67])
def test_int8_queries_are_encoded_as_numpy_does(variant, n):
    rng = np.random.default_rng(n)
    stride = 192
    codes = rng.integers(-127, 128, (n, stride)).astype(np.int8)
    codes[0] = 127 if n % 2 else -127  # the extremes
    scales = (rng.random(n) + 0.25).astype(np.float32)
    batch = kernels_of(variant, stride).batch(n)
    batch.load(codes, scales)
    check_batch(batch, codes, scales)


@pytest.mark.parametrize("variant", NATIVE)
def test_a_reused_batch_forgets_the_previous_queries(variant):
    """Buffers are kept between scans: a second, smaller-magnitude load must
    leave nothing of the first behind (padding included)."""
    stride = 64
    kernels = kernels_of(variant, stride)
    batch = kernels.batch(3)
    batch.load_floats(np.full((3, 50), -7.0, np.float32), None, 1.0)
    queries = np.zeros((3, 50), np.float32)
    queries[1, 3] = 2.0
    batch.load_floats(queries, None, 1.0)
    codes, scales = Quantizer(50, stride).quantize_queries(queries)
    check_batch(batch, codes, scales)


@pytest.mark.parametrize("variant", NATIVE)
def test_zero_and_subnormal_queries_get_the_safe_scales(variant):
    """An all-zero query gets scale 1; one whose max|q| / 127 underflows keeps the
    smallest positive float32 as its scale (and codes clipped to ±127)."""
    queries = np.zeros((4, 40), np.float32)
    queries[1, 0] = -0.0
    queries[2, :3] = [1.4e-45, -2.8e-45, 0.0]
    queries[3, 5] = 1e-39
    codes, scales = Quantizer(40, 64).quantize_queries(queries)
    assert scales[0] == 1.0 and scales[2] == np.float32(1.4e-45)  # both safeguards in play
    batch = kernels_of(variant, 64).batch(4)
    batch.load_floats(queries, None, 2.0)
    check_batch(batch, codes, scales * np.float32(2.0))


def test_only_small_batches_keep_their_buffers():
    from nsl.compiler.jit.knn_kernels import MAX_KEPT_BATCH
    kernels = kernels_of(NATIVE[0], 64)
    assert kernels.batch(3) is kernels.batch(3)
    assert kernels.batch(MAX_KEPT_BATCH + 1) is not kernels.batch(MAX_KEPT_BATCH + 1)
