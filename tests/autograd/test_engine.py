import numpy as np
import pytest

import ember
from tests.helpers import torch, require_torch


def test_grad_accumulates_and_zero():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    assert x.is_leaf and not (x * 2).is_leaf


def test_shared_grad_not_aliased():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_backward_nonscalar_needs_gradient():
    x = ember.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(ember.ones(2, 3))
    assert x.grad.shape == (2, 3)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(3))


def test_second_backward_through_freed_graph():
    x = ember.ones(3, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * np.e + 2 * np.e, rtol=1e-6)


def test_requires_grad_errors():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_no_grad_and_decorators():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @ember.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)


def test_detach_and_data():
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    d[0] = 5.0
    assert x[0].item() == 5.0
    x.data = ember.zeros(3)
    assert x.sum().item() == 0 and x.requires_grad
    assert not x.data.requires_grad


def test_retain_grad_and_hooks():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    h = x.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert seen == [[6.0, 12.0]]
    assert x.grad.tolist() == [180.0, 360.0]
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_autograd_grad_and_allow_unused():
    x = ember.tensor(3.0, requires_grad=True)
    w = ember.tensor(1.0, requires_grad=True)
    y = x ** 3
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    assert g.item() == 27.0
    (gg,) = ember.autograd.grad(g, x)
    assert gg.item() == 18.0
    assert x.grad is None
    with pytest.raises(RuntimeError, match="not have been used"):
        ember.autograd.grad((x * 2), [x, w])
    r = ember.autograd.grad(x * 2, [x, w], allow_unused=True)
    assert r[1] is None


def test_grad_of_nonleaf_input():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = ember.autograd.grad(y, h)
    assert gh.tolist() == [4.0, 8.0]


def test_long_chain_no_recursion_limit():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10000, rtol=1e-3)


def test_graph_freed_after_backward():
    import weakref
    x = ember.ones(100, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node._saved is None


def test_backward_inputs_argument():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    (a * b * 2).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0, 2.0] and b.grad is None


def test_diamond_graph_and_unused_branch():
    x = ember.tensor([2.0], requires_grad=True)
    a = x * 3
    b = x.exp()
    c = a * b + a
    c.backward(ember.ones(1))
    np.testing.assert_allclose(x.grad.numpy(), [3 * np.exp(2) + 3 * 2 * np.exp(2) + 3])


def test_hessian_vector_product_matches_torch():
    require_torch()
    rng = np.random.default_rng(0)
    xv, vv = rng.standard_normal(5), rng.standard_normal(5)

    def f(lib, x):
        return (lib.tanh(x) * x.sin()).sum() + (x ** 3).sum()
    xe = ember.tensor(xv, requires_grad=True)
    (g,) = ember.autograd.grad(f(ember, xe), xe, create_graph=True)
    (hv,) = ember.autograd.grad(g, xe, ember.tensor(vv))
    xt = torch.tensor(xv, requires_grad=True)
    (gt,) = torch.autograd.grad(f(torch, xt), xt, create_graph=True)
    (hvt,) = torch.autograd.grad(gt, xt, torch.tensor(vv))
    np.testing.assert_allclose(hv.numpy(), hvt.numpy(), rtol=1e-10)


def test_gradient_penalty_style():
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    out = (x @ w).tanh().sum()
    (gx,) = ember.autograd.grad(out, x, create_graph=True)
    penalty = (gx.norm(2, dim=1) - 1).pow(2).mean()
    penalty.backward()
    assert w.grad is not None and w.grad.shape == (3, 2)


SMOOTH = [
    lambda x: x.exp() * x, lambda x: x.sigmoid(), lambda x: x.tanh() * x, lambda x: (x * x).sum(1),
    lambda x: x.softmax(1), lambda x: x.log_softmax(0), lambda x: x @ x.t(), lambda x: x.pow(3) / (x * x + 1),
    lambda x: x.logsumexp(1), lambda x: x.norm(), lambda x: x.var(1), lambda x: x.sin().cos(),
    lambda x: x.reshape(-1)[::2].sqrt() if False else (x * x + 1).sqrt(), lambda x: x.max(1)[0] * x.mean(),
    lambda x: ember.where(x > 0, x * x, x.exp()), lambda x: x.cumsum(1) * x,
]


@pytest.mark.parametrize("f", SMOOTH)
def test_gradgradcheck_smooth_ops(f):
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(f, (x,))


def test_gradcheck_reports_mismatch():
    class Bad(ember.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return grad * 3
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(lambda t: Bad.apply(t), (x,))
    assert not ember.autograd.gradcheck(lambda t: Bad.apply(t), (x,), raise_exception=False)


# -- the lean paths of the hot loop (loss.backward(), the engine's short path) ---------------

@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_scalar_backward_seed_is_fresh(shape):
    """``loss.backward()`` seeds with a fresh one each time: a hook that changes its
    gradient in place cannot leak into the next backward."""
    x = ember.tensor(np.full(shape, 2.0, np.float32), requires_grad=True)
    for expected in (3.0, 6.0):
        y = x * 3.0
        y.register_hook(lambda g: g.mul_(10.0))
        y.sum().backward() if shape else y.backward()
        assert x.grad.shape == shape
        np.testing.assert_allclose(x.grad.numpy(), np.full(shape, expected * 10.0))


def test_scalar_backward_of_a_leaf_and_dtypes():
    for dt in (ember.float32, ember.float64):
        x = ember.tensor(1.5, dtype=dt, requires_grad=True)
        x.backward()
        x.backward()
        assert x.grad.dtype == dt and x.grad.item() == 2.0


def test_retain_graph_keeps_saved_values_on_the_short_path():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    # a released node keeps its graph edges (next_functions) for tools that walk the graph
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"


def test_node_hooks_and_leaf_hooks_take_the_general_path():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 2.0
    y.grad_fn.register_prehook(lambda gout: seen.append("pre") or None)
    y.grad_fn.register_hook(lambda gin, gout: seen.append("post") or None)
    x.register_hook(lambda g: g * 10)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    y.sum().backward()
    assert seen == ["pre", "post", [20.0, 20.0]]
    assert x.grad.tolist() == [20.0, 20.0]


def test_inplace_change_of_a_saved_input_is_detected():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1.0
    y = (a * a).sum()
    a.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_anomaly_mode_names_the_node():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = (x.sqrt() * 0.0).sum()  # d sqrt at 0 is inf; inf * 0 = nan
        with pytest.raises(RuntimeError, match="returned nan values"), pytest.warns(RuntimeWarning):
            y.backward()


def test_leaf_gradient_accumulates_in_place():
    """``.grad`` is accumulated into its storage (views of it see the sum), for one
    element (NumPy's slow in-place add avoided) and for many."""
    for shape in ((1,), (3,)):
        x = ember.ones(shape, requires_grad=True)
        (x * 2.0).sum().backward()
        g = x.grad
        view = g.view(-1)
        (x * 3.0).sum().backward()
        assert x.grad is g and view.tolist() == [5.0] * shape[0]
