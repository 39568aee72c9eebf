"""Resizing (ember/ops/upsample.py, ember/nn/modules/upsampling.py) against PyTorch."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import check_op, torch, require_torch

TF = torch.nn.functional if torch is not None else None

CASES = [
    ("nearest", None, 2, None, (2, 3, 5)),
    ("nearest", None, 2, None, (1, 2, 3, 4)),
    ("nearest", (5, 7), None, None, (1, 2, 3, 4)),
    ("nearest", None, 0.5, None, (1, 2, 6, 5)),
    ("nearest", None, (1.7, 2.5), None, (1, 2, 4, 3)),
    ("nearest", (3, 5, 4), None, None, (1, 2, 2, 3, 4)),
    ("nearest-exact", (5, 7), None, None, (1, 2, 3, 4)),
    ("linear", None, 2, False, (2, 3, 5)),
    ("linear", 7, None, True, (2, 3, 5)),
    ("bilinear", None, 2, False, (1, 2, 3, 4)),
    ("bilinear", None, 2, True, (1, 2, 3, 4)),
    ("bilinear", (5, 3), None, False, (1, 2, 7, 6)),
    ("bilinear", None, 1.5, False, (1, 2, 4, 4)),
    ("bicubic", None, 2, False, (1, 2, 3, 4)),
    ("bicubic", (5, 6), None, True, (1, 2, 4, 3)),
    ("trilinear", None, 2, False, (1, 2, 2, 3, 2)),
    ("trilinear", (3, 4, 5), None, True, (1, 1, 2, 3, 4)),
    ("area", (3, 2), None, None, (1, 2, 7, 5)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_interpolate_matches_torch(case):
    mode, size, sf, ac, shape = case
    kw = dict(size=size, scale_factor=sf, mode=mode)
    if ac is not None:
        kw["align_corners"] = ac
    check_op(lambda x: F.interpolate(x, **kw), TF and (lambda x: TF.interpolate(x, **kw)),
             [shape])


def test_interpolate_recompute_scale_factor():
    require_torch()
    kw = dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)
    check_op(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), [(1, 2, 4, 3)],
             gradcheck=False)


@pytest.mark.parametrize("make", [
    lambda m: m.Upsample(scale_factor=2),
    lambda m: m.Upsample(size=(5, 6), mode="bilinear"),
    lambda m: m.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True),
    lambda m: m.UpsamplingNearest2d(scale_factor=2),
    lambda m: m.UpsamplingBilinear2d(size=(7, 5)),
])
def test_upsample_modules_match_torch(make):
    require_torch()
    em, tm = make(nn), make(torch.nn)
    assert repr(em) == repr(tm)
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 3)).astype(np.float32)
    ex = ember.from_numpy(x.copy()).requires_grad_()
    tx = torch.from_numpy(x.copy()).requires_grad_()
    ey, ty = em(ex), tm(tx)
    assert ey.dtype == ember.float32
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    ey.backward(ember.from_numpy(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_interpolate_errors():
    x = ember.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(NotImplementedError, match="'trilinear' needs a 5-D input"):
        F.interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="unknown mode"):
        F.interpolate(x, scale_factor=2, mode="cubic")
    with pytest.raises(ValueError, match="size shape must match"):
        F.interpolate(x, size=(2, 2, 2))
