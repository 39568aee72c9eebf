"""Identity, Linear, Bilinear, Flatten, Unflatten against PyTorch; default init
distributions; clear errors."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import torch, require_torch
from tests.nn._nn_common import close, compare_module, to_np

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,bias", [((5, 4), True), ((4,), True), ((2, 3, 4), False),
                                        ((2, 1, 3, 4), True)])
def test_linear_matches_torch(shape, bias, dtype):
    require_torch()
    e, t = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    assert repr(e) == repr(t)
    compare_module(e, t, [RNG.standard_normal(shape)], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bilinear_matches_torch(dtype):
    require_torch()
    e, t = nn.Bilinear(3, 4, 5), torch.nn.Bilinear(3, 4, 5)
    assert repr(e) == repr(t)
    compare_module(e, t, [RNG.standard_normal((6, 3)), RNG.standard_normal((6, 4))], dtype)
    e, t = nn.Bilinear(3, 4, 2, bias=False), torch.nn.Bilinear(3, 4, 2, bias=False)
    compare_module(e, t, [RNG.standard_normal((2, 6, 3)), RNG.standard_normal((2, 6, 4))],
                   dtype)


def test_linear_double_backward_and_finite_differences():
    x = ember.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    b = ember.tensor(RNG.standard_normal(2), requires_grad=True)
    assert ember.autograd.gradcheck(F.linear, (x, w, b))
    x1 = ember.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    x2 = ember.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    wb = ember.tensor(RNG.standard_normal((4, 2, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(F.bilinear, (x1, x2, wb, b.detach()[:1].expand(4)))
    # gradient of a gradient (create_graph) goes through the ember-op backward
    (gx,) = ember.autograd.grad(F.linear(x, w, b).pow(2).sum(), x, create_graph=True)
    gx.sum().backward()
    require_torch()
    tx = torch.tensor(to_np(x), requires_grad=True)
    tw = torch.tensor(to_np(w), requires_grad=True)
    tb = torch.tensor(to_np(b), requires_grad=True)
    (tgx,) = torch.autograd.grad(torch.nn.functional.linear(tx, tw, tb).pow(2).sum(), tx,
                                 create_graph=True)
    tgx.sum().backward()
    close(w.grad, tw.grad, np.float64, "second order weight grad")


def test_linear_errors_name_the_shapes():
    m = nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 5\) does not match "
                                           r"in_features=4"):
        m(ember.zeros(2, 5))
    with pytest.raises(RuntimeError, match="bilinear"):
        nn.Bilinear(2, 3, 1)(ember.zeros(4, 2), ember.zeros(4, 4))
    with pytest.raises(RuntimeError, match="linear: input of dtype ember.float64 does not "
                                           "match the weight's dtype ember.float32"):
        m(ember.zeros(2, 4, dtype=ember.float64))


def test_float32_stays_float32():
    m = nn.Linear(4, 3)
    assert m.weight.dtype == ember.float32
    y = m(ember.randn(2, 4))
    assert y.dtype == ember.float32
    y.sum().backward()
    assert m.weight.grad.dtype == ember.float32
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype == ember.float64


def _uniform_moments_ok(a, bound):
    a = to_np(a).ravel()
    n = a.size
    assert np.all(np.abs(a) <= bound + 1e-7)
    # U(-b, b): mean 0, var b^2/3; 5-sigma bands
    assert abs(a.mean()) < 5 * bound / math.sqrt(3 * n)
    var = a.var()
    assert abs(var - bound ** 2 / 3) < 5 * bound ** 2 * math.sqrt(4 / 45 / n)
    assert a.max() > 0.95 * bound and a.min() < -0.95 * bound


def test_default_init_same_distribution_as_torch():
    ember.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives exactly 1/sqrt(fan_in)
    _uniform_moments_ok(m.weight, bound)
    _uniform_moments_ok(nn.Linear(400, 3000).bias, bound)
    b = nn.Bilinear(50, 20, 100)
    _uniform_moments_ok(b.weight, 1 / math.sqrt(50))
    if torch is not None:
        t = torch.nn.Linear(400, 300)
        tw = t.weight.detach().numpy()
        assert abs(np.abs(tw).max() - np.abs(to_np(m.weight)).max()) < 1e-3
        assert abs(tw.std() - to_np(m.weight).std()) < 2e-4
    # seeded: the same seed gives the same layer
    ember.manual_seed(3)
    w1 = to_np(nn.Linear(3, 2).weight)
    ember.manual_seed(3)
    assert np.array_equal(w1, to_np(nn.Linear(3, 2).weight))


def test_identity_flatten_unflatten():
    require_torch()
    x = RNG.standard_normal((2, 3, 4, 5))
    assert nn.Identity(3, foo=1)(ember.tensor(x)).shape == (2, 3, 4, 5)
    for args in [(), (0, -1), (2,), (1, 2)]:
        e, t = nn.Flatten(*args), torch.nn.Flatten(*args)
        assert repr(e) == repr(t)
        compare_module(e, t, [x], np.float64)
    for dim, size in [(1, (2, 6)), (-1, (2, -1)), (1, (3, 4))]:
        e, t = nn.Unflatten(dim, size), torch.nn.Unflatten(dim, size)
        assert repr(e) == repr(t)
        compare_module(e, t, [RNG.standard_normal((2, 12))], np.float64)
    with pytest.raises(RuntimeError, match="unflatten"):
        nn.Unflatten(1, (5, 5))(ember.zeros(2, 12))


def test_check_op_linear_bilinear():
    from tests.helpers import check_op

    tF = None if torch is None else torch.nn.functional
    check_op(F.linear, tF and tF.linear, shapes=[(5, 4), (3, 4), (3,)], noncontiguous=True)
    check_op(F.linear, tF and tF.linear, shapes=[(2, 5, 4), (3, 4)])
    check_op(F.bilinear, tF and tF.bilinear, shapes=[(5, 2), (5, 3), (4, 2, 3), (4,)])
