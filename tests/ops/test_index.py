import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from tests.helpers import check_op, torch, require_torch

KEYS = [
    (1,), (-1,), (slice(None, None, 2),), (slice(1, None),), (Ellipsis, 1), (None, 0), (slice(None), None, 1),
    (1, slice(0, 3, 2)), (np.array([0, 2, 2]),), (slice(None), np.array([3, 0, 1])),
    (np.array([[0, 1], [2, 0]]),), (np.array([0, 1]), np.array([2, 3])), (np.array([True, False, True]),),
    (slice(None), np.array([True, False, True, True])), (Ellipsis,), (slice(None, None, -1),) if False else (0, -1),
]


def _torch_key(k):
    return tuple(torch.from_numpy(x) if isinstance(x, np.ndarray) else x for x in k)


def _ember_key(k):
    return tuple(ember.from_numpy(x) if isinstance(x, np.ndarray) else x for x in k)


@pytest.mark.parametrize("key", KEYS, ids=str)
def test_getitem(key):
    check_op(lambda x: x[_ember_key(key)], (lambda x: x[_torch_key(key)]) if torch else None, [(3, 4)])


def test_getitem_list_and_scalar_tensor():
    check_op(lambda x: x[[0, 2]], lambda x: x[[0, 2]], [(3, 4)])
    check_op(lambda x: x[ember.tensor(1)], lambda x: x[torch.tensor(1)], [(3, 4)])


def test_getitem_errors():
    x = ember.ones(3, 4)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x[0, 5]
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
        x[ember.tensor([0, 3])]


def test_basic_index_is_view():
    x = ember.zeros(3, 4)
    row = x[1]
    row += 1
    assert x.sum().item() == 4
    x[0, 1:3] = 5.0
    assert x[0].tolist() == [0.0, 5.0, 5.0, 0.0]
    x[x > 4] = -1.0
    assert (x == -1).sum().item() == 2


@given(st.integers(-3, 2), st.integers(0, 3), st.integers(1, 3), st.booleans(), st.integers(0, 100))
def test_index_hypothesis(i, start, step, newaxis, seed):
    key = (i, slice(start, None, step)) + ((None,) if newaxis else ())
    check_op(lambda x: x[key], (lambda x: x[key]) if torch else None, [(3, 4)], seed=seed, dtypes=("float64",))


def test_setitem_autograd():
    def fe(x, v):
        y = x * 1
        y[1] = v
        y[:, 0] = 0.0
        return y * 2

    def ft(x, v):
        y = x * 1
        y[1] = v
        y[:, 0] = 0.0
        return y * 2
    check_op(fe, ft, [(3, 4), (4,)])

    def fe2(x, v):
        y = x.clone()
        y[ember.tensor([0, 2])] = v
        return y

    def ft2(x, v):
        y = x.clone()
        y[torch.tensor([0, 2])] = v
        return y
    check_op(fe2, ft2, [(3, 4), (1, 4)])


def test_gather_scatter():
    idx = np.array([[0, 2, 1], [1, 1, 0]])
    check_op(lambda x: x.gather(1, ember.from_numpy(idx)), lambda x: x.gather(1, torch.from_numpy(idx)), [(2, 4)])
    uniq = np.array([[0, 2], [3, 1]])  # scatter with repeated indices is order-dependent
    check_op(lambda x, s: x.scatter(1, ember.from_numpy(uniq), s),
             lambda x, s: x.scatter(1, torch.from_numpy(uniq), s), [(2, 4), (2, 2)])
    check_op(lambda x, s: x.scatter_add(1, ember.from_numpy(idx), s),
             lambda x, s: x.scatter_add(1, torch.from_numpy(idx), s), [(2, 4), (2, 3)])
    check_op(lambda x, s: x.scatter_add(0, ember.from_numpy(idx), s),
             lambda x, s: x.scatter_add(0, torch.from_numpy(idx), s), [(3, 3), (2, 3)])
    with pytest.raises(RuntimeError, match="out of bounds"):
        ember.ones(2, 3).gather(1, ember.tensor([[0, 3]]))


def test_index_select_masked_fill():
    idx = np.array([2, 0, 2])
    check_op(lambda x: x.index_select(1, ember.from_numpy(idx)), lambda x: x.index_select(1, torch.from_numpy(idx)),
             [(3, 4)])
    mask = np.array([[True, False, False, True]])
    check_op(lambda x: x.masked_fill(ember.from_numpy(mask), -1.5),
             lambda x: x.masked_fill(torch.from_numpy(mask), -1.5), [(3, 4)])
    check_op(lambda x: x.masked_select(ember.from_numpy(mask)),
             lambda x: x.masked_select(torch.from_numpy(mask)), [(3, 4)])
    with pytest.raises(RuntimeError, match="boolean"):
        ember.ones(2).masked_fill(ember.tensor([1, 0]), 0.0)


def test_take_along_dim_and_nonzero():
    require_torch()
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(ember.tensor(x).nonzero().numpy(), torch.tensor(x).nonzero().numpy())
    e = ember.tensor(x).nonzero(as_tuple=True)
    assert [t.tolist() for t in e] == [[0, 1], [1, 0]]
