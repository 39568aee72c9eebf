"""``ember.utils.checkpoint``: recomputation in backward gives the same gradients."""
import gc
import weakref

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.utils.checkpoint import checkpoint, checkpoint_sequential


def _block():
    ember.manual_seed(3)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 6))


def _grads(model, x, use_checkpoint):
    ember.manual_seed(11)          # same dropout masks in both runs
    model.zero_grad()
    x = x.detach().requires_grad_(True)
    y = checkpoint(model, x, use_reentrant=False) if use_checkpoint else model(x)
    (y * y).sum().backward()
    return [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


def test_checkpoint_gives_the_same_gradients_incl_dropout():
    model = _block()
    x = ember.randn(5, 6)
    for a, b in zip(_grads(model, x, False), _grads(model, x, True)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_checkpoint_keeps_no_intermediate_activations():
    seen = []

    def fn(x):
        h = x.exp()
        seen.append(weakref.ref(h))
        return h.sum(0)

    x = ember.randn(4, 3, requires_grad=True)
    y = checkpoint(fn, x, use_reentrant=True)
    gc.collect()
    assert seen[0]() is None            # the forward's intermediate is not kept
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()), rtol=1e-6)


def test_checkpoint_sequential_matches_plain_run():
    model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(4)])
    x = ember.randn(2, 4, requires_grad=True)
    (model(x) ** 2).sum().backward()
    ref = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    x2 = x.detach().requires_grad_(True)
    (checkpoint_sequential(model, 2, x2, use_reentrant=False) ** 2).sum().backward()
    for a, p in zip(ref, model.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-6)


def test_checkpoint_warns_without_use_reentrant_like_torch():
    x = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(lambda t: t * 2, x)
