"""The grid stride-1 convolution kernel (ember/ops/_conv_grid.py): forced onto small shapes,
every layout it can take (columns over the first kernel dim or over all of them, chunks of
one or two samples with a remainder chunk, "same", growing and shrinking outputs, kernels
whose reads leave the input entirely, no unshifted stacked offset) against PyTorch, finite
differences and conv.py's other kernels, and bitwise the same weight gradient for any
thread count."""
import numpy as np
import pytest

import ember
import ember.ops._conv_grid as grid_mod
import ember.ops.conv as conv_mod
from ember.backend import _jit
from tests.ops.test_conv import CONV_CASES, CONVT_CASES, _ids, check_conv_case, \
    check_conv_transpose_case

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _fixed_chunks(nb):
    return lambda n, sample_bytes, budget=None: [(a, min(a + nb, n)) for a in range(0, n, nb)]


@pytest.fixture(params=[(1, 1, 10 ** 9, 8, False), (2, 1, 10 ** 9, 8, True),
                        (2, 1, 10 ** 9, 0, False), (2, 10 ** 9, 10 ** 9, 0, True),
                        (2, 10 ** 9, 1, 8, True)],
                ids=["chunk1-firstdim-numpy", "chunk2-firstdim", "chunk2-firstdim-boxcopies-numpy",
                     "chunk2-allcols-boxcopies", "chunk2-persample"])
def grid(request, monkeypatch):
    """Force the grid kernel whatever the channel count and waste; columns over the first
    kernel dim only (MIN_GEMM_K 1) or over all kernel dims, built by one window copy or by
    box copies (WINDOW_MAX_SAMPLES), with one GEMM per chunk or one per sample
    (MIN_PER_SAMPLE_P); chunks of 1 or 2 samples; with the numba extra's compiled passes
    (ember/ops/_conv_loops.py: they replace the copies and sums where the planes are the
    grid's) or NumPy's alone."""
    nb, min_k, min_p, window_max, loops = request.param
    if not loops:
        monkeypatch.setenv("EMBER_NUMBA", "0")
    _jit.reset()
    request.addfinalizer(_jit.reset)
    monkeypatch.setattr(grid_mod, "WINDOW_MAX_SAMPLES", window_max)
    monkeypatch.setattr(grid_mod, "MIN_DENSITY", 0.0)
    monkeypatch.setattr(grid_mod, "MIN_STACKED_K", 1)
    monkeypatch.setattr(grid_mod, "MIN_PER_SAMPLE_P", min_p)
    monkeypatch.setattr(grid_mod, "MAX_WASTE", 1e9)
    monkeypatch.setattr(grid_mod, "MIN_GEMM_K", min_k)
    monkeypatch.setattr(grid_mod, "MIN_WEIGHT_POSITIONS", 1)
    monkeypatch.setattr(grid_mod, "MIN_ROW_LOOP", 1)       # the row-by-row columns too
    monkeypatch.setattr(grid_mod, "batch_chunks", _fixed_chunks(nb))
    return nb


def _takes_grid(case):
    nd, cin, cout, k, s, p, d, g, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    return g == 1 and s in (1, (1,) * nd) and ks != (1,) * nd


GRID_CASES = [c for c in CONV_CASES if _takes_grid(c)] + [
    (2, 3, 4, (3, 2), 1, (1, 0), (1, 2), 1, 7),     # dilated along the stacked dim only
    (3, 2, 3, (2, 3, 2), 1, 1, (2, 1, 2), 1, 5),    # 3-D, dilated along column and stacked dims
    (2, 3, 4, (3, 5), 1, (1, 2), 1, 1, 6),          # rectangular "same"
    (2, 2, 3, 2, 1, "same", 2, 1, 5),               # offsets -1, +1: no unshifted offset
    (2, 2, 2, 7, 1, 3, 1, 1, 3),                    # kernel wider than the input
    (2, 2, 3, 3, 1, 2, 1, 1, 4),                    # output grows (padding 2)
    (3, 2, 3, 3, 1, 1, 1, 1, 4),                    # 3-D "same"
    (3, 2, 3, (3, 1, 3), 1, (2, 0, 1), (2, 1, 1), 1, 4),   # 3-D, dilated, a 1-wide dim
    (1, 2, 2, 5, 1, 4, 2, 1, 4),                    # 1-D, reads past both ends
    (2, 2, 2, (2, 11), 1, (0, 5), 1, 1, 12),        # wrapped reads in 5 columns: box zeroing
]


