"""Shared test helpers: the one-line op checker and the PyTorch oracle.

``check_op(ember_fn, torch_fn, shapes)`` feeds the same seeded inputs to both libraries
and compares forward values, dtype and shape, and input gradients for a *random*
upstream gradient: against central differences always (float64), and against PyTorch
in float64 and float32 when torch is installed. Under ``CI=true`` torch must be
installed: the comparisons never skip there.
"""
import os

import numpy as np
import pytest

import ember

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - CI always has torch
    torch = None
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but torch is not installed: the PyTorch parity tests must run in CI "
                           "(pip install 'torch==2.13.0')")

TOL = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=2e-4, atol=2e-5)}


def require_torch():
    """Skip the calling test when torch is missing (never under CI=true)."""
    if torch is None:
        pytest.skip("torch not installed")
    return torch


def make_inputs(shapes, seed=0, domain=None, dtype=np.float64):
    """Seeded float64 arrays of ``shapes``; ``domain``: None (normal), 'positive' (0.5..2),
    'unit' (-0.9..0.9), or a (low, high) pair."""
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if domain is None:
            a = rng.standard_normal(s)
        elif domain == "positive":
            a = rng.uniform(0.5, 2.0, s)
        elif domain == "unit":
            a = rng.uniform(-0.9, 0.9, s)
        else:
            a = rng.uniform(domain[0], domain[1], s)
        out.append(np.asarray(a, dtype=dtype))
    return out


def _to_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def assert_close(actual, expected, rtol=1e-7, atol=1e-9, msg=""):
    a = actual.detach().numpy() if isinstance(actual, ember.Tensor) else np.asarray(actual)
    if torch is not None and isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    e = np.asarray(expected)
    assert a.shape == e.shape, f"{msg}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=msg)


def check_op(ember_fn, torch_fn=None, shapes=((3, 4),), *, inputs=None, domain=None, seed=0,
             grad=True, gradcheck=True, dtypes=("float64", "float32"), nondiff=(), atol=None,
             rtol=None, gradcheck_atol=1e-5, noncontiguous=False):
    """Check an op against finite differences and (if given) PyTorch.

    Args:
        ember_fn / torch_fn: functions of the input tensors (same positional order).
        shapes: input shapes (ignored if ``inputs`` is given).
        inputs: explicit NumPy input arrays (float64 for differentiable ones).
        domain: input domain, see ``make_inputs``.
        nondiff: positions of inputs that are not differentiable (indices, masks).
        noncontiguous: also run with inputs made non-contiguous (transposed copies).
    """
    arrays = inputs if inputs is not None else make_inputs(shapes, seed, domain)
    arrays = [np.asarray(a) for a in arrays]
    rng = np.random.default_rng(seed + 100)

    def ember_inputs(dt, nc=False):
        ts = []
        for i, a in enumerate(arrays):
            if i in nondiff or a.dtype.kind not in "f":
                ts.append(ember.from_numpy(a.copy()))
                continue
            a = a.astype(dt)
            if nc and a.ndim >= 2:
                a = np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
            t = ember.from_numpy(a.copy() if not nc else a)
            ts.append(t.requires_grad_(grad))
        return ts

    # finite differences (float64)
    if grad and gradcheck:
        xs = ember_inputs(np.float64)
        ember.autograd.gradcheck(ember_fn, tuple(xs), atol=gradcheck_atol, rtol=1e-3, seed=seed)

    if torch_fn is None:
        return
    require_torch()
    for dt in dtypes:
        tol = dict(TOL[dt])
        if atol is not None:
            tol["atol"] = atol if dt == "float64" else max(atol, tol["atol"])
        if rtol is not None:
            tol["rtol"] = rtol if dt == "float64" else max(rtol, tol["rtol"])
        for nc in ((False, True) if noncontiguous else (False,)):
            xs = ember_inputs(getattr(np, dt), nc)
            ts = []
            for i, a in enumerate(arrays):
                if i in nondiff or a.dtype.kind not in "f":
                    ts.append(torch.from_numpy(a.copy()))
                else:
                    ts.append(torch.from_numpy(a.astype(dt)).requires_grad_(grad))
            e_out = _to_list(ember_fn(*xs))
            t_out = _to_list(torch_fn(*ts))
            assert len(e_out) == len(t_out), "number of outputs differs"
            for k, (eo, to) in enumerate(zip(e_out, t_out)):
                assert str(eo.dtype).split(".")[-1] == str(to.dtype).split(".")[-1], \
                    f"output {k} dtype {eo.dtype} != torch {to.dtype}"
                assert tuple(eo.shape) == tuple(to.shape), f"output {k} shape {tuple(eo.shape)} != torch {tuple(to.shape)}"
                assert_close(eo, to, msg=f"forward output {k} ({dt}, noncontiguous={nc})", **tol)
            if not grad:
                continue
            pairs = [(eo, to) for eo, to in zip(e_out, t_out) if to.requires_grad]
            if not pairs:
                continue
            ups = [rng.standard_normal(tuple(to.shape)).astype(dt) for _, to in pairs]
            e_in = [x for i, x in enumerate(xs) if x.requires_grad]
            t_in = [x for x in ts if x.requires_grad]
            e_g = ember.autograd.grad([eo for eo, _ in pairs], e_in, [ember.from_numpy(u.copy()) for u in ups],
                                      allow_unused=True)
            t_g = torch.autograd.grad([to for _, to in pairs], t_in, [torch.from_numpy(u.copy()) for u in ups],
                                      allow_unused=True)
            for k, (eg, tg) in enumerate(zip(e_g, t_g)):
                if tg is None:
                    assert eg is None or np.allclose(eg.numpy(), 0), f"grad {k}: torch has none, ember nonzero"
                    continue
                assert eg is not None, f"grad of input {k} is None in ember but not in torch"
                assert str(eg.dtype).split(".")[-1] == str(tg.dtype).split(".")[-1], f"grad {k} dtype"
                assert_close(eg, tg, msg=f"grad of input {k} ({dt}, noncontiguous={nc})", **tol)
