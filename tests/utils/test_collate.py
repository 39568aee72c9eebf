"""Tests of default_collate / default_convert (ember/utils/data/_collate.py)."""
import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert
from tests.helpers import require_torch

Point = collections.namedtuple("Point", "x y")


def T(a):
    return ember.Tensor._wrap(np.asarray(a))


def to_plain(obj):
    """Nested structure with tensors (ember or torch) as (dtype-name, ndarray) pairs."""
    if isinstance(obj, ember.Tensor):
        return ("T", str(obj.numpy().dtype), obj.numpy().tolist())
    if type(obj).__module__.startswith("torch") and hasattr(obj, "numpy"):
        return ("T", str(obj.numpy().dtype), obj.numpy().tolist())
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__,) + tuple(to_plain(v) for v in obj)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [to_plain(v) for v in obj])
    return obj


CASES = [
    [1.5, 2.5],
    [1, 2, 3],
    [True, False],
    ["a", "b"],
    [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    [np.array([1, 2], np.uint8), np.array([3, 4], np.uint8)],
    [np.float32(1.0), np.float32(2.0)],
    [np.int64(3), np.int64(4)],
    [(np.zeros(2), 1, "x"), (np.ones(2), 2, "y")],
    [[1, 2.0], [3, 4.0]],
    [{"a": 1, "b": np.zeros(2)}, {"a": 2, "b": np.ones(2)}],
    [Point(1.0, 2), Point(3.0, 4)],
    [{"n": {"m": [1, 2]}}, {"n": {"m": [3, 4]}}],
]


@pytest.mark.parametrize("batch", CASES, ids=range(len(CASES)))
def test_default_collate_matches_torch(batch):
    torch = require_torch()
    ours = to_plain(default_collate(batch))
    theirs = to_plain(torch.utils.data.default_collate(batch))
    assert ours == theirs


def test_collate_ember_tensors_and_dtypes():
    out = default_collate([T(np.float32([1, 2])), T(np.float32([3, 4]))])
    assert isinstance(out, ember.Tensor) and out.dtype == ember.float32
    assert out.shape == (2, 2)
    assert default_collate([1.0, 2.0]).dtype == ember.float64
    assert default_collate([1, 2]).dtype == ember.int64
    assert default_collate([True, False]).dtype == ember.bool


def test_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([T(np.zeros(3)), T(np.zeros(4))])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
    with pytest.raises(TypeError):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collate_requires_grad_goes_through_autograd():
    a = ember.Tensor._wrap(np.ones(2), requires_grad=True)
    b = ember.Tensor._wrap(np.ones(2), requires_grad=True)
    out = default_collate([a, b])
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_default_convert():
    out = default_convert({"x": np.zeros(2), "y": (np.ones(1), 3), "s": "t"})
    assert isinstance(out["x"], ember.Tensor)
    assert isinstance(out["y"], list) and isinstance(out["y"][0], ember.Tensor)
    assert out["y"][1] == 3 and out["s"] == "t"
    p = default_convert(Point(np.zeros(1), 2))
    assert isinstance(p, Point) and isinstance(p.x, ember.Tensor)
