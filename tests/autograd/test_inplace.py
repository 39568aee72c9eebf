import numpy as np
import pytest

import ember
from tests.helpers import check_op, torch, require_torch


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 2.0
    with ember.no_grad():
        x.add_(1)
        x[0] = 5.0
    assert x.tolist() == [5.0, 2.0, 2.0]


def test_modified_saved_tensor_detected():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y.exp()  # saves its output
    z.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    a = x * 2
    b = a * a  # saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        b.sum().backward()


def test_inplace_nonleaf_gradients_match_torch():
    def fe(x, y):
        h = x * 1
        h.mul_(y)
        h.add_(2)
        h += x
        h.clamp_(max=2.0)
        h.relu_()
        return h

    check_op(fe, fe, [(3, 4), (4,)])


def test_inplace_through_view_matches_torch():
    def f(x, v):
        h = x * 2
        row = h[1]
        row.mul_(v)
        h[:, 0].add_(1.0)
        return h * h

    check_op(f, f, [(3, 4), (4,)])


def test_view_of_plain_tensor_copy_grad():
    def fe(w):
        buf = ember.zeros(3, 4, dtype=w.dtype)
        buf[1].copy_(w)
        return buf * 2

    def ft(w):
        buf = torch.zeros(3, 4, dtype=w.dtype)
        buf[1].copy_(w)
        return buf * 2
    check_op(fe, ft, [(4,)])


def test_version_counter_shared_with_views():
    x = ember.zeros(4)
    v = x[1:3]
    assert x._version == 0
    v.add_(1)
    assert x._version == 1 and v._version == 1
    x.zero_()
    assert v._version == 2


def test_view_on_leaf_in_place_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        x[0:2].mul_(2)


def test_inplace_dtype_errors():
    x = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(1.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.ones(3).add_(ember.ones(2, 3))
    e = ember.ones(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="expanded"):
        e.add_(1)


def test_fill_zero_normal_uniform():
    x = ember.empty(1000)
    x.normal_(2.0, 0.5)
    assert abs(x.mean().item() - 2.0) < 0.1 and abs(x.std().item() - 0.5) < 0.1
    x.uniform_(-1, 1)
    assert x.min().item() >= -1 and x.max().item() < 1
    x.fill_(3)
    assert x.sum().item() == 3000
    x.zero_()
    assert x.sum().item() == 0
    x.index_fill_(0, ember.tensor([0, 5]), 1.0)
    assert x.sum().item() == 2
    x.masked_fill_(x > 0, 4.0)
    assert x.sum().item() == 8


def test_copy_into_uninitialised_parameter_never_reads_its_old_values():
    """``empty`` memory may hold NaN: copy_ must overwrite it, not multiply it by zero."""
    w = ember.nn.Parameter(ember.empty(64, 64, 3, 3))
    w.data._data[...] = np.nan
    a = np.random.default_rng(0).normal(0, 0.05, (64, 64, 3, 3)).astype(np.float32)
    with ember.no_grad():
        w.copy_(ember.from_numpy(a))
    np.testing.assert_array_equal(w.detach().numpy(), a)


def test_copy_gradients_match_torch():
    from tests.helpers import require_torch
    torch = require_torch()
    a, b = np.random.default_rng(1).random((3, 4)), np.random.default_rng(2).random(4)
    res = []
    for lib in (ember, torch):
        x, s = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        h = x * 2
        h.copy_(s * 3)
        (h * lib.tensor(a)).sum().backward()
        res.append((x.grad.numpy(), s.grad.numpy()))
    for u, v in zip(*res):
        np.testing.assert_allclose(u, v, rtol=1e-12)
