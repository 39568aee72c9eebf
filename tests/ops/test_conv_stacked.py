"""The stacked stride-1 convolution kernel (ember/ops/_conv_stacked.py): forced onto small
shapes, every layout it can take (columns over the first kernel dim or over all of them,
chunks of one or two samples with a remainder chunk) against PyTorch, finite differences
and conv.py's other kernels, and bitwise the same weight gradient for any thread count."""
import numpy as np
import pytest

import ember
import ember.ops._conv_stacked as stacked_mod
import ember.ops.conv as conv_mod
from tests.ops.test_conv import (CONV_CASES, CONVT_CASES, _ids, check_conv_case,
                                  check_conv_transpose_case)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _fixed_chunks(nb):
    return lambda n, sample_bytes, budget=None: [(a, min(a + nb, n)) for a in range(0, n, nb)]


@pytest.fixture(params=[(1, 1), (2, 1), (2, 10 ** 9)],
                ids=["chunk1-firstdim", "chunk2-firstdim", "chunk2-allcols"])
def stacked(request, monkeypatch):
    """Force the stacked kernel whatever the waste; columns over the first kernel dim only
    (MIN_GEMM_K 1) or over all kernel dims (a huge MIN_GEMM_K); chunks of 1 or 2 samples."""
    nb, min_k = request.param
    monkeypatch.setattr(stacked_mod, "MAX_WASTE", 1e9)
    monkeypatch.setattr(stacked_mod, "MIN_STACKED_K", 1)
    monkeypatch.setattr(stacked_mod, "MIN_GEMM_K", min_k)
    monkeypatch.setattr(stacked_mod, "batch_chunks", _fixed_chunks(nb))
    return nb


def _is_stacked(case):
    nd, cin, cout, k, s, p, d, g, size = case
    return g == 1 and s in (1, (1,) * nd)


STACKED_CASES = [c for c in CONV_CASES if _is_stacked(c)] + [
    (2, 3, 4, (3, 2), 1, (1, 0), (1, 2), 1, 7),     # dilated along the stacked dim only
    (3, 2, 3, (2, 3, 2), 1, 1, (2, 1, 2), 1, 5),    # 3-D, dilated along column and stacked dims
]


def test_stacked_cases_really_take_the_stacked_kernel(stacked):
    for nd, cin, cout, k, s, p, d, g, size in STACKED_CASES:
        ks = (k,) * nd if isinstance(k, int) else k
        x = ember.randn((3, cin) + (size,) * nd)
        w = ember.randn((cout, cin) + ks)
        plo, phi = conv_mod._conv_padding("t", p, nd, ks, (1,) * nd, conv_mod.ntuple(d, nd, "d", "t"))
        osize = tuple(conv_mod.conv_out_size(sz, kk, 1, a, b, dd) for sz, kk, a, b, dd
                      in zip(x.shape[2:], ks, plo, phi, conv_mod.ntuple(d, nd, "d", "t")))
        plan = stacked_mod.stacked_plan(tuple(x.shape), ks, plo, phi, (1,) * nd,
                                        conv_mod.ntuple(d, nd, "d", "t"), 1, osize, 8)
        assert plan is not None


@pytest.mark.parametrize("case", STACKED_CASES, ids=_ids(STACKED_CASES))
def test_conv_stacked_matches_torch(case, stacked):
    check_conv_case(case)


@pytest.mark.parametrize("case", CONVT_CASES, ids=_ids(CONVT_CASES))
def test_conv_transpose_stacked_matches_torch(case, stacked):
    """Stride-1 transposed convolutions are stacked convolutions of the flipped kernel."""
    check_conv_transpose_case(case)


def test_stacked_matches_the_per_sample_kernels_float32():
    """At a size where the default rule picks the stacked kernel (a 4x4 kernel on a 33x33
    plane, 64 channels: the CIFAR network's second layer, with fewer samples), float32
    outputs and gradients agree with conv.py's per-sample kernels."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 64, 17, 17)).astype(np.float32)
    w = (rng.standard_normal((16, 64, 4, 4)) * 0.05).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    gy = rng.standard_normal((3, 16, 18, 18)).astype(np.float32)
    args = ((1, 1), (2, 2), (2, 2), (1, 1), 1)
    plan = stacked_mod.stacked_plan(x.shape, (4, 4), (2, 2), (2, 2), (1, 1), (1, 1), 1,
                                    (18, 18), 4)
    assert plan is not None and plan.kl == 4 and plan.ck == 256
    y1, _ = conv_mod._conv_forward(np, x, w, b, *args)
    w1 = conv_mod._conv_weight(np, x, gy, None, w.shape, (1, 1), (2, 2), (2, 2), (1, 1), 1)
    old = stacked_mod.MAX_WASTE
    try:
        stacked_mod.MAX_WASTE = 0.0
        y0, _ = conv_mod._conv_forward(np, x, w, b, *args)
        w0 = conv_mod._conv_weight(np, x, gy, None, w.shape, (1, 1), (2, 2), (2, 2), (1, 1), 1)
    finally:
        stacked_mod.MAX_WASTE = old
    assert y1.dtype == w1.dtype == np.float32
    np.testing.assert_allclose(y1, y0, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(w1, w0, rtol=1e-5, atol=1e-3)


def test_stacked_weight_gradient_is_the_same_for_any_thread_count(monkeypatch):
    monkeypatch.setattr(stacked_mod, "batch_chunks", _fixed_chunks(1))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 64, 12, 12)).astype(np.float32)
    gy = rng.standard_normal((6, 8, 12, 12)).astype(np.float32)
    plan = stacked_mod.stacked_plan(x.shape, (3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1,
                                    (12, 12), 4)
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        g1 = stacked_mod.stacked_weight(np, x, gy, (8, 64, 3, 3), plan)
        ember.set_num_threads(3)
        g3 = stacked_mod.stacked_weight(np, x, gy, (8, 64, 3, 3), plan)
    finally:
        ember.set_num_threads(old)
    assert np.array_equal(g1, g3)
