"""PyTorch's edge semantics in the op wrappers (ember/ops/_args.py): dtype checks, 0-d
and empty tensors, indexing forms, exception classes. The random sweep in
tests/test_torch_sweep.py covers the same ground broadly; these are the named cases."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch


def _same(call):
    """``call(lib)`` in both libraries: equal results, or the same exception class."""
    torch = require_torch()
    try:
        expect = call(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e).__mro__[[c.__module__ for c in type(e).__mro__].index("builtins")]):
            call(ember)
        return None
    got = call(ember)
    assert tuple(got.shape) == tuple(expect.shape)
    assert str(got.dtype).split(".")[-1] == str(expect.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy(), expect.numpy(), equal_nan=True)
    return got


@pytest.mark.parametrize("op", ["std", "var", "norm", "mean", "nanmean"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_float_only_reductions_raise_on_int_and_bool(op, dtype):
    x = ember.tensor([1, 0, 1]).to(getattr(ember, dtype))
    with pytest.raises(RuntimeError, match=op if op != "norm" else "vector_norm"):
        getattr(ember, op)(x)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_of_integers_raises_unless_dtype_given(op):
    x = ember.tensor([1, 2, 3])
    with pytest.raises(NotImplementedError, match=op):
        getattr(ember, op)(x, 0)
    assert getattr(ember, op)(x, 0, dtype=ember.float64).dtype == ember.float64


def test_abs_and_argmax_of_bool_raise():
    b = ember.tensor([True, False])
    with pytest.raises(NotImplementedError, match="abs"):
        ember.abs(b)
    with pytest.raises(RuntimeError, match="argmax"):
        ember.argmax(b)


def test_integer_pow_with_negative_exponents_follows_pytorch():
    _same(lambda m: m.tensor([2, 1, -1, 0, -2, 3]) ** m.tensor([-1, -1, -3, -1, -2, 2]))
    _same(lambda m: 2 ** m.tensor([-1, 0, 3]))
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ember.tensor([2, 3]) ** -1


@pytest.mark.parametrize("op", [
    lambda m, x: m.sum(x, 0), lambda m, x: m.sum(x, -1, keepdim=True), lambda m, x: m.cumsum(x, 0),
    lambda m, x: m.var(x, 0, correction=0), lambda m, x: m.softmax(x, -1), lambda m, x: m.flip(x, [0]),
    lambda m, x: m.logsumexp(x, 0), lambda m, x: m.amax(x, -1), lambda m, x: m.max(x, 0)[1],
    lambda m, x: m.argmax(x, 0), lambda m, x: m.transpose(x, 0, -1), lambda m, x: m.flatten(x, 0, -1),
    lambda m, x: m.prod(x, 0), lambda m, x: m.mean(x, (0,)), lambda m, x: x.sort(0).values,
], ids=["sum", "sum_keepdim", "cumsum", "var", "softmax", "flip", "logsumexp", "amax", "max", "argmax",
        "transpose", "flatten", "prod", "mean", "sort"])
def test_dim_0_and_minus_1_are_valid_on_0d_tensors(op):
    got = _same(lambda m: op(m, m.tensor(2.5)))
    assert got is not None and got.ndim <= 1


@pytest.mark.parametrize("op", [lambda m, x: m.transpose(x, 0, 1), lambda m, x: m.flatten(x, 0, 1),
                                lambda m, x: m.sum(x, 1), lambda m, x: x.permute(1), lambda m, x: m.roll(x, 1, 0),
                                lambda m, x: x.unbind(0)])
def test_out_of_range_dims_on_0d_tensors_raise_like_pytorch(op):
    _same(lambda m: op(m, m.tensor(2.5)))


def test_cumsum_of_0d_tensor_is_0d_and_differentiable():
    x = ember.tensor(3.0, requires_grad=True)
    y = ember.cumsum(x, 0)
    assert y.shape == () and y.item() == 3.0
    y.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("op", [
    lambda m, x: m.softmax(x, 1), lambda m, x: m.log_softmax(x, 0), lambda m, x: m.sum(x, 1),
    lambda m, x: m.prod(x, 1), lambda m, x: m.logsumexp(x, 1), lambda m, x: m.mean(x, 1),
    lambda m, x: m.amax(x, 0), lambda m, x: m.amax(x, 1), lambda m, x: m.argmax(x, 1), lambda m, x: m.median(x),
    lambda m, x: m.norm(x, float("inf")), lambda m, x: m.std(x, 1), lambda m, x: m.cumsum(x, 1),
], ids=["softmax", "log_softmax", "sum", "prod", "logsumexp", "mean", "amax_kept", "amax_empty", "argmax",
        "median", "norm_inf", "std", "cumsum"])
def test_reductions_over_empty_dims_follow_pytorch(op):
    _same(lambda m: op(m, m.zeros(3, 0)))


def test_list_holding_sequences_indexes_like_a_tuple_with_pytorch_warning():
    x = ember.arange(12).reshape(3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        assert x[[[0, 1], [2, 0]]].tolist() == [2, 4]
    assert x[[0, 2]].shape == (2, 4)  # a flat list stays one advanced index


def test_empty_softmax_keeps_the_graph():
    x = ember.zeros(2, 0, requires_grad=True)
    y = ember.softmax(x, 1)
    assert y.shape == (2, 0) and y.requires_grad


@pytest.mark.parametrize("key", [
    lambda m: range(0, 2), lambda m: (range(1, 3), 0), lambda m: [[0, 1], [2, 0]], lambda m: ([0, 2], [1, 1]),
    lambda m: (slice(None), [0, 2]), lambda m: ([], 0), lambda m: (Ellipsis, range(1)),
    lambda m: (m.tensor([0, 2]), range(0, 3, 2)), lambda m: [True, False, True], lambda m: (None, [1], 0),
], ids=["range", "range_int", "list_of_lists", "two_lists", "slice_list", "empty_list", "ellipsis_range",
        "tensor_range", "bool_list", "none_list_int"])
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # both libraries warn on x[[[0, 1], [2, 0]]]
def test_indexing_forms_pytorch_accepts(key):
    data = np.arange(12.0).reshape(3, 4)
    _same(lambda m: m.tensor(data)[key(m)])


@pytest.mark.parametrize("call,exc", [
    (lambda: ember.sum(ember.zeros(2, 3), 2), IndexError),
    (lambda: ember.zeros(2).transpose(0, 1), IndexError),
    (lambda: ember.zeros(2, 3) + ember.zeros(4), RuntimeError),
    (lambda: ember.eq(ember.zeros(2, 3), ember.zeros(4)), RuntimeError),
    (lambda: ember.zeros(2).sort(1), IndexError),
    (lambda: ember.zeros(3).narrow(0, 4, 0), IndexError),
    (lambda: ember.tensor(1).floor_divide(0), RuntimeError),
    (lambda: ember.tensor([True]).neg(), RuntimeError),
])
def test_errors_are_pytorch_classes_naming_the_op_never_numpy_text(call, exc):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert "AxisError" not in type(info.value).__name__ and "operands could not be broadcast" not in msg
    assert "(" in msg.split(":")[0] or msg.split()[0].lower().startswith(("sort", "narrow", "negation")), msg
