"""The in-memory row store: growth keeps rows, large code buffers sit on
huge-page-aligned private mappings."""
import numpy as np

from nsl.runtime.retrieval.storage import HUGE_PAGE, HUGE_PAGE_MIN_BYTES, RowStore, scan_buffer


def test_large_scan_buffers_are_huge_page_aligned_private_memory():
    rows = HUGE_PAGE_MIN_BYTES // 64 + 3
    codes = scan_buffer((rows, 64), np.uint8)
    assert codes.shape == (rows, 64) and codes.dtype == np.uint8
    assert codes.ctypes.data % HUGE_PAGE == 0
    assert codes.flags.c_contiguous and codes.flags.writeable
    codes[:] = 7
    codes[-1, -1] = 9
    assert int(codes.sum(dtype=np.int64)) == 7 * codes.size + 2


def test_small_scan_buffers_are_plain_arrays():
    small = scan_buffer((10, 64), np.uint8)
    assert small.shape == (10, 64) and small.base is None  # np.empty, no mapping


def test_growing_past_the_huge_page_threshold_keeps_every_row():
    rng = np.random.default_rng(0)
    store = RowStore(stride=64, dim=50, keep_vectors=False, capacity=16)
    batches = [rng.integers(0, 256, (n, 64), dtype=np.uint8) for n in (10, 1000, 70000, 3)]
    first = 0
    for batch in batches:
        n = len(batch)
        store.append(batch, np.ones(n, np.float32), np.zeros(n, np.float32), np.arange(first, first + n))
        first += n
    np.testing.assert_array_equal(store.codes, np.concatenate(batches))
    np.testing.assert_array_equal(store.ids, np.arange(first))
    assert store.codes.nbytes > HUGE_PAGE_MIN_BYTES
