"""ember.nn.init: formulas, distributions (bounds and moments), in-place semantics,
generators, errors; compared with PyTorch where deterministic."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init
from tests.helpers import torch, require_torch
from tests.nn._nn_common import to_np


def _moments(a):
    a = to_np(a).ravel()
    return a.mean(), a.std(), a.size


def test_calculate_gain_matches_torch():
    require_torch()
    for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                  ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(nl, p) == torch.nn.init.calculate_gain(nl, p)
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fan_in_fan_out_matches_torch():
    require_torch()
    for shape in [(3, 4), (8, 3, 5, 5), (2, 6, 3), (4, 2, 3, 3, 3)]:
        assert init._calculate_fan_in_and_fan_out(ember.zeros(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.zeros(3))


def test_in_place_no_grad_and_returns_tensor():
    w = nn.Parameter(ember.zeros(50, 40))
    v0 = w._version
    out = init.normal_(w)
    assert out is w and w.requires_grad and w.grad_fn is None and w._version > v0
    assert np.any(to_np(w))
    assert init.zeros_(w) is w and not np.any(to_np(w))
    assert np.all(to_np(init.ones_(w)) == 1)
    assert np.all(to_np(init.constant_(w, 0.3)) == np.float32(0.3))
    assert w.dtype == ember.float32


@pytest.mark.parametrize("fn,kwargs,bound_fn", [
    (init.uniform_, {"a": -0.3, "b": 0.7}, None),
    (init.xavier_uniform_, {"gain": 2.0}, lambda fi, fo: 2.0 * math.sqrt(6 / (fi + fo))),
    (init.kaiming_uniform_, {}, lambda fi, fo: math.sqrt(2 / (1 + 0.0)) * math.sqrt(3 / fi)),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, lambda fi, fo: 1 / math.sqrt(fi)),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
     lambda fi, fo: math.sqrt(2) * math.sqrt(3 / fo)),
])
def test_uniform_family_bounds_and_moments(fn, kwargs, bound_fn):
    ember.manual_seed(0)
    w = ember.empty(200, 30, 3, 3)
    fi, fo = 30 * 9, 200 * 9
    fn(w, **kwargs)
    a = to_np(w).ravel()
    if bound_fn is None:
        lo, hi = -0.3, 0.7
    else:
        hi = bound_fn(fi, fo)
        lo = -hi
    assert a.min() >= lo and a.max() <= hi
    assert a.min() < lo + 0.01 * (hi - lo) and a.max() > hi - 0.01 * (hi - lo)
    mean, std, n = _moments(w)
    assert abs(mean - (lo + hi) / 2) < 5 * (hi - lo) / math.sqrt(12 * n)
    assert abs(std - (hi - lo) / math.sqrt(12)) < 0.01 * (hi - lo)


@pytest.mark.parametrize("fn,kwargs,std_fn", [
    (init.normal_, {"mean": 0.5, "std": 0.2}, lambda fi, fo: 0.2),
    (init.xavier_normal_, {}, lambda fi, fo: math.sqrt(2 / (fi + fo))),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, lambda fi, fo: math.sqrt(2 / fi)),
    (init.kaiming_normal_, {"mode": "fan_out", "a": 0.1},
     lambda fi, fo: math.sqrt(2 / (1 + 0.01)) / math.sqrt(fo)),
])
def test_normal_family_moments(fn, kwargs, std_fn):
    ember.manual_seed(1)
    w = ember.empty(300, 200)
    fn(w, **kwargs)
    mean, std, n = _moments(w)
    target = std_fn(200, 300)
    assert abs(mean - kwargs.get("mean", 0.0)) < 5 * target / math.sqrt(n)
    assert abs(std / target - 1) < 0.01


def test_trunc_normal_bounds_and_moments():
    ember.manual_seed(2)
    w = init.trunc_normal_(ember.empty(100000, dtype=ember.float64), mean=0.0, std=1.0,
                           a=-1.0, b=2.0)
    a = to_np(w)
    assert a.min() >= -1.0 and a.max() <= 2.0
    # moments of N(0,1) truncated to [-1, 2]
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    z = Phi(2) - Phi(-1)
    mean = (phi(-1) - phi(2)) / z
    var = 1 + (-1 * phi(-1) - 2 * phi(2)) / z - mean ** 2
    assert abs(a.mean() - mean) < 0.01 and abs(a.var() - var) < 0.01
    t = init.trunc_normal_(ember.empty(1000), std=0.02)  # the ViT usage: bounds +-2
    assert np.all(np.abs(to_np(t)) <= 2.0)


def test_eye_dirac_orthogonal_match_torch():
    require_torch()
    for shape in [(3, 5), (5, 3)]:
        assert np.array_equal(to_np(init.eye_(ember.empty(*shape))),
                              torch.nn.init.eye_(torch.empty(*shape)).numpy())
    for shape, groups in [((4, 2, 3, 3), 2), ((3, 5, 3), 1), ((6, 3, 3, 3, 3), 1),
                          ((2, 4, 3, 3), 1)]:
        assert np.array_equal(to_np(init.dirac_(ember.empty(*shape), groups)),
                              torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())
    with pytest.raises(ValueError):
        init.eye_(ember.empty(2, 2, 2))
    for shape in [(6, 4), (4, 6), (5, 2, 3)]:
        w = to_np(init.orthogonal_(ember.empty(*shape, dtype=ember.float64), gain=2.0))
        flat = w.reshape(shape[0], -1)
        if flat.shape[0] <= flat.shape[1]:
            np.testing.assert_allclose(flat @ flat.T, 4 * np.eye(flat.shape[0]), atol=1e-10)
        else:
            np.testing.assert_allclose(flat.T @ flat, 4 * np.eye(flat.shape[1]), atol=1e-10)


def test_sparse_init():
    w = init.sparse_(ember.empty(10, 20), sparsity=0.3)
    zeros_per_col = (to_np(w) == 0).sum(0)
    assert np.all(zeros_per_col >= 3)


def test_generators_make_draws_reproducible():
    g = ember.Generator().manual_seed(7)
    a = to_np(init.normal_(ember.empty(5), generator=g))
    g.manual_seed(7)
    b = to_np(init.normal_(ember.empty(5), generator=g))
    assert np.array_equal(a, b)
    ember.manual_seed(7)
    c = to_np(init.kaiming_uniform_(ember.empty(3, 3)))
    ember.manual_seed(7)
    assert np.array_equal(c, to_np(init.kaiming_uniform_(ember.empty(3, 3))))


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning):
        init.normal(ember.empty(2))
