import numpy as np
import pytest

import ember


def test_manual_seed_reproducible():
    ember.manual_seed(123)
    a = ember.randn(5)
    ember.manual_seed(123)
    b = ember.randn(5)
    assert np.array_equal(a.numpy(), b.numpy())


def test_generator_state_roundtrip():
    g = ember.Generator().manual_seed(7)
    ember.rand(3, generator=g)
    state = g.get_state()
    x = ember.rand(4, generator=g)
    g.set_state(state)
    y = ember.rand(4, generator=g)
    assert np.array_equal(x.numpy(), y.numpy())
    assert state.dtype == ember.uint8
    s = ember.get_rng_state()
    u = ember.randn(2)
    ember.set_rng_state(s)
    assert np.array_equal(u.numpy(), ember.randn(2).numpy())


def test_independent_generators():
    g1 = ember.Generator().manual_seed(1)
    g2 = ember.Generator().manual_seed(1)
    ember.randn(10)
    assert np.array_equal(ember.randn(3, generator=g1).numpy(), ember.randn(3, generator=g2).numpy())


def test_random_functions():
    assert ember.randint(0, 10, (100,)).max().item() < 10
    assert ember.randint(5, (3,)).shape == (3,)
    p = ember.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == ember.int64
    b = ember.bernoulli(ember.full((1000,), 0.3))
    assert 0.2 < b.mean().item() < 0.4
    n = ember.normal(ember.zeros(1000), 2.0)
    assert 1.7 < n.std().item() < 2.3
    m = ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 4, replacement=True)
    assert m.tolist() == [1, 1, 1, 1]
    assert ember.rand(2, 3, dtype=ember.float64).dtype == ember.float64
    with pytest.raises(RuntimeError):
        ember.randint(5, 2, (3,))
