"""Every knn kernel variant against the numpy reference, on random shapes.

The variants are the torch path, every instruction set this CPU runs, and the
VNNI ones it cannot run with ``vpdpbusd`` emulated (``knn_emulation``: the
exact runtime module with only that instruction replaced; the emulation itself
is tested in ``test_knn_vnni_emulated.py``)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsl.compiler.jit import knn_kernels
from nsl.compiler.jit.knn_kernels import ROW_ALIGN, knn_scan


# The obviously-correct scan every kernel is compared with: plain numpy, all
# scores, one full sort; same contract as knn_kernels.knn_scan.
def reference_scan(codes, row_scale, row_bias, queries, query_scale, k):
    n_rows, n_queries = codes.shape[0], queries.shape[0]
    signed_rows = codes.astype(np.int64) - 128
    dots = (queries.astype(np.int64) @ signed_rows.T).astype(np.int32)
    scores = (dots.astype(np.float32) * row_scale[None, :].astype(np.float32))
    bias = np.zeros(n_rows, np.float32) if row_bias is None else row_bias  # None: all zeros
    scores = scores * query_scale[:, None].astype(np.float32) + bias[None, :].astype(np.float32)
    rows = np.full((n_queries, k), -1, np.int64)
    top = np.full((n_queries, k), -np.inf, np.float32)
    for j in range(n_queries):  # test code: clarity over speed
        order = sorted(range(n_rows), key=lambda i: (-scores[j, i], i))[:k]
        rows[j, :len(order)] = order
        top[j, :len(order)] = scores[j, order]
    return rows, top


EMULATED_SUFFIX = "-emulated"


def _variants():
    out = ["torch"]
    try:
        from nsl.compiler.jit import get_codegen
        from nsl.compiler.jit.knn_isa import supported_isas
        native = supported_isas(get_codegen().enabled_features)
    except ImportError:
        return out
    out += native
    out += [name + EMULATED_SUFFIX for name in ("vnni512", "vnni256") if name not in native]
    return out


VARIANTS = _variants()


def scan(variant, codes, row_scale, row_bias, queries, query_scale, k, threads=1):
    """``knn_scan`` with ``variant`` forced; an emulated VNNI variant runs its
    kernels directly (``knn_scan`` only runs what the CPU can)."""
    if variant.endswith(EMULATED_SUFFIX):
        from nsl.compiler.jit.knn_emulation import emulated_kernels
        kernels = emulated_kernels(variant[:-len(EMULATED_SUFFIX)], codes.shape[1])
        return kernels.scan(codes, row_scale, row_bias, queries, query_scale, k, threads)
    return knn_scan(codes, row_scale, row_bias, queries, query_scale, k, threads=threads, isa=variant)


def _problem(rng, n_rows, dim, n_queries, code_range=256):
    stride = -(-max(dim, 1) // ROW_ALIGN) * ROW_ALIGN
    low = 128 - code_range // 2
    codes = rng.integers(low, low + code_range, (n_rows, stride)).astype(np.uint8)
    codes[:, dim:] = rng.integers(0, 256, (n_rows, stride - dim))  # padding: any bytes
    queries = np.zeros((n_queries, stride), np.int8)
    queries[:, :dim] = rng.integers(-127, 128, (n_queries, dim))
    row_scale = (rng.random(n_rows) + 0.25).astype(np.float32)
    row_bias = rng.standard_normal(n_rows).astype(np.float32)
    query_scale = (rng.random(n_queries) + 0.25).astype(np.float32)
    return codes, row_scale, row_bias, queries, query_scale


def _check(variant, problem, k, threads=1):
    rows, scores = scan(variant, *problem, k, threads=threads)
    want_rows, want_scores = reference_scan(*problem, k)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(scores, want_scores)
    assert rows.dtype == np.int64 and scores.dtype == np.float32


def _l2_biases(codes, row_scale, dim):
    """``-‖x‖²`` of the dequantized rows, as ``VectorIndex`` stores for l2."""
    x = (codes[:, :dim].astype(np.float32) - 128) * row_scale[:, None]
    return -(x * x).sum(axis=1).astype(np.float32)


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_rows=st.integers(0, 150), dim=st.integers(1, 200), n_queries=st.integers(1, 19),
       k=st.integers(1, 40), seed=st.integers(0, 2**32 - 1), narrow=st.booleans(),
       signs=st.sampled_from(["+", "-", "mixed"]),
       bias=st.sampled_from(["normal", "zero", "l2", "none"]))
def test_kernel_matches_reference(variant, n_rows, dim, n_queries, k, seed, narrow, signs, bias):
    # 1..19 queries reach every block, the lanes kernel (8 or 16 queries) and
    # the padded remainder, n_rows every row tail, dims above 128 the rolled
    # chunk loops; narrow codes (with unit scales) make equal scores common,
    # exercising the tie order
    rng = np.random.default_rng(seed)
    codes, row_scale, row_bias, queries, query_scale = _problem(
        rng, n_rows, dim, n_queries, code_range=3 if narrow else 256)
    if narrow:
        row_scale, query_scale = np.ones_like(row_scale), np.ones_like(query_scale)
    if signs == "-":  # every score negated: the ranking reverses
        row_scale = -row_scale
    elif signs == "mixed":
        row_scale = row_scale * rng.choice(np.float32([-1, 1]), n_rows)
        query_scale = query_scale * rng.choice(np.float32([-1, 1]), n_queries)
    if bias == "zero":
        row_bias = np.zeros_like(row_bias)
    elif bias == "l2":
        row_bias = _l2_biases(codes, row_scale, dim)
    elif bias == "none":  # the kernels that never read row biases
        row_bias = None
    _check(variant, (codes, row_scale, row_bias, queries, query_scale), k)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n_queries", [37, 64])
def test_large_batches(variant, n_queries):
    # many whole blocks (rows outside, queries inside), then a remainder
    problem = _problem(np.random.default_rng(n_queries), 150, 100, n_queries)
    _check(variant, problem, 10)


@pytest.mark.parametrize("variant", VARIANTS)
def test_equal_rows_rank_by_row_number(variant):
    codes, row_scale, row_bias, queries, query_scale = _problem(np.random.default_rng(7), 41, 50, 7)
    codes[:] = codes[0]
    problem = (codes, np.ones_like(row_scale), np.zeros_like(row_bias), queries, query_scale)
    rows, _ = scan(variant, *problem, 30)
    assert (rows == np.arange(30)).all()
    _check(variant, problem, 30)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_bias_keeps_the_sign_of_zero_scores_as_adding_zero_does(variant):
    # a negative scale turns a zero dot product into -0.0; the bias-free
    # kernels must still add +0.0 (giving +0.0), bit for bit like the reference
    rng = np.random.default_rng(11)
    codes, _, _, queries, query_scale = _problem(rng, 30, 64, 3)
    codes[:10] = 128  # x = 0: dot products of exactly zero
    row_scale = -np.ones(30, np.float32)
    rows, scores = scan(variant, codes, row_scale, None, queries, query_scale, 30)
    want_rows, want_scores = reference_scan(codes, row_scale, None, queries, query_scale, 30)
    np.testing.assert_array_equal(rows, want_rows)
    assert scores.view(np.int32).tolist() == want_scores.view(np.int32).tolist()


@pytest.mark.parametrize("variant", VARIANTS)
def test_k_larger_than_rows_pads_with_minus_one(variant):
    problem = _problem(np.random.default_rng(1), 5, 20, 3)
    rows, scores = scan(variant, *problem, 8)
    assert (rows[:, 5:] == -1).all() and np.isneginf(scores[:, 5:]).all()
    assert sorted(rows[0, :5]) == [0, 1, 2, 3, 4]
    _check(variant, problem, 8)


@pytest.mark.parametrize("variant", VARIANTS)
def test_empty_database_and_zero_k(variant):
    # (an emulated variant runs its kernels over the empty row range itself)
    problem = _problem(np.random.default_rng(2), 0, 16, 2)
    rows, scores = scan(variant, *problem, 3)
    assert rows.shape == (2, 3) and (rows == -1).all() and np.isneginf(scores).all()
    if variant.endswith(EMULATED_SUFFIX):
        return  # k = 0 is knn_scan's own early return
    rows, scores = knn_scan(*_problem(np.random.default_rng(2), 4, 16, 2), 0, isa=variant)
    assert rows.shape == (2, 0) and scores.shape == (2, 0)


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "torch"])
def test_wide_rows_use_the_rolled_chunk_loop(variant):
    problem = _problem(np.random.default_rng(3), 37, 2100, 6)  # stride 2112: 66 chunks a row
    _check(variant, problem, 5)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("code", [0, 1, 255])
@pytest.mark.parametrize("n_queries", [1, 6, 17])
@pytest.mark.parametrize("dim", [128, 2100])
def test_extreme_codes_and_queries_do_not_saturate(variant, code, n_queries, dim):
    # Byte 0 is x = -128 (never written by the quantizer, still a legal byte),
    # 1 and 255 are ±127: with queries of ±127 these give the largest pair
    # sums any 16-bit intermediate (vpmaddubsw, vpmaddwd) can meet, and at
    # d = 2100 the largest i32 sums. One query runs the single-query block,
    # six the batch blocks too, 17 the lanes kernel; 2100 the rolled chunk loop.
    rng = np.random.default_rng(code)
    codes, row_scale, row_bias, _, _ = _problem(rng, 40, dim, 1)
    codes[:20, :dim] = code
    queries = np.zeros((n_queries, codes.shape[1]), np.int8)
    queries[:, :dim] = np.where(rng.random((n_queries, dim)) < 0.5, -127, 127)
    queries[0, :dim] = 127 if code >= 128 else -127  # every pair at its extreme sum
    query_scale = np.ones(n_queries, np.float32)
    _check(variant, (codes, row_scale, row_bias, queries, query_scale), 25)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n_queries", [5, 19])  # 19: the lanes kernel in every part too
def test_threads_split_rows_and_merge_exactly(variant, n_queries, monkeypatch):
    monkeypatch.setattr(knn_kernels, "MIN_ROWS_PER_THREAD", 7)
    problem = _problem(np.random.default_rng(4), 101, 70, n_queries, code_range=4)
    _check(variant, problem, 12, threads=3)


@pytest.mark.parametrize("variant", VARIANTS)
def test_batch_and_remainder_blocks_agree_with_single_queries(variant):
    # 4m + r queries take the blocked kernel plus a remainder kernel (r = 1, 2, 3)
    problem = _problem(np.random.default_rng(5), 300, 128, 11)
    rows, scores = scan(variant, *problem, 7)
    for j in range(11):
        one = (*problem[:3], problem[3][j:j + 1], problem[4][j:j + 1])
        r1, s1 = scan(variant, *one, 7)
        np.testing.assert_array_equal(r1[0], rows[j])
        np.testing.assert_array_equal(s1[0], scores[j])


def test_unknown_or_unsupported_variant_is_refused():
    pytest.importorskip("llvmlite")
    from nsl.compiler.jit import get_codegen
    from nsl.compiler.jit.knn_isa import ISAS, supported_isas
    missing = [n for n in ISAS if n not in supported_isas(get_codegen().enabled_features)]
    if not missing:
        pytest.skip("this CPU supports every variant")
    with pytest.raises(ValueError, match="cannot run"):
        knn_scan(*_problem(np.random.default_rng(6), 3, 8, 1), 1, isa=missing[0])


def test_bad_stride_is_refused():
    codes = np.zeros((2, 10), np.uint8)
    with pytest.raises(ValueError, match="multiple"):
        knn_scan(codes, np.ones(2, np.float32), np.zeros(2, np.float32),
                 np.zeros((1, 10), np.int8), np.ones(1, np.float32), 1)


def test_batches_take_the_lanes_kernel_then_register_blocks_for_the_rest():
    pytest.importorskip("llvmlite")
    from nsl.compiler.jit.knn_emulation import emulated_kernels
    from nsl.compiler.jit.knn_isa import ISAS
    for name, lanes in (("avx2mask", 8), ("vnni256", 8), ("vnni512", 16)):
        isa = ISAS[name]
        assert isa.lanes == lanes and isa.lanes_block == (lanes, 1)
    kernels = emulated_kernels("vnni512", 64)
    assert kernels.plan(16 + 4 + 3) == [((16, 1), 0, 16), ((4, 4), 16, 4), ((4, 4), 20, 4)]
    assert kernels.plan(15) == [((4, 4), 0, 12), ((4, 4), 12, 4)]
    assert ISAS["avx2"].lanes == 0  # the int16 encodings keep their register blocks


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_a_bad_nsl_threads_setting_is_a_user_error(value, monkeypatch):
    monkeypatch.setenv("NSL_THREADS", value)
    with pytest.raises(knn_kernels.SettingError, match=f"NSL_THREADS={value}: expected a whole") as info:
        knn_kernels.default_threads()
    assert info.value.user_error  # `nslc: error: ...`, exit 2, not an internal error


def test_nsl_threads_sets_the_default(monkeypatch):
    monkeypatch.setenv("NSL_THREADS", " 3 ")
    assert knn_kernels.default_threads() == 3
    monkeypatch.setenv("NSL_THREADS", "")  # empty: as if unset
    assert knn_kernels.default_threads() >= 1
