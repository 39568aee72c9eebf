"""Shared fixtures for the optimizer tests: the same parameters in ember and PyTorch,
and a fixed deterministic loss whose gradient is computed by the same NumPy code on both
sides (so any difference comes from the optimizers alone)."""
import numpy as np

import ember

SHAPES = [(5, 3), (3,), (2, 2, 2)]


def init_arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, size=s).astype(dtype) for s in SHAPES]


def targets(dtype):
    rng = np.random.default_rng(123)
    return [rng.uniform(-1, 1, size=s).astype(dtype) for s in SHAPES]


def loss_and_grads(arrays, sign=1.0):
    """A smooth, non-quadratic loss (quadratic bowl + quartic + coupling term):
    sum_i 0.5 * w_i (p_i - t_i)^2 + 0.05 p_i^4 + 0.1 * sin(sum p_0) * mean(p_1).
    Computed in float64, gradients returned in the parameters' dtype."""
    ts = targets(np.float64)
    ps = [a.astype(np.float64) for a in arrays]
    loss = 0.0
    grads = []
    for k, (p, t) in enumerate(zip(ps, ts)):
        w = 1.0 + k
        loss += float(np.sum(0.5 * w * (p - t) ** 2 + 0.05 * p ** 4))
        grads.append(w * (p - t) + 0.2 * p ** 3)
    s0, m1 = ps[0].sum(), ps[1].mean()
    loss += 0.1 * np.sin(s0) * m1
    grads[0] = grads[0] + 0.1 * np.cos(s0) * m1
    grads[1] = grads[1] + 0.1 * np.sin(s0) / ps[1].size
    return sign * loss, [sign * g.astype(a.dtype) for g, a in zip(grads, arrays)]


def ember_params(arrays):
    return [ember.tensor(a.copy(), requires_grad=True) for a in arrays]


def torch_params(torch, arrays):
    return [torch.tensor(a.copy(), requires_grad=True) for a in arrays]


def set_ember_grads(params, sign=1.0, skip=()):
    loss, grads = loss_and_grads([p._data for p in params], sign)
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = None if i in skip else ember.tensor(g)
    return loss


def set_torch_grads(torch, params, sign=1.0, skip=()):
    loss, grads = loss_and_grads([p.detach().numpy() for p in params], sign)
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = None if i in skip else torch.from_numpy(g)
    return loss


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
