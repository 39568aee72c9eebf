"""Dropout family: masks, scaling, gradients, statistics, eval mode, errors, seeding."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import torch, require_torch
from tests.nn._nn_common import to_np


def test_dropout_scales_kept_and_grad_uses_same_mask():
    ember.manual_seed(0)
    x = ember.tensor(np.random.default_rng(0).uniform(1, 2, (200, 50)), requires_grad=True)
    y = F.dropout(x, 0.3)
    yv, xv = to_np(y), to_np(x)
    kept = yv != 0
    np.testing.assert_allclose(yv[kept], xv[kept] / 0.7, rtol=1e-12)
    assert abs(kept.mean() - 0.7) < 0.02
    g = np.random.default_rng(1).standard_normal(yv.shape)
    y.backward(ember.tensor(g))
    np.testing.assert_allclose(to_np(x.grad), np.where(kept, g / 0.7, 0), rtol=1e-12)
    assert y.dtype == ember.float64
    assert F.dropout(ember.ones(3, dtype=ember.float32), 0.5).dtype == ember.float32


def test_dropout_module_modes_and_repr():
    require_torch()
    m = nn.Dropout(0.4)
    assert repr(m) == repr(torch.nn.Dropout(0.4))
    assert repr(nn.Dropout2d(0.2, True)) == repr(torch.nn.Dropout2d(0.2, True))
    assert repr(nn.AlphaDropout()) == repr(torch.nn.AlphaDropout())
    x = ember.randn(10, 10)
    m.eval()
    assert m(x) is x
    m.train()
    assert np.any(to_np(m(x)) == 0)
    assert F.dropout(x, 0.0) is x
    assert not np.any(to_np(F.dropout(x, 1.0)))


@pytest.mark.parametrize("p", [-0.1, 1.5, "a"])
def test_dropout_p_validation(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(ember.ones(2), p)


def test_dropout_seeded_reproducible_and_generator_state():
    ember.manual_seed(5)
    a = to_np(F.dropout(ember.ones(100), 0.5))
    ember.manual_seed(5)
    b = to_np(F.dropout(ember.ones(100), 0.5))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("cls,shape,fdims", [
    (nn.Dropout1d, (8, 6, 20), 1), (nn.Dropout1d, (6, 20), 1),
    (nn.Dropout2d, (8, 6, 5, 5), 2), (nn.Dropout2d, (8, 6, 20), 2),
    (nn.Dropout3d, (4, 6, 3, 3, 3), 3), (nn.Dropout3d, (6, 3, 3, 3), 3)])
def test_feature_dropout_zeroes_whole_channels(cls, shape, fdims, recwarn):
    ember.manual_seed(1)
    x = ember.ones(*shape, requires_grad=True)
    y = cls(0.5)(x)
    yv = to_np(y)
    batched = len(shape) == fdims + 2 or cls is nn.Dropout2d
    lead = 2 if batched else 1
    per_channel = yv.reshape(shape[:lead] + (-1,))
    # each channel is all zeros or all 2's
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).mean() < 1
    y.sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), yv)


def test_dropout1d_rank_error():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        nn.Dropout1d()(ember.zeros(2, 3, 4, 5))


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(2)
    x = ember.randn(400, 500, dtype=ember.float64, requires_grad=True)
    m = nn.AlphaDropout(0.2)
    y = m(x)
    yv = to_np(y)
    assert abs(yv.mean()) < 0.02 and abs(yv.var() - 1) < 0.03
    # dropped units all take the same value a * (-alpha') + b
    alpha_p = 1.7580993408473766
    a = (0.8 * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped_value = -alpha_p * a + alpha_p * a * 0.2
    xv = to_np(x)
    kept = ~np.isclose(yv, dropped_value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(yv[kept], a * xv[kept] + alpha_p * a * 0.2, rtol=1e-12)
    y.backward(ember.ones_like(y))
    np.testing.assert_allclose(to_np(x.grad), np.where(kept, a, 0), rtol=1e-12)
    m.eval()
    assert m(x) is x
    assert F.alpha_dropout(x, 0.2) is x  # training=False by default, as in PyTorch
    y = nn.FeatureAlphaDropout(0.5)(ember.randn(4, 6, 8))
    assert y.shape == (4, 6, 8)


def test_dropout_inplace():
    x = ember.ones(50)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and np.any(to_np(x) == 0) and np.any(to_np(x) == 2)