def _plan_of(case, batch=3):
    nd, cin, cout, k, s, p, d, g, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    ds = conv_mod.ntuple(d, nd, "d", "t")
    plo, phi = conv_mod._conv_padding("t", p, nd, ks, (1,) * nd, ds)
    shape = (batch, cin) + (size,) * nd
    osize = tuple(conv_mod.conv_out_size(sz, kk, 1, a, b, dd)
                  for sz, kk, a, b, dd in zip(shape[2:], ks, plo, phi, ds))
    return grid_mod.grid_plan(shape, ks, plo, (1,) * nd, ds, 1, osize, 8)


def test_grid_cases_really_take_the_grid_kernel(grid):
    for case in GRID_CASES:
        assert _plan_of(case) is not None, case
    plan = _plan_of((2, 2, 3, 2, 1, "same", 2, 1, 5))   # no unshifted stacked offset
    assert plan.base is None or not plan.stack


@pytest.mark.parametrize("case", GRID_CASES, ids=_ids(GRID_CASES))
def test_conv_grid_matches_torch(case, grid):
    check_conv_case(case)


@pytest.mark.parametrize("case", CONVT_CASES, ids=_ids(CONVT_CASES))
def test_conv_transpose_grid_matches_torch(case, grid):
    """Stride-1 transposed convolutions (and the input gradients of stride-1
    convolutions) are grid convolutions of the flipped kernel."""
    check_conv_transpose_case(case)


@pytest.mark.parametrize("shape", [(5, 64, 12, 12, 3, 1), (3, 64, 17, 17, 4, 2),
                                   (4, 64, 10, 10, 3, 0)], ids=["same", "grows", "valid"])
def test_grid_matches_the_per_sample_kernels_float32(shape):
    """At sizes where the default rule picks the grid kernel (64 channels: a "same" 3x3, the
    CIFAR network's 4x4 with padding 2, a valid 3x3), float32 outputs and gradients agree
    with conv.py's per-sample kernels."""
    n, c, h, _, k, p = shape
    rng = np.random.default_rng(0)
    ho = h + 2 * p - k + 1
    x = rng.standard_normal((n, c, h, h)).astype(np.float32)
    w = (rng.standard_normal((16, c, k, k)) * 0.05).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    gy = rng.standard_normal((n, 16, ho, ho)).astype(np.float32)
    args = ((1, 1), (p, p), (p, p), (1, 1), 1)
    assert grid_mod.grid_plan(x.shape, (k, k), (p, p), (1, 1), (1, 1), 1, (ho, ho), 4)

    def run():
        return (conv_mod._conv_forward(np, x, w, b, *args)[0],
                conv_mod._conv_weight(np, x, gy, None, w.shape, *args),
                conv_mod._conv_input(np, gy, w, None, (h, h), *args))
    grid_out = run()
    old = grid_mod.MAX_WASTE
    try:
        grid_mod.MAX_WASTE = 0.0
        other = run()
    finally:
        grid_mod.MAX_WASTE = old
    for a, e, atol in zip(grid_out, other, (1e-4, 1e-3, 1e-4)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=atol)


def test_grid_weight_gradient_is_the_same_for_any_thread_count(monkeypatch):
    monkeypatch.setattr(grid_mod, "batch_chunks", _fixed_chunks(1))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 64, 12, 12)).astype(np.float32)
    gy = rng.standard_normal((6, 8, 12, 12)).astype(np.float32)
    plan = grid_mod.grid_plan(x.shape, (3, 3), (1, 1), (1, 1), (1, 1), 1, (12, 12), 4)
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        g1 = plan.weight(np, x, gy, (8, 64, 3, 3))
        ember.set_num_threads(3)
        g3 = plan.weight(np, x, gy, (8, 64, 3, 3))
    finally:
        ember.set_num_threads(old)
    assert np.array_equal(g1, g3)


