"""The same-size stride-1 convolution kernel (ember/ops/_conv_same.py): forced onto small
shapes, every layout it can take (columns over the first kernel dim or over all of them,
chunks of one or two samples with a remainder chunk, kernels whose reads leave the input
entirely, no unshifted stacked offset) against PyTorch, finite differences and conv.py's
other kernels, and bitwise the same weight gradient for any thread count."""
import numpy as np
import pytest

import ember
import ember.ops._conv_same as same_mod
import ember.ops.conv as conv_mod
from tests.ops.test_conv import CONV_CASES, CONVT_CASES, _ids, check_conv_case, \
    check_conv_transpose_case

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _fixed_chunks(nb):
    return lambda n, sample_bytes, budget=None: [(a, min(a + nb, n)) for a in range(0, n, nb)]


@pytest.fixture(params=[(1, 1), (2, 1), (2, 10 ** 9)],
                ids=["chunk1-firstdim", "chunk2-firstdim", "chunk2-allcols"])
def same(request, monkeypatch):
    """Force the same-size kernel whatever the channel count; columns over the first
    kernel dim only (MIN_GEMM_K 1) or over all kernel dims; chunks of 1 or 2 samples."""
    nb, min_k = request.param
    monkeypatch.setattr(same_mod, "MIN_STACKED_K", 1)
    monkeypatch.setattr(same_mod, "MIN_GEMM_K", min_k)
    monkeypatch.setattr(same_mod, "batch_chunks", _fixed_chunks(nb))
    return nb


def _is_same(case):
    nd, cin, cout, k, s, p, d, g, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    ds = (d,) * nd if isinstance(d, int) else d
    if g != 1 or s not in (1, (1,) * nd) or ks == (1,) * nd:
        return False
    if p == "same":
        return True
    ps = (p,) * nd if isinstance(p, int) else p
    return all(2 * pp == dd * (kk - 1) for pp, dd, kk in zip(ps, ds, ks))


SAME_CASES = [c for c in CONV_CASES if _is_same(c)] + [
    (2, 3, 4, (3, 5), 1, (1, 2), 1, 1, 6),          # rectangular kernel
    (2, 2, 3, 2, 1, "same", 2, 1, 5),               # offsets -1, +1: no unshifted offset
    (2, 2, 2, 7, 1, 3, 1, 1, 3),                    # kernel wider than the input
    (3, 2, 3, 3, 1, 1, 1, 1, 4),                    # 3-D
    (3, 2, 3, (3, 1, 3), 1, (2, 0, 1), (2, 1, 1), 1, 4),   # 3-D, dilated, a 1-wide dim
    (1, 2, 2, 5, 1, 4, 2, 1, 4),                    # 1-D, reads past both ends
]


def _plan_of(case, batch=3):
    nd, cin, cout, k, s, p, d, g, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    ds = conv_mod.ntuple(d, nd, "d", "t")
    plo, phi = conv_mod._conv_padding("t", p, nd, ks, (1,) * nd, ds)
    shape = (batch, cin) + (size,) * nd
    osize = tuple(conv_mod.conv_out_size(sz, kk, 1, a, b, dd)
                  for sz, kk, a, b, dd in zip(shape[2:], ks, plo, phi, ds))
    return same_mod.same_plan(shape, ks, plo, (1,) * nd, ds, 1, osize, 8)


def test_same_cases_really_take_the_same_kernel(same):
    for case in SAME_CASES:
        assert _plan_of(case) is not None, case
    plan = _plan_of(SAME_CASES[-5])      # the case without an unshifted stacked offset
    assert plan.base is None or not plan.stack


@pytest.mark.parametrize("case", SAME_CASES, ids=_ids(SAME_CASES))
def test_conv_same_matches_torch(case, same):
    check_conv_case(case)


@pytest.mark.parametrize("case", CONVT_CASES, ids=_ids(CONVT_CASES))
def test_conv_transpose_same_matches_torch(case, same):
    """Stride-1 transposed convolutions whose output keeps the input's size go through the
    same-size kernel (their input gradient too)."""
    check_conv_transpose_case(case)


def test_same_matches_the_per_sample_kernels_float32():
    """At a size where the default rule picks the same-size kernel (64 channels, 3x3 with
    padding 1 on 12x12), float32 outputs and gradients agree with the per-sample kernels."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 64, 12, 12)).astype(np.float32)
    w = (rng.standard_normal((16, 64, 3, 3)) * 0.05).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    gy = rng.standard_normal((5, 16, 12, 12)).astype(np.float32)
    args = ((1, 1), (1, 1), (1, 1), (1, 1), 1)
    assert same_mod.same_plan(x.shape, (3, 3), (1, 1), (1, 1), (1, 1), 1, (12, 12), 4)
    y1, _ = conv_mod._conv_forward(np, x, w, b, *args)
    w1 = conv_mod._conv_weight(np, x, gy, None, w.shape, *args)
    x1 = conv_mod._conv_input(np, gy, w, None, (12, 12), *args)
    old = same_mod.MIN_STACKED_K, conv_mod.stacked_plan
    try:
        same_mod.MIN_STACKED_K = 10 ** 9
        conv_mod.stacked_plan = lambda *a: None
        y0, _ = conv_mod._conv_forward(np, x, w, b, *args)
        w0 = conv_mod._conv_weight(np, x, gy, None, w.shape, *args)
        x0 = conv_mod._conv_input(np, gy, w, None, (12, 12), *args)
    finally:
        same_mod.MIN_STACKED_K, conv_mod.stacked_plan = old
    assert y1.dtype == w1.dtype == x1.dtype == np.float32
    np.testing.assert_allclose(y1, y0, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(w1, w0, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(x1, x0, rtol=1e-5, atol=1e-4)


def test_same_weight_gradient_is_the_same_for_any_thread_count(monkeypatch):
    monkeypatch.setattr(same_mod, "batch_chunks", _fixed_chunks(1))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 64, 12, 12)).astype(np.float32)
    gy = rng.standard_normal((6, 8, 12, 12)).astype(np.float32)
    plan = same_mod.same_plan(x.shape, (3, 3), (1, 1), (1, 1), (1, 1), 1, (12, 12), 4)
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        g1 = plan.weight(np, x, gy, (8, 64, 3, 3))
        ember.set_num_threads(3)
        g3 = plan.weight(np, x, gy, (8, 64, 3, 3))
    finally:
        ember.set_num_threads(old)
    assert np.array_equal(g1, g3)
