"""ember.nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector,
vector_to_parameters, against PyTorch."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch
from tests.nn._nn_common import close, load_torch_state, to_np


def _pair(scale=1.0, dtype=np.float64):
    e = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    if dtype == np.float64:
        e.double()
        t.double()
    load_torch_state(e, t)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(dtype) * scale
    (e(ember.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    return e, t


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.1, 1e6])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    require_torch()
    e, t = _pair(dtype=dtype)
    tn = norm_type if norm_type != "inf" else math.inf
    en = nn.utils.clip_grad_norm_(e.parameters(), max_norm, norm_type=norm_type)
    tnorm = torch.nn.utils.clip_grad_norm_(t.parameters(), max_norm, norm_type=tn)
    assert isinstance(en, ember.Tensor) and en.dim() == 0
    assert en.dtype == ember.dtypes.from_numpy_dtype(np.dtype(dtype))
    close(en, tnorm, dtype, "total norm")
    for (n, p), tp in zip(e.named_parameters(), t.parameters()):
        close(p.grad, tp.grad, dtype, n)


def test_clip_grad_norm_single_tensor_nonfinite_and_no_grads():
    p = nn.Parameter(ember.tensor([3.0, 4.0]))
    p.grad = ember.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_(p, 1.0)
    assert abs(float(total) - 5.0) < 1e-6
    np.testing.assert_allclose(to_np(p.grad), [0.6, 0.8], rtol=1e-5)
    p.grad = ember.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    q = nn.Parameter(ember.zeros(2))
    assert float(nn.utils.clip_grad_norm_([q], 1.0)) == 0.0
    with pytest.warns(FutureWarning):
        nn.utils.clip_grad_norm([p], 1.0)


def test_clip_grad_value_matches_torch():
    require_torch()
    e, t = _pair(scale=3.0)
    nn.utils.clip_grad_value_(e.parameters(), 0.05)
    torch.nn.utils.clip_grad_value_(t.parameters(), 0.05)
    for p, tp in zip(e.parameters(), t.parameters()):
        close(p.grad, tp.grad, np.float64, "clipped")
        assert np.all(np.abs(to_np(p.grad)) <= 0.05)


def test_parameters_to_vector_and_back():
    require_torch()
    e, t = _pair()
    v = nn.utils.parameters_to_vector(e.parameters())
    tv = torch.nn.utils.parameters_to_vector(t.parameters())
    close(v, tv, np.float64, "vector")
    assert v.requires_grad  # differentiable, as in PyTorch
    new = ember.arange(v.numel(), dtype=ember.float64)
    nn.utils.vector_to_parameters(new, e.parameters())
    np.testing.assert_array_equal(to_np(nn.utils.parameters_to_vector(e.parameters())),
                                  np.arange(v.numel()))
    assert e[0].weight.shape == (5, 4) and isinstance(e[0].weight, nn.Parameter)
    with pytest.raises(RuntimeError, match="does not match"):
        nn.utils.vector_to_parameters(ember.zeros(3, dtype=ember.float64), e.parameters())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(np.zeros(3), e.parameters())
