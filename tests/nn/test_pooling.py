"""Pooling layers (ember/nn/modules/pooling.py) against PyTorch: outputs, indices,
input gradients, reprs."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch

CASES = [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 8)),
    ("MaxPool2d", (2,), dict(), (2, 3, 6, 7)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1), (2, 3, 7, 7)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, dilation=2, ceil_mode=True), (1, 2, 6, 7)),
    ("MaxPool3d", (2,), dict(), (1, 2, 4, 4, 5)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1), (2, 3, 8)),
    ("AvgPool2d", (2,), dict(), (2, 3, 6, 6)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (2, 3, 6, 6)),
    ("AvgPool2d", (2,), dict(divisor_override=3), (1, 2, 4, 4)),
    ("AvgPool3d", (2,), dict(stride=1), (1, 2, 3, 4, 4)),
    ("AdaptiveAvgPool1d", (3,), dict(), (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((3, 2),), dict(), (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), dict(), (2, 3, 4, 4)),
    ("AdaptiveAvgPool3d", (2,), dict(), (1, 2, 3, 5, 4)),
    ("AdaptiveMaxPool1d", (3,), dict(), (2, 3, 7)),
    ("AdaptiveMaxPool2d", ((3, 4),), dict(), (2, 3, 7, 6)),
    ("AdaptiveMaxPool3d", (2,), dict(), (1, 2, 3, 5, 4)),
    ("LPPool2d", (2, 2), dict(), (2, 3, 4, 4)),
    ("LPPool1d", (3.0, 2), dict(stride=1), (2, 3, 6)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pool_module_matches_torch(case, dtype):
    require_torch()
    name, args, kw, shape = case
    em, tm = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(em) == repr(tm)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    if name.startswith("LP"):
        x = np.abs(x) + 0.5
    ex = ember.from_numpy(x.copy()).requires_grad_()
    tx = torch.from_numpy(x.copy()).requires_grad_()
    ey, ty = em(ex), tm(tx)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    assert ey.dtype == getattr(ember, dtype) and tuple(ey.shape) == tuple(ty.shape)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **tol)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ey.backward(ember.from_numpy(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_maxpool_return_indices_and_unpool(nd):
    require_torch()
    shape = (2, 3) + (6,) * nd
    x = np.random.default_rng(1).standard_normal(shape)
    ep = getattr(nn, f"MaxPool{nd}d")(2, return_indices=True)
    tp = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
    eu, tu = getattr(nn, f"MaxUnpool{nd}d")(2), getattr(torch.nn, f"MaxUnpool{nd}d")(2)
    assert repr(eu) == repr(tu)
    ey, ei = ep(ember.from_numpy(x))
    ty, ti = tp(torch.from_numpy(x))
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    np.testing.assert_allclose(eu(ey, ei).numpy(), tu(ty, ti).numpy())
    np.testing.assert_allclose(eu(ey, ei, output_size=shape).numpy(),
                               tu(ty, ti, output_size=shape).numpy())


def test_adaptive_max_pool_return_indices():
    require_torch()
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 5))
    ey, ei = nn.AdaptiveMaxPool2d(3, return_indices=True)(ember.from_numpy(x))
    ty, ti = torch.nn.AdaptiveMaxPool2d(3, return_indices=True)(torch.from_numpy(x))
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    np.testing.assert_allclose(ey.numpy(), ty.numpy())


def test_pool_module_errors():
    with pytest.raises(RuntimeError, match=r"max_pool2d: kernel size .* greater"):
        nn.MaxPool2d(4)(ember.randn(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match=r"avg_pool2d: expected 3-D .* or 4-D"):
        nn.AvgPool2d(2)(ember.randn(2, 1, 1, 4, 4))
