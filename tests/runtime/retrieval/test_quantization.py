"""Symmetric int8 quantization: ranges, round trips, query folding."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nsl.runtime.retrieval.quantization import Quantizer, row_stride

finite = st.floats(-1e4, 1e4, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 20), st.integers(1, 70)), elements=finite),
       st.sampled_from(["vector", "dimension", "global"]))
def test_rows_round_trip_within_half_a_step(vectors, scheme):
    q = Quantizer.fit(vectors, scheme, row_stride(vectors.shape[1]))
    codes, row_scale = q.quantize_rows(vectors)
    assert codes.shape == (len(vectors), q.stride) and codes.dtype == np.uint8
    signed = codes.astype(np.int16) - 128
    assert signed.min() >= -127 and signed.max() <= 127  # symmetric: -128 never used
    assert (signed[:, q.dim:] == 0).all()
    step = row_scale[:, None] * (q.dim_scale[None, :] if q.dim_scale is not None else 1)
    error = np.abs(q.dequantize_rows(codes, row_scale) - vectors)
    assert (error <= step * 0.5001 + 1e-30).all()


def test_per_vector_scale_uses_the_full_range_of_every_row():
    vectors = np.array([[0.001, -0.002], [300.0, 150.0]], np.float32)
    q = Quantizer.fit(vectors, "vector", 64)
    codes, _ = q.quantize_rows(vectors)
    assert (np.abs(codes.astype(int) - 128).max(axis=1) == 127).all()


def test_zero_rows_and_queries_are_safe():
    q = Quantizer.fit(np.zeros((2, 3), np.float32), "vector", 64)
    codes, scale = q.quantize_rows(np.zeros((2, 3), np.float32))
    assert (codes[:, :3] == 128).all() and (scale == 1).all()
    qcodes, qscale = q.quantize_queries(np.zeros((1, 3), np.float32))
    assert (qcodes == 0).all() and qscale[0] == 1


def test_dimension_scales_fold_into_the_query():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((200, 16)).astype(np.float32) * np.arange(1, 17, dtype=np.float32)
    q = Quantizer.fit(vectors, "dimension", 64)
    codes, row_scale = q.quantize_rows(vectors)
    query = rng.standard_normal((1, 16)).astype(np.float32)
    qcodes, qscale = q.quantize_queries(query)
    approx = (codes[:, :16].astype(np.float32) - 128) @ qcodes[0, :16].astype(np.float32) * qscale[0]
    exact = vectors @ query[0]
    assert np.corrcoef(approx, exact)[0, 1] > 0.999


def test_later_rows_beyond_the_build_range_are_clipped_not_wrapped():
    q = Quantizer.fit(np.array([[1.0, 1.0]], np.float32), "global", 64)
    codes, _ = q.quantize_rows(np.array([[50.0, -50.0]], np.float32))
    assert list(codes[0, :2].astype(int) - 128) == [127, -127]


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="scale scheme"):
        Quantizer.fit(np.zeros((1, 2), np.float32), "nibble", 64)