# strided convolutions whose input gradient (and strided transposed convolutions) the
# grid kernel runs phase by phase (ember/ops/_conv_phases.py): (case, phases expected).
# Kernels not a multiple of the stride (a 3x3 with stride 2) keep conv.py's kernels.
PHASE_CASES = [
    ((2, 3, 4, 4, 2, 1, 1, 1, 8), True),            # 4x4 stride 2 (a DCGAN discriminator)
    ((2, 3, 4, 4, 2, 1, 1, 1, 7), True),            # odd size: the phases differ in length
    ((2, 2, 3, (4, 2), (2, 1), (1, 0), 1, 1, 7), True),   # strided along one dim only
    ((1, 2, 3, 6, 3, 2, 1, 1, 11), True),           # 1-D, stride 3
    ((3, 2, 2, (2, 3, 2), (2, 1, 2), (0, 1, 0), 1, 1, 5), True),   # 3-D
    ((2, 2, 2, 4, 2, 4, 1, 1, 6), False),           # padding past the phase's taps
    ((2, 3, 4, 3, 2, 1, 1, 1, 8), False),           # 3x3 stride 2: conv.py's kernels
    ((1, 2, 3, 2, 3, 0, 1, 1, 9), False),           # kernel shorter than the stride
]
PHASE_CONVT_CASES = [
    ((2, 4, 3, 4, 2, 1, 0, 1, 1, 5), True),         # the DCGAN generator's 4x4 stride 2
    ((2, 3, 2, 4, 2, 1, 1, 1, 1, 4), True),         # output_padding 1
    ((1, 2, 3, 6, 3, 2, 2, 1, 1, 4), True),         # stride 3, output_padding 2
    ((2, 3, 2, 3, 2, 1, 1, 1, 1, 4), False),        # 3x3 stride 2
]


@pytest.fixture
def count_phased(monkeypatch):
    calls = []
    real = conv_mod.phase_input_gradient

    def counted(*a, **k):
        out = real(*a, **k)
        calls.append(out is not None)
        return out
    monkeypatch.setattr(conv_mod, "phase_input_gradient", counted)
    return calls


@pytest.mark.parametrize("case,phased", PHASE_CASES, ids=_ids([c for c, _ in PHASE_CASES]))
def test_strided_input_gradient_by_phases_matches_torch(case, phased, grid, count_phased):
    check_conv_case(case)
    assert any(count_phased) == phased


@pytest.mark.parametrize("case,phased", PHASE_CONVT_CASES,
                         ids=_ids([c for c, _ in PHASE_CONVT_CASES]))
def test_strided_conv_transpose_by_phases_matches_torch(case, phased, grid, count_phased):
    check_conv_transpose_case(case)
    assert any(count_phased) == phased


def test_phase_input_gradient_matches_the_other_kernels_float32():
    """At the default rule's sizes (a 64 -> 128 4x4 stride-2 layer on 32x32, fewer
    samples), float32 input gradients by phases agree with conv.py's per-sample kernel."""
    rng = np.random.default_rng(2)
    gy = rng.standard_normal((4, 128, 16, 16)).astype(np.float32)
    w = (rng.standard_normal((128, 64, 4, 4)) * 0.05).astype(np.float32)
    args = ((2, 2), (1, 1), (1, 1), (1, 1), 1)
    phased = conv_mod.phase_input_gradient(np, gy, w, (32, 32), (2, 2), (1, 1))
    assert phased is not None
    old = grid_mod.MAX_WASTE
    try:
        grid_mod.MAX_WASTE = 0.0
        assert conv_mod.phase_input_gradient(np, gy, w, (32, 32), (2, 2), (1, 1)) is None
        other = conv_mod._conv_input(np, gy, w, None, (32, 32), *args)
    finally:
        grid_mod.MAX_WASTE = old
    assert phased.dtype == np.float32
    np.testing.assert_allclose(phased, other, rtol=1e-5, atol=1e-4)


def test_reads_mostly_padding_leave_the_grid_kernel():
    """A 7x7 transposed convolution of a 1x1 input (a DCGAN generator's first layer) would
    make the grid kernel multiply zeros in 98% of its column entries: it is not taken."""
    plan = grid_mod.grid_plan((32, 64, 1, 1), (7, 7), (6, 6), (1, 1), (1, 1), 1, (7, 7), 4)
    assert plan is None
    dense = grid_mod.grid_plan((32, 64, 14, 14), (3, 3), (1, 1), (1, 1), (1, 1), 1, (14, 14), 4)
    assert dense is not None and dense.density > 0.9
