"""The grid convolution's compiled sums (ember/ops/_conv_loops.py, the ``numba`` extra):
the same bits as the NumPy passes, and PyTorch's results, for the layouts the grid kernel
takes (odd and even kernels, dilation, 3-D, bias in or after the GEMM, the input gradient
through the flipped kernel)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.backend import _jit
from ember.ops import _conv_grid, _conv_loops
from tests.helpers import require_torch
from tests.backend.test_jit import NUMBA_REQUIRED

CASES = [  # x shape, w shape, padding, dilation
    ((4, 32, 14, 14), (16, 32, 5, 5), 2, 1),     # fashion-cnn's layer: 5 stacked blocks
    ((3, 24, 9, 11), (8, 24, 3, 3), 1, 1),       # non-square planes
    ((2, 40, 6, 7), (8, 40, 3, 3), 2, 2),        # dilation
    ((3, 32, 8, 8), (8, 32, 4, 4), 2, 1),        # even kernel: output 9x9, grid != output
    ((2, 16, 5, 6, 7), (8, 16, 3, 3, 3), 1, 1),  # 3-D: two stacked dims
    ((2, 64, 6, 6), (8, 64, 2, 2), 1, 1),        # even kernel
    ((2, 16, 6, 32), (8, 16, 4, 4), 2, 1),       # planes 6x32, grid 7x33: columns row by row
    ((2, 16, 9, 34), (8, 16, 3, 3), 0, 1),       # valid: output 7x32 cropped from a 7x34 grid
]


def _run(xs, ws, pad, dil, numba_on, monkeypatch, lib=ember):
    r = np.random.default_rng(0)
    x = r.standard_normal(xs).astype(np.float32)
    w = r.standard_normal(ws).astype(np.float32)
    b = r.standard_normal(ws[0]).astype(np.float32)
    if lib is ember and not numba_on:
        monkeypatch.setenv("EMBER_NUMBA", "0")
        _jit.reset()
    conv = lib.nn.functional.conv2d if len(xs) == 4 else lib.nn.functional.conv3d
    xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv(xt, wt, bt, padding=pad, dilation=dil)
    g = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(lib.tensor(g))
    return [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]


@pytest.mark.parametrize("xs,ws,pad,dil", CASES)
def test_loops_give_the_numpy_bits_and_pytorch_results(xs, ws, pad, dil, monkeypatch):
    if not _jit.available():
        if NUMBA_REQUIRED:
            pytest.fail("numba is part of the test extra but could not be imported")
        pytest.skip("the numba extra is not installed")
    calls = []
    _jit.reset()
    compiled = _jit.compiled(_conv_loops)
    real = compiled.shifted_plane_sums
    monkeypatch.setattr(compiled, "shifted_plane_sums",
                        lambda *a: (calls.append(1), real(*a))[1])
    loops = _run(xs, ws, pad, dil, True, monkeypatch)
    numpy_ = _run(xs, ws, pad, dil, False, monkeypatch)
    _jit.reset()
    for a, b in zip(loops, numpy_):
        assert np.array_equal(a, b)
    ref = _run(xs, ws, pad, dil, None, monkeypatch, lib=require_torch())
    for a, b in zip(loops, ref):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-4 * np.abs(b).max())
    plan = _conv_grid.grid_plan(xs, ws[2:], (pad,) * (len(xs) - 2), (1,) * (len(xs) - 2),
                                (dil,) * (len(xs) - 2), 1, loops[0].shape[2:], 4)
    if plan is not None and not plan.per_sample and plan.grid == plan.osize:
        assert calls, "the compiled sums did not run"


@pytest.mark.parametrize("base", [1, -1])
@pytest.mark.parametrize("with_bias", [False, True])
def test_shifted_plane_sums_against_a_direct_sum(base, with_bias):
    # the kernel alone, including the forms convolutions do not reach today (no unshifted
    # block; the bias added after the sums)
    if not _jit.available():
        if NUMBA_REQUIRED:
            pytest.fail("numba is part of the test extra but could not be imported")
        pytest.skip("the numba extra is not installed")
    r = np.random.default_rng(2)
    ks, o, m, p = 3, 4, 2, 12
    z = r.standard_normal((ks, o, m, p))
    shifts = np.array([-2, 0, 3], dtype=np.int64)
    valid = (r.random((ks, p)) > 0.3).astype(np.uint8)
    bias = r.standard_normal(o) if with_bias else np.zeros(0)
    y = np.empty((m, o, p))
    _jit.compiled(_conv_loops).shifted_plane_sums(z, shifts, valid, base, bias, y)
    want = np.zeros((m, o, p))
    for i, s in enumerate(shifts):
        for t in range(p):
            u = t + s
            if i == base or (0 <= u < p and valid[i, u]):
                want[:, :, t] += z[i, :, :, t if i == base else u].T
    if with_bias:
        want += bias[None, :, None]
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
