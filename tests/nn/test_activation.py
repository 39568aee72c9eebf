"""Activation modules and functions against PyTorch (forward, input gradient with a
random upstream gradient, double backward), finite differences, reprs, inplace, Maxout."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import torch, require_torch
from tests.nn._nn_common import away_from_kinks, close, compare_module, to_np

CASES = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("LeakyReLU", ()),
    ("PReLU", ()), ("PReLU", (3,)), ("PReLU", (3, 0.1)),
    ("ELU", ()), ("ELU", (0.5,)), ("SELU", ()), ("CELU", ()), ("CELU", (2.0,)),
    ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()),
    ("Tanh", ()), ("Hardtanh", ()), ("Hardtanh", (-2.0, 2.0)), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("Softplus", ()), ("Softplus", (2.0, 5.0)), ("Softsign", ()),
    ("Softmax", (1,)), ("LogSoftmax", (1,)), ("Softmin", (1,)), ("LogSigmoid", ()),
    ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)), ("Hardshrink", ()), ("Softshrink", ()),
    ("GLU", ()), ("GLU", (0,)),
]


def _input(shape=(4, 3, 6), seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return away_from_kinks(rng.standard_normal(shape) * scale)


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}{a}" for n, a in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_module_matches_torch(name, args, dtype):
    require_torch()
    emod = getattr(nn, name)(*args)
    tmod = getattr(torch.nn, name)(*args)
    assert repr(emod) == repr(tmod)
    tol = None
    if name in ("Hardsigmoid", "Hardswish") and dtype == np.float64:
        # PyTorch's kernels use the float32 constant 1/6 (and 1/3) in float64 too
        tol = dict(rtol=1e-7, atol=1e-12)
    compare_module(emod, tmod, [_input()], dtype, tol=tol)


@pytest.mark.parametrize("name,args", [
    ("LeakyReLU", (0.2,)), ("ELU", ()), ("SELU", ()), ("CELU", (2.0,)), ("GELU", ()),
    ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Softplus", (2.0,)), ("Softsign", ()),
    ("LogSigmoid", ()), ("Tanhshrink", ()), ("Hardswish", ()),
    ("PReLU", (3,)),
])
def test_double_backward_matches_torch(name, args):
    """create_graph=True: the gradient is itself differentiable (gradient penalties)."""
    require_torch()
    x = _input((2, 3, 4), seed=1)
    g = np.random.default_rng(2).standard_normal(x.shape)
    emod, tmod = getattr(nn, name)(*args).double(), getattr(torch.nn, name)(*args).double()
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    (egx,) = ember.autograd.grad(emod(ex), ex, ember.tensor(g), create_graph=True)
    (tgx,) = torch.autograd.grad(tmod(tx), tx, torch.tensor(g), create_graph=True)
    tol = dict(rtol=1e-7, atol=1e-12) if name.startswith("Hards") else None  # torch's f32 1/6
    close(egx, tgx, np.float64, "first grad", tol)
    (tgx * tgx).sum().backward()
    loss = (egx * egx).sum()
    if not loss.requires_grad:  # piecewise linear in x: the second derivative is 0
        assert not np.any(tx.grad.numpy())
        return
    loss.backward()
    egrad = ex.grad if ex.grad is not None else np.zeros_like(x)  # None: independent of x
    close(egrad, tx.grad, np.float64, "second-order grad", tol)
    if name == "PReLU":
        close(emod.weight.grad, tmod.weight.grad, np.float64, "second-order weight grad")


@pytest.mark.parametrize("fn,kwargs", [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("elu", {"alpha": 0.7}), ("celu", {"alpha": 1.5}), ("selu", {}), ("softplus", {"beta": 2.0}),
    ("softsign", {}), ("logsigmoid", {}), ("tanhshrink", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("leaky_relu", {"negative_slope": 0.3}), ("relu6", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("softshrink", {"lambd": 0.5}),
    ("hardshrink", {"lambd": 0.5}), ("threshold", {"threshold": 0.1, "value": -1.0}),
])
def test_functional_finite_differences(fn, kwargs):
    x = _input((3, 5), seed=3, scale=2.0)
    xt = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: getattr(F, fn)(t, **kwargs), (xt,))


def test_functional_against_torch_float32_dtype_kept():
    require_torch()
    x = _input((50,), seed=4).astype(np.float32)
    for fn in ["gelu", "silu", "mish", "elu", "selu", "celu", "softplus", "hardswish",
               "logsigmoid", "leaky_relu", "relu6", "softsign", "tanhshrink"]:
        y = getattr(F, fn)(ember.tensor(x))
        assert y.dtype == ember.float32, fn
        close(y, getattr(torch.nn.functional, fn)(torch.tensor(x)), np.float32, fn)


def test_gelu_extreme_values_and_erf_accuracy():
    require_torch()
    x = np.concatenate([np.linspace(-40, 40, 2001), [0.0, -1e-300, 1e-8, 1e300, -1e300]])
    close(F.gelu(ember.tensor(x)), torch.nn.functional.gelu(torch.tensor(x)), np.float64,
          "gelu", dict(rtol=1e-13, atol=1e-15))
    from ember.ops.nn_activation import erf, erfc
    xs = np.linspace(-6, 6, 1201)
    ref = np.array([math.erf(v) for v in xs])
    assert np.max(np.abs(to_np(erf(ember.tensor(xs))) - ref)) < 5e-16
    refc = np.array([math.erfc(v) for v in np.linspace(0, 25, 501)])
    got = to_np(erfc(ember.tensor(np.linspace(0, 25, 501))))
    assert np.max(np.abs(got - refc) / refc) < 2e-15


def test_softplus_threshold_and_large_inputs_stable():
    x = ember.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    for fn in (F.softplus, F.logsigmoid, F.silu, F.mish, F.gelu, F.elu, F.selu):
        y = fn(x)
        y.sum().backward()
        assert np.all(np.isfinite(to_np(y))), fn
        assert np.all(np.isfinite(to_np(x.grad))), fn
        x.grad = None


def test_inplace_modifies_input_without_grad_and_returns_it():
    x = ember.tensor([-1.0, 2.0, -3.0])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 2.0, 0.0]
    x = ember.tensor([-1.0, 2.0])
    nn.LeakyReLU(0.5, inplace=True)(x)
    assert x.tolist() == [-0.5, 2.0]
    # when autograd records through the input, the result is returned out of place
    w = ember.tensor([-1.0, 2.0], requires_grad=True)
    h = w * 1
    y = nn.ELU(inplace=True)(h)
    y.sum().backward()
    assert w.grad is not None


def test_prelu_shapes_and_errors():
    require_torch()
    m = nn.PReLU(3)
    assert m.weight.shape == (3,) and np.allclose(to_np(m.weight), 0.25)
    with pytest.raises(RuntimeError, match="prelu"):
        m(ember.zeros(2, 4, 5))
    with pytest.raises(RuntimeError, match="prelu"):  # a 1-D input has 1 channel
        m(ember.zeros(3))
    x = np.array([-1.0, 2.0, -3.0])
    close(nn.PReLU().double()(ember.tensor(x)), torch.nn.PReLU().double()(torch.tensor(x)),
          np.float64, "1-d prelu")


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(ember.zeros(2), approximate="fast")


def test_softmax_implicit_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(ember.zeros(2, 3))
    assert np.allclose(to_np(y).sum(1), 1)


def test_maxout_is_max_of_linear_pieces():
    m = nn.Maxout(4, 3, pieces=2).double()
    assert m.weight.shape == (6, 4) and m.bias.shape == (6,)
    assert repr(m) == "Maxout(in_features=4, out_features=3, pieces=2, bias=True)"
    x = np.random.default_rng(0).standard_normal((5, 4))
    w, b = to_np(m.weight), to_np(m.bias)
    z = x @ w.T + b
    ref = np.maximum(z[:, 0::2], z[:, 1::2])
    close(m(ember.tensor(x)), ref, np.float64, "maxout")
    xt = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: m(t), (xt,))
    # parameters get gradients only from the winning piece
    m(ember.tensor(x)).sum().backward()
    gw = to_np(m.bias.grad)
    win0 = (z[:, 0::2] >= z[:, 1::2]).sum(0)
    close(gw[0::2], win0, np.float64, "winning counts")
    bound = 1 / math.sqrt(4)
    assert np.all(np.abs(to_np(m.weight)) <= bound + 1e-12)


OP_CASES = [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("elu", {"alpha": 0.7}), ("celu", {"alpha": 1.5}), ("selu", {}),
    ("softplus", {"beta": 2.0, "threshold": 3.0}), ("softsign", {}), ("logsigmoid", {}),
    ("tanhshrink", {}), ("hardswish", {}), ("hardsigmoid", {}),
    ("leaky_relu", {"negative_slope": 0.3}), ("relu6", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("softshrink", {"lambd": 0.5}),
    ("hardshrink", {"lambd": 0.5}), ("threshold", {"threshold": 0.1, "value": -1.0}),
    ("glu", {"dim": -1}),
]


@pytest.mark.parametrize("fn,kwargs", OP_CASES, ids=[f"{f}{k}" for f, k in OP_CASES])
def test_check_op(fn, kwargs):
    from tests.helpers import check_op

    x = away_from_kinks(np.random.default_rng(5).standard_normal((4, 6)) * 3)
    check_op(lambda t: getattr(F, fn)(t, **kwargs),
             None if torch is None else lambda t: getattr(torch.nn.functional, fn)(t, **kwargs),
             inputs=[x], noncontiguous=True,
             rtol=1e-7 if fn.startswith("hards") else None)  # torch's float32 1/6 constant


def test_check_op_prelu():
    from tests.helpers import check_op

    x = away_from_kinks(np.random.default_rng(6).standard_normal((3, 4, 5)))
    w = np.array([0.1, -0.2, 0.3, 0.25])
    check_op(F.prelu, None if torch is None else torch.nn.functional.prelu, inputs=[x, w],
             noncontiguous=True)


def test_rrelu_train_and_eval():
    require_torch()
    e, t = nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3)
    assert repr(e) == repr(t)
    x = _input((50, 40), seed=7)
    compare_module(e, t, [x], np.float64, modes=("eval",))
    e.train()
    ex = ember.tensor(x, requires_grad=True)
    y = e(ex)
    slope = to_np(y) / x
    neg = x < 0
    assert np.allclose(slope[~neg], 1) and np.all((slope[neg] >= 0.1) & (slope[neg] <= 0.3))
    assert slope[neg].std() > 0.03  # really random per element
    y.backward(ember.ones_like(y))
    np.testing.assert_allclose(to_np(ex.grad), slope, rtol=1e-12)


def test_softmax2d_matches_torch():
    require_torch()
    compare_module(nn.Softmax2d(), torch.nn.Softmax2d(), [_input((2, 3, 4, 5))], np.float64)
    with pytest.raises(ValueError, match="Softmax2d"):
        nn.Softmax2d()(ember.zeros(2, 3))


def test_gumbel_softmax():
    ember.manual_seed(0)
    logits = ember.tensor(np.log(np.array([[0.1, 0.6, 0.3]] * 4000)), requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5)
    assert np.allclose(to_np(y).sum(-1), 1)
    h = F.gumbel_softmax(logits, hard=True)
    hv = to_np(h)
    assert set(np.unique(hv)) == {0.0, 1.0} and np.all(hv.sum(-1) == 1)
    freq = hv.mean(0)  # Gumbel-max samples the categorical distribution
    assert np.allclose(freq, [0.1, 0.6, 0.3], atol=0.03)
    (h * ember.tensor([1.0, 2.0, 3.0])).sum().backward()  # straight-through gradient
    assert logits.grad is not None and np.any(to_np(logits.grad))


def test_inplace_true_modifies_its_input_under_autograd_like_torch():
    """F.relu(h, inplace=True) goes through the one in-place mechanism (ops/inplace.py)."""
    from tests.helpers import require_torch
    torch = require_torch()
    a = np.random.default_rng(0).standard_normal((3, 4))
    for name, kwargs in [("relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}),
                         ("hardtanh", {}), ("silu", {}), ("dropout", {"p": 0.0})]:
        x, tx = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        h, th = x * 2, tx * 2
        y = getattr(F, name)(h, inplace=True, **kwargs)
        ty = getattr(torch.nn.functional, name)(th, inplace=True, **kwargs)
        assert (y is h) == (ty is th), name
        np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-12)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, err_msg=name)
    leaf = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(leaf, inplace=True)
    m = ember.nn.ReLU(inplace=True)
    h = ember.tensor([-1.0, 2.0])
    assert m(h) is h and h.tolist() == [0.0, 2.0]
