import numpy as np
import pytest

import ember
from tests.helpers import check_op, torch, require_torch

DIMS = [None, 0, 1, -1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, dim, keepdim):
    if dim is None and keepdim:
        f = lambda x: getattr(x, name)()
    else:
        f = lambda x: getattr(x, name)(dim, keepdim=keepdim) if dim is not None else getattr(x, name)()
    check_op(f, f, [(2, 3, 4)], noncontiguous=True)


@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
@pytest.mark.parametrize("correction", [0, 1])
def test_var_std(dim, correction):
    for name in ("var", "std"):
        f = lambda x: getattr(x, name)(dim=dim, correction=correction, keepdim=True)
        check_op(f, f, [(3, 4, 2)])


def test_var_unbiased_positional():
    require_torch()
    x = np.random.default_rng(0).standard_normal((4, 5))
    np.testing.assert_allclose(ember.tensor(x).var(1, False).numpy(), torch.tensor(x).var(1, False).numpy(), rtol=1e-5)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod(dim):
    f = (lambda x: x.prod()) if dim is None else (lambda x: x.prod(dim))
    check_op(f, f, [(3, 4)])
    x = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
    check_op(f, f, inputs=[x])  # zeros: exact product-of-others gradient


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim(dim, keepdim):
    for name in ("max", "min"):
        check_op(lambda x: getattr(x, name)(dim, keepdim=keepdim)[0],
                 lambda x: getattr(x, name)(dim, keepdim=keepdim)[0], [(3, 4)])
    require_torch()
    x = np.random.default_rng(3).standard_normal((3, 4))
    e = ember.tensor(x).max(dim, keepdim)
    t = torch.tensor(x).max(dim, keepdim)
    np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())
    assert e.indices.dtype == ember.int64


def test_max_full_and_ties():
    x = np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 3.0]])
    check_op(lambda x: x.max(), lambda x: x.max(), inputs=[x], gradcheck=False)
    check_op(lambda x: x.amax(1), lambda x: x.amax(1), inputs=[x], gradcheck=False)
    check_op(lambda x: x.amin((0, 1)), lambda x: x.amin((0, 1)), inputs=[x], gradcheck=False)
    check_op(lambda x: x.max(), lambda x: x.max(), [(3, 4)])


def test_argmax_argmin():
    require_torch()
    x = np.random.default_rng(0).standard_normal((3, 5))
    for name in ("argmax", "argmin"):
        for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
            e = getattr(ember.tensor(x), name)(**kw)
            t = getattr(torch.tensor(x), name)(**kw)
            np.testing.assert_array_equal(e.numpy(), t.numpy())
            assert tuple(e.shape) == tuple(t.shape)


@pytest.mark.parametrize("dim", [0, 1, (0, 1)])
def test_logsumexp(dim):
    check_op(lambda x: x.logsumexp(dim), lambda x: x.logsumexp(dim), [(3, 4)])
    big = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    check_op(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), inputs=[big], gradcheck=False)


@pytest.mark.parametrize("p", [2, 1, 3, float("inf"), "fro"])
def test_norm(p):
    check_op(lambda x: x.norm(p), lambda x: x.norm(p), [(3, 4)])
    check_op(lambda x: x.norm(p, dim=1, keepdim=True), lambda x: x.norm(p, dim=1, keepdim=True), [(3, 4)])


def test_cumsum_cumprod():
    check_op(lambda x: x.cumsum(1), lambda x: x.cumsum(1), [(3, 4)])
    check_op(lambda x: x.cumsum(0), lambda x: x.cumsum(0), [(3, 4)])
    check_op(lambda x: x.cumprod(1), lambda x: x.cumprod(1), [(2, 4)], domain="positive")


def test_all_any_int_sum():
    x = ember.tensor([[True, False], [True, True]])
    assert x.all().item() is False and x.any().item() is True
    assert x.all(1).tolist() == [False, True]
    s = x.sum()
    assert s.dtype == ember.int64 and s.item() == 3
    assert ember.tensor([1, 2, 3]).sum().dtype == ember.int64


def test_mean_of_int_raises():
    with pytest.raises(RuntimeError, match="mean"):
        ember.tensor([1, 2]).mean()


def test_empty_reductions():
    require_torch()
    x = np.zeros((0, 3))
    np.testing.assert_array_equal(ember.tensor(x).sum(0).numpy(), torch.tensor(x).sum(0).numpy())
    assert ember.tensor(x).sum().item() == 0
    with pytest.raises((RuntimeError, IndexError)):
        ember.tensor(x).max(0)


def test_reduce_dim_errors():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.ones(2, 3).sum(2)


def test_median():
    require_torch()
    x = np.random.default_rng(0).standard_normal((3, 6))
    np.testing.assert_allclose(ember.tensor(x).median().numpy(), torch.tensor(x).median().numpy())
    e, t = ember.tensor(x).median(1), torch.tensor(x).median(1)
    np.testing.assert_allclose(e.values.numpy(), t.values.numpy())
    np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())


def test_mean_bitwise_equal_to_numpy_and_max_ties():
    """mean runs the ufunc reduction and divides itself: the same bits as NumPy's mean
    (float32 and float64, over all dims or some); max's gradient splits ties evenly."""
    rng = np.random.default_rng(3)
    for dt in (np.float32, np.float64):
        x = (rng.standard_normal((4, 5, 6)) * 100).astype(dt)
        for dim in (None, 0, (0, 2), -1):
            for keepdim in (False, True):
                got = ember.from_numpy(x).mean(dim, keepdim=keepdim).numpy()
                axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
                want = x.mean(axis=axis, keepdims=keepdim)
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)
    t = ember.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    t.max().backward()
    assert t.grad.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
    t.grad = None
    t.amax(1).sum().backward()
    assert t.grad.tolist() == [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]


@pytest.mark.parametrize("dim", [(0, 2, 3), (3, 0, 2), (-1, -2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_over_all_but_channels_fast_path(dim, keepdim, dtype):
    """A big contiguous (N, C, H, W) summed over every axis but 1 (a conv bias gradient)
    takes a matrix-vector path; same values as NumPy's reduction, PyTorch's gradient."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 5, 40, 41)).astype(dtype)   # 65,600 elements: the fast path
    got = ember.from_numpy(a).sum(dim=dim, keepdim=keepdim).numpy()
    want = a.astype(np.float64).sum(axis=dim, keepdims=keepdim)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-3 if dtype == np.float32 else 1e-9)
    check_op(lambda x: x.sum(dim=dim, keepdim=keepdim),
             torch and (lambda x: x.sum(dim=dim, keepdim=keepdim)), [(8, 5, 40, 41)],
             gradcheck=False)
