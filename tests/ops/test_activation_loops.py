"""ReLU's compiled backward (ember/ops/_activation_loops.py, the ``numba`` extra) on arrays
big enough for it (two parts: 2**20 elements and more), against PyTorch, on both paths."""
import numpy as np
import pytest

import ember
from ember.backend import _jit
from ember.ops import _im2col
from tests.backend.test_jit import NUMBA_REQUIRED
from tests.helpers import require_torch
from tests.ops.test_norm_loops import path  # noqa: F401 - the loops / numpy fixture


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_matches_pytorch(path, dtype):  # noqa: F811
    torch = require_torch()
    r = np.random.default_rng(0)
    shape = (2, 2 * _im2col.PART_ELEMENTS // 2 + 3)
    x = r.standard_normal(shape).astype(dtype)
    x[0, :5] = 0.0                                   # relu'(0) is 0, as in PyTorch
    g = r.standard_normal(shape).astype(dtype)
    out = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.relu(xt)
        y.backward(lib.tensor(g))
        out.append((y.detach().numpy(), xt.grad.numpy()))
    assert np.array_equal(out[0][0], out[1][0])
    assert np.array_equal(out[0][1], out[1][1])


def test_relu_backward_nan_gradient_where_inactive_is_zero_as_in_pytorch():
    # (the loops only: NumPy's path multiplies by the mask, and NaN * 0 stays NaN)
    if not _jit.available():
        if NUMBA_REQUIRED:
            pytest.fail("numba is part of the test extra but could not be imported")
        pytest.skip("the numba extra is not installed")
    torch = require_torch()
    x = np.linspace(-1, 1, 2 * _im2col.PART_ELEMENTS, dtype=np.float32)
    g = np.full_like(x, np.nan)
    out = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        lib.relu(xt).backward(lib.tensor(g))
        out.append(xt.grad.numpy())
    assert np.array_equal(np.isnan(out[0]), np.isnan(out[1]))
    assert (out[0][x <= 0] == 0).all()
