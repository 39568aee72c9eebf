"""LayerNorm, GroupNorm, InstanceNorm1d/2d/3d, LocalResponseNorm and RMSNorm against
PyTorch: state_dict interop, outputs, input/parameter gradients and running stats."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-4, atol=2e-5)}


def _close(a, b, dtype, what):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def run_pair(tmod, emod, shape, dtype, modes=("train", "train", "eval"), seed=0):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in tmod.parameters():
            p.copy_(torch.rand(p.shape) * 2 - 0.5)
    if dtype == np.float64:
        emod, tmod = emod.double(), tmod.double()
    emod.load_state_dict(tmod.state_dict())
    for step, mode in enumerate(modes):
        tmod.train(mode == "train")
        emod.train(mode == "train")
        x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        xe = ember.tensor(x, requires_grad=True)
        yt, ye = tmod(xt), emod(xe)
        assert ye.detach().numpy().dtype == dtype
        _close(ye, yt, dtype, f"output at step {step} ({mode})")
        yt.backward(torch.tensor(g))
        ye.backward(ember.tensor(g))
        _close(xe.grad, xt.grad, dtype, f"input grad at step {step}")
        tp = dict(tmod.named_parameters())
        for name, p in emod.named_parameters():
            _close(p.grad, tp[name].grad, dtype, f"grad of {name} at step {step}")
        emod.zero_grad()
        tmod.zero_grad()
        tsd, esd = tmod.state_dict(), emod.state_dict()
        assert list(esd) == list(tsd)
        for k in tsd:
            _close(esd[k], tsd[k], dtype, f"{k} after step {step}")


CASES = [
    ("LayerNorm", (6,), {}, (4, 6)),
    ("LayerNorm", ((3, 4),), {}, (2, 5, 3, 4)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (3, 5)),
    ("LayerNorm", (5,), {"bias": False, "eps": 1e-3}, (2, 3, 5)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4, 2)),
    ("GroupNorm", (3, 3), {}, (2, 3, 5)),
    ("GroupNorm", (1, 4), {"affine": False}, (2, 4, 3, 3)),
    ("GroupNorm", (2, 4), {}, (3, 4)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 7)),
    ("InstanceNorm1d", (3,), {}, (3, 7)),
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, (3, 4, 5)),
    ("InstanceNorm3d", (2,), {"affine": True}, (2, 2, 3, 3, 2)),
    ("LocalResponseNorm", (3,), {}, (2, 6, 4, 4)),
    ("LocalResponseNorm", (4,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 5, 3)),
    ("RMSNorm", (6,), {}, (4, 6)),
    ("RMSNorm", ((2, 3),), {"eps": 1e-4}, (4, 2, 3)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_matches_torch(name, args, kwargs, shape, dtype):
    require_torch()
    run_pair(getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs),
             shape, dtype)


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_names_and_repr_match_torch(name, args, kwargs, shape):
    require_torch()
    tmod = getattr(torch.nn, name)(*args, **kwargs)
    emod = getattr(nn, name)(*args, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in emod.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tmod.state_dict().items()]
    assert repr(emod) == repr(tmod)


def test_defaults():
    ln = nn.LayerNorm(4)
    assert ln.normalized_shape == (4,) and ln.eps == 1e-5 and ln.elementwise_affine
    np.testing.assert_array_equal(ln.weight.detach().numpy(), np.ones(4, np.float32))
    inn = nn.InstanceNorm2d(3)
    assert not inn.affine and not inn.track_running_stats and inn.weight is None
    gn = nn.GroupNorm(2, 4)
    assert gn.weight.shape == (4,) and gn.affine


def test_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\].*\(2, 4\)"):
        nn.LayerNorm(5)(ember.zeros(2, 4))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"GroupNorm.*4 channels.*\(2, 6, 3\)"):
        nn.GroupNorm(2, 4)(ember.zeros(2, 6, 3))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm1d(3)(ember.zeros(2, 3, 1))
    with pytest.raises(ValueError, match="num_features"):
        nn.InstanceNorm1d(3, affine=True)(ember.zeros(2, 4, 5))


def test_layer_norm_large_offset_is_stable():
    x = ember.tensor(np.array([[1e4, 1e4 + 1, 1e4 + 2]], dtype=np.float32))
    y = nn.LayerNorm(3)(x).detach().numpy()
    np.testing.assert_allclose(y, [[-1.2247, 0.0, 1.2247]], atol=1e-3)


@pytest.mark.parametrize("which", ["layer", "group", "instance"])
def test_double_backward_matches_torch(which):
    require_torch()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5))
    w = rng.random(4) + 0.5
    b = rng.standard_normal(4)
    g, v = rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 4, 5))
    if which == "layer":
        w, b = rng.random(5) + 0.5, rng.standard_normal(5)
    res = []
    for lib in (torch, ember):
        F = lib.nn.functional
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        if which == "layer":
            y = F.layer_norm(xt, (5,), wt, bt)
        elif which == "group":
            y = F.group_norm(xt, 2, wt, bt)
        else:
            y = F.instance_norm(xt, weight=wt, bias=bt)
        gx, gw = lib.autograd.grad((y * lib.tensor(g)).sum(), (xt, wt), create_graph=True)
        ((gx * lib.tensor(v)).sum() + (gw * gw).sum()).backward()
        res.append((y, gx, gw, xt.grad, wt.grad))
    for a, e in zip(*res):
        np.testing.assert_allclose(e.detach().numpy(), a.detach().numpy(), rtol=1e-8,
                                   atol=1e-10)
