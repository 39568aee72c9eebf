"""PyTorch's user-facing ``autograd.Function`` (ember/autograd/function.py): the same
class body runs under ember and torch and gives the same values and gradients."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch


def _define(lib):
    """The same custom Functions, written once the PyTorch way, for either library."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class ScaledMul(lib.autograd.Function):
        """Several tensor inputs, a non-tensor argument, needs_input_grad."""

        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
            gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class SortWithIndices(lib.autograd.Function):
        """Two outputs, one non-differentiable; the setup_context form."""

        @staticmethod
        def forward(x):
            values, idx = x.sort(dim=-1)
            return values, idx

        @staticmethod
        def setup_context(ctx, inputs, output):
            values, idx = output
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.shape = inputs[0].shape

        @staticmethod
        def backward(ctx, grad_values, grad_idx):
            (idx,) = ctx.saved_tensors
            g = lib.zeros(ctx.shape, dtype=grad_values.dtype)
            return g.scatter(-1, idx, grad_values)

    class SplitTwo(lib.autograd.Function):
        """Two differentiable outputs; unused ones get zeros (materialized grads)."""

        @staticmethod
        def forward(ctx, x):
            return x * 2, x * x

        @staticmethod
        def backward(ctx, g1, g2):
            (x,) = ctx.saved_tensors if ctx.saved_tensors else (None,)
            return g1 * 2 + g2 * 0

    class AddOneInplace(lib.autograd.Function):
        """mark_dirty: modifies its input in place and returns it."""

        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class NoMaterialize(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 if g1 is not None else g2

    class Cube(lib.autograd.Function):
        """Backward written in ops: differentiable again."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class CubeOnce(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    seen = []
    return dict(Exp=Exp, ScaledMul=ScaledMul, SortWithIndices=SortWithIndices, SplitTwo=SplitTwo,
                AddOneInplace=AddOneInplace, NoMaterialize=NoMaterialize, Cube=Cube,
                CubeOnce=CubeOnce, seen=seen)


E = _define(ember)


def _pair(shape, seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    t = torch.tensor(a, requires_grad=True) if torch is not None else None
    return ember.tensor(a, requires_grad=True), t


def test_exp_matches_torch_and_grad_fn_is_ctx():
    require_torch()
    T = _define(torch)
    x, tx = _pair((3, 4))
    y, ty = E["Exp"].apply(x), T["Exp"].apply(tx)
    assert y.grad_fn.saved_tensors[0].shape == (3, 4)  # ctx is the node, as in PyTorch
    g = np.random.default_rng(1).standard_normal((3, 4))
    y.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__ == "ExpBackward"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_several_inputs_non_tensor_argument_and_needs_input_grad(dtype):
    require_torch()
    T = _define(torch)
    a, ta = _pair((2, 3), 0, dtype)
    b = ember.tensor(np.ones((2, 3), dtype))           # no grad needed
    tb = torch.ones(2, 3, dtype=ta.dtype)
    out, tout = E["ScaledMul"].apply(a, b, 2.5), T["ScaledMul"].apply(ta, tb, 2.5)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
    assert b.grad is None and out.dtype == a.dtype


def test_setup_context_form_two_outputs_non_differentiable():
    require_torch()
    T = _define(torch)
    x, tx = _pair((2, 5), 3)
    v, idx = E["SortWithIndices"].apply(x)
    tv, tidx = T["SortWithIndices"].apply(tx)
    assert not idx.requires_grad and not tidx.requires_grad
    assert v.grad_fn is not None and idx.grad_fn is None
    w = np.arange(10.0).reshape(2, 5)
    (v * ember.tensor(w)).sum().backward()
    (tv * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_unused_output_gets_materialized_zeros():
    x, _ = _pair((3,))
    a, b = E["SplitTwo"].apply(x)
    assert a.grad_fn is b.grad_fn and (a._out_nr, b._out_nr) == (0, 1)
    a.sum().backward()                   # b gets no gradient: zeros are passed for it
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2.0))


def test_set_materialize_grads_false_passes_none():
    E["seen"].clear()
    x, _ = _pair((3,))
    a, b = E["NoMaterialize"].apply(x)
    a.sum().backward()
    assert E["seen"] == [(False, True)]


def test_mark_dirty_modifies_input_in_place_and_rebases_it():
    require_torch()
    T = _define(torch)
    x, tx = _pair((4,))
    h, th = x * 2, tx * 2
    out, tout = E["AddOneInplace"].apply(h), T["AddOneInplace"].apply(th)
    assert out is h and tout is th
    assert h._version == th._version
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    with pytest.raises(RuntimeError, match="leaf Variable"):
        E["AddOneInplace"].apply(ember.ones(2, requires_grad=True))


def test_double_backward_through_user_function_and_once_differentiable():
    x = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(E["Cube"].apply(x), x, create_graph=True)
    (gg,) = ember.autograd.grad(g, x)
    assert g.item() == 12.0 and gg.item() == 12.0
    y = E["CubeOnce"].apply(x)
    (g,) = ember.autograd.grad(y * y, x, create_graph=True)
    assert g.item() == 192.0 and g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        ember.autograd.grad(g, x)


def test_gradcheck_and_gradgradcheck_on_user_functions():
    x = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(E["Exp"].apply, (x,))
    assert ember.autograd.gradcheck(lambda a, c: E["ScaledMul"].apply(a, c, 0.5), (x, b))
    assert ember.autograd.gradgradcheck(E["Cube"].apply, (x,))
    assert ember.autograd.gradcheck(lambda a: E["SortWithIndices"].apply(a)[0], (x,))


def test_wrong_number_or_shape_of_gradients_raises_like_torch():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()

    class BadShape(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return ember.ones(5)

    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        BadShape.apply(ember.ones(3, requires_grad=True)).sum().backward()


def test_no_graph_when_no_input_requires_grad_or_under_no_grad():
    x = ember.ones(3)
    assert not E["Exp"].apply(x).requires_grad
    with ember.no_grad():
        assert E["Exp"].apply(ember.ones(3, requires_grad=True)).grad_fn is None


def test_saved_output_is_version_checked():
    x = ember.ones(3, requires_grad=True)
    y = E["Exp"].apply(x)
    with ember.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_instantiating_or_calling_legacy_style_fails_like_torch():
    with pytest.warns(DeprecationWarning):
        f = E["Exp"]()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        f(ember.ones(1))


def test_import_ember_as_torch_custom_function_runs():
    """The issue's report: a custom Function written the PyTorch way runs unchanged."""
    import ember as torch_alias

    class MyReLU(torch_alias.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    x = torch_alias.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    MyReLU.apply(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
