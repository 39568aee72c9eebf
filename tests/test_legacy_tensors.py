"""ember.Tensor(data) and the legacy typed constructors (ember/_legacy_tensors.py)."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch

CASES = [("Tensor", [1, 2]), ("FloatTensor", [1, 2]), ("DoubleTensor", [1, 2]),
         ("LongTensor", [1.7, -2.2]), ("IntTensor", [1.7]), ("BoolTensor", [0, 2]),
         ("ByteTensor", [1, 255]), ("HalfTensor", [1]), ("ShortTensor", [3]), ("CharTensor", [-3])]


@pytest.mark.parametrize("name,data", CASES, ids=[c[0] for c in CASES])
def test_dtype_and_values_match_torch(name, data):
    torch = require_torch()
    ours, theirs = getattr(ember, name)(data), getattr(torch, name)(data)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    assert np.array_equal(ours.numpy(), theirs.numpy())


def test_sizes_and_tensor_argument():
    assert ember.FloatTensor(2, 3).shape == (2, 3) and ember.FloatTensor(2, 3).dtype == ember.float32
    assert ember.LongTensor(4).dtype == ember.int64 and ember.DoubleTensor().shape == (0,)
    x = ember.tensor([1.0])
    assert ember.FloatTensor(x) is x
    with pytest.raises(TypeError, match="FloatTensor"):
        ember.FloatTensor(ember.tensor([1.0], dtype=ember.float64))
    assert ember.Tensor(ember.tensor([1, 2])).dtype == ember.int64  # a tensor keeps its dtype


def test_isinstance_checks_the_dtype():
    f, d, i = ember.tensor([1.0]), ember.tensor([1.0], dtype=ember.float64), ember.tensor([1])
    assert isinstance(f, ember.FloatTensor) and not isinstance(d, ember.FloatTensor)
    assert isinstance(d, ember.DoubleTensor) and isinstance(i, ember.LongTensor)
    assert not isinstance(i, ember.FloatTensor) and not isinstance([1.0], ember.FloatTensor)
    assert all(isinstance(t, ember.Tensor) for t in (f, d, i))
    assert repr(ember.FloatTensor) == "<class 'ember.FloatTensor'>"


def test_tensor_constructor_follows_default_dtype():
    old = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.Tensor([1]).dtype == ember.float64
        assert ember.FloatTensor([1]).dtype == ember.float32
    finally:
        ember.set_default_dtype(old)
