"""Shared helpers for the module tests: run an ember module and the PyTorch module with
the same state_dict on the same inputs and compare outputs, input gradients and
parameter gradients."""
import numpy as np

import ember

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
KINKS = (0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5, 2.0, -2.0, 0.1)


def away_from_kinks(x, kinks=KINKS, gap=0.02):
    """Move values closer than ``gap`` to a non-differentiable point away from it."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap) * 1.5
    return x


def to_np(t):
    if t is None:
        return None
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "numpy"):
        return np.asarray(t.numpy())
    return np.asarray(t)


def close(a, b, dtype, what, tol=None):
    np.testing.assert_allclose(to_np(a), to_np(b), err_msg=what, **(tol or TOL[dtype]))


def load_torch_state(emod, tmod):
    return emod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})


def compare_module(emod, tmod, inputs, dtype=np.float64, modes=("train", "eval"), seed=0,
                   tol=None, grad_inputs=None):
    """Load tmod's state into emod, then for each mode run both on ``inputs`` (numpy
    arrays; float ones are cast to ``dtype`` and get gradients), back-propagate the same
    random upstream gradient and compare everything. Returns the ember outputs."""
    import torch

    rng = np.random.default_rng(seed)
    if dtype == np.float64:
        tmod = tmod.double()
        emod = emod.double()
    else:
        tmod = tmod.float()
        emod = emod.float()
    load_torch_state(emod, tmod)
    assert [(n, tuple(p.shape)) for n, p in emod.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tmod.named_parameters()]
    outs = []
    for mode in modes:
        emod.train(mode == "train")
        tmod.train(mode == "train")
        e_in, t_in = [], []
        for i, a in enumerate(inputs):
            a = np.asarray(a)
            is_float = a.dtype.kind == "f"
            if is_float:
                a = a.astype(dtype)
            need = is_float and (grad_inputs is None or i in grad_inputs)
            e_in.append(ember.tensor(a, requires_grad=need))
            t_in.append(torch.tensor(a, requires_grad=need))
        ey = emod(*e_in)
        ty = tmod(*t_in)
        close(ey, ty, dtype, f"output ({mode})", tol)
        assert ey.dtype == ember.dtypes.from_numpy_dtype(np.dtype(dtype))
        g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
        for p in emod.parameters():
            p.grad = None
        tmod.zero_grad()
        if ey.requires_grad:
            ey.backward(ember.tensor(g))
            ty.backward(torch.tensor(g))
            for i, (ei, ti) in enumerate(zip(e_in, t_in)):
                if ti.requires_grad:
                    close(ei.grad, ti.grad, dtype, f"grad of input {i} ({mode})", tol)
            tp = dict(tmod.named_parameters())
            for n, p in emod.named_parameters():
                if tp[n].grad is None:
                    assert p.grad is None or not np.any(to_np(p.grad)), n
                else:
                    close(p.grad, tp[n].grad, dtype, f"grad of {n} ({mode})", tol)
        outs.append(ey)
    return outs
