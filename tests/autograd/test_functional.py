"""``ember.autograd.functional`` and ``ember.func`` against PyTorch's on the same functions."""
import numpy as np
import pytest

import ember
import ember.autograd.functional as AF
from ember import func as efunc
from tests.helpers import require_torch, torch


def _f_single(lib):
    return lambda x: (x ** 3).sum() + (x[0] * x[1]).exp()


def _f_vec(lib):
    return lambda x: lib.stack([x[0] * x[1], x.sin().sum(), x[2] ** 2])


def _f_two(lib):
    return lambda x, y: (x * y.tanh()).sum(0)


X = np.array([0.3, -0.7, 1.1])
Y = np.array([[0.5, 0.2, -0.4], [1.0, -1.5, 0.25]])


def _both(*arrays):
    return (tuple(ember.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays))


def _close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b):
            _close(u, v)
        return
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["jacobian", "hessian"])
def test_jacobian_and_hessian_match_torch(name):
    require_torch()
    (ex,), (tx,) = _both(X)
    if name == "jacobian":
        _close(AF.jacobian(_f_vec(ember), ex), torch.autograd.functional.jacobian(_f_vec(torch), tx))
        (ex2, ey), (tx2, ty) = _both(Y[0], Y)
        _close(AF.jacobian(_f_two(ember), (ex2, ey)),
               torch.autograd.functional.jacobian(_f_two(torch), (tx2, ty)))
    else:
        _close(AF.hessian(_f_single(ember), ex), torch.autograd.functional.hessian(_f_single(torch), tx))


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_products_match_torch(name):
    require_torch()
    (ex, ev), (tx, tv) = _both(X, np.array([0.5, -1.0, 2.0]))
    fe = _f_vec(ember) if name in ("vjp", "jvp") else _f_single(ember)
    ft = _f_vec(torch) if name in ("vjp", "jvp") else _f_single(torch)
    ours = getattr(AF, name)(fe, ex, ev)
    theirs = getattr(torch.autograd.functional, name)(ft, tx, tv)
    _close(ours, theirs)


def test_create_graph_makes_results_differentiable():
    x = ember.tensor(X, requires_grad=True)
    h = AF.hessian(_f_single(ember), x, create_graph=True)
    assert h.requires_grad
    h.sum().backward()
    assert x.grad is not None and x.grad.shape == (3,)


def test_strict_mode_and_shape_errors():
    x = ember.tensor(X)
    with pytest.raises(RuntimeError, match="independent of input 0"):
        AF.vjp(lambda a: ember.ones(3), x, ember.ones(3), strict=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        AF.vjp(_f_vec(ember), x, ember.ones(2))
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        AF.jacobian(_f_vec(ember), [1.0, 2.0])


def test_func_grad_nested_and_argnums_match_torch():
    require_torch()
    (ex, ey), (tx, ty) = _both(X, Y[0])
    f = lambda lib: (lambda a, b: (a.sin() * b).sum())  # noqa: E731
    _close(efunc.grad(f(ember))(ex, ey), torch.func.grad(f(torch))(tx, ty))
    _close(efunc.grad(f(ember), argnums=(0, 1))(ex, ey),
           torch.func.grad(f(torch), argnums=(0, 1))(tx, ty))
    g3 = lambda lib: (lambda a: (a ** 4).sum())  # noqa: E731
    second = efunc.grad(lambda a: efunc.grad(g3(ember))(a).sum())(ex)
    tsecond = torch.func.grad(lambda a: torch.func.grad(g3(torch))(a).sum())(tx)
    _close(second, tsecond)


def test_func_grad_and_value_has_aux_and_vjp():
    require_torch()
    (ex,), (tx,) = _both(X)

    def f(a):
        return (a ** 2).sum(), a.mean()
    ours = efunc.grad_and_value(f, has_aux=True)(ex)
    theirs = torch.func.grad_and_value(f, has_aux=True)(tx)
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])
    out, fn = efunc.vjp(lambda a: a.exp(), ex)
    tout, tfn = torch.func.vjp(lambda a: a.exp(), tx)
    _close(fn(ember.ones(3)), tfn(torch.ones(3, dtype=torch.float64)))


def test_func_jacrev_hessian_and_vmap_match_torch():
    require_torch()
    (ex, ey), (tx, ty) = _both(X, Y)
    _close(efunc.jacrev(_f_vec(ember))(ex), torch.func.jacrev(_f_vec(torch))(tx))
    _close(efunc.hessian(_f_single(ember))(ex), torch.func.hessian(_f_single(torch))(tx))
    _close(efunc.vmap(lambda r: r.dot(r))(ey), torch.vmap(lambda r: r.dot(r))(ty))
    _close(efunc.vmap(lambda r, s: r * s, in_dims=(1, None))(ey, ex[:2]),
           torch.vmap(lambda r, s: r * s, in_dims=(1, None))(ty, tx[:2]))
    _close(efunc.vmap(lambda r: (r.sum(), r * 2))(ey), torch.vmap(lambda r: (r.sum(), r * 2))(ty))


def test_functional_call_swaps_parameters_and_restores_them():
    lin = ember.nn.Linear(3, 2)
    w = ember.zeros(2, 3)
    b = ember.ones(2)
    out = efunc.functional_call(lin, {"weight": w, "bias": b}, (ember.ones(1, 3),))
    assert out.tolist() == [[1.0, 1.0]]
    assert lin.weight is not w and isinstance(lin.weight, ember.nn.Parameter)
