"""BatchNorm1d/2d/3d against PyTorch: state_dict interop, outputs, input and parameter
gradients, running statistics and num_batches_tracked over train and eval steps."""
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


def _to_dtype(emod, tmod, dtype):
    if dtype == np.float64:
        return emod.double(), tmod.double()
    return emod, tmod


def run_pair(tmod, emod, shape, dtype, modes=("train", "train", "eval", "train", "eval"),
             seed=0):
    """Load torch's state into ember, then run each mode step on the same input and
    upstream gradient, comparing outputs, grads and buffers after every step."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in tmod.parameters():
            p.copy_(torch.rand(p.shape) * 2 + 0.1)
    emod, tmod = _to_dtype(emod, tmod, dtype)
    emod.load_state_dict(tmod.state_dict())
    for step, mode in enumerate(modes):
        tmod.train(mode == "train")
        emod.train(mode == "train")
        x = (rng.standard_normal(shape) * 3 + 1.5).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        xe = ember.tensor(x, requires_grad=True)
        yt = tmod(xt)
        ye = emod(xe)
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
        tsd = tmod.state_dict()
        esd = emod.state_dict()
        assert list(esd) == list(tsd)
        for k in tsd:
            if k == "num_batches_tracked" or k.endswith(".num_batches_tracked"):
                assert int(esd[k].item()) == int(tsd[k].item()), k
                assert esd[k].dtype == ember.int64
            else:
                _close(esd[k], tsd[k], dtype, f"{k} after step {step}")


CASES = [
    ("BatchNorm1d", (5,), {}, (6, 5)),
    ("BatchNorm1d", (4,), {}, (3, 4, 7)),
    ("BatchNorm2d", (3,), {}, (4, 3, 5, 6)),
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 4, 3)),
    ("BatchNorm2d", (3,), {"momentum": None}, (4, 3, 2, 5)),
    ("BatchNorm2d", (3,), {"momentum": 0.3, "eps": 1e-3}, (4, 3, 2, 5)),
    ("BatchNorm2d", (3,), {"affine": False}, (4, 3, 2, 5)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 2, 5)),
    ("BatchNorm1d", (4,), {"affine": False, "track_running_stats": False}, (8, 4)),
    ("BatchNorm2d", (3,), {"bias": False}, (4, 3, 2, 2)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_batchnorm_matches_torch(name, args, kwargs, shape, dtype):
    require_torch()
    run_pair(getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs),
             shape, dtype)


@pytest.mark.parametrize("name,args,kwargs,shape", CASES[:4])
def test_parameter_and_buffer_names_match_torch(name, args, kwargs, shape):
    require_torch()
    tmod = getattr(torch.nn, name)(*args, **kwargs)
    emod = getattr(nn, name)(*args, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in emod.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tmod.state_dict().items()]
    assert [k for k, _ in emod.named_parameters()] == [k for k, _ in tmod.named_parameters()]
    assert [k for k, _ in emod.named_buffers()] == [k for k, _ in tmod.named_buffers()]
    assert repr(emod) == repr(tmod)


def test_defaults_and_init():
    bn = nn.BatchNorm2d(4)
    assert bn.eps == 1e-5 and bn.momentum == 0.1 and bn.affine and bn.track_running_stats
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(4, np.float32))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(4, np.float32))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(4, np.float32))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4, np.float32))
    assert bn.num_batches_tracked.dtype == ember.int64 and bn.num_batches_tracked.item() == 0
    assert bn.weight.dtype == ember.float32
    nb = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert nb.weight is None and nb.bias is None and nb.running_mean is None
    assert list(nb.state_dict()) == []


def test_float32_stays_float32():
    bn = nn.BatchNorm2d(3)
    x = ember.randn(4, 3, 2, 2, requires_grad=True)
    y = bn(x)
    assert y.dtype == ember.float32
    y.sum().backward()
    assert x.grad.dtype == ember.float32 and bn.weight.grad.dtype == ember.float32
    assert bn.running_var.dtype == ember.float32


def test_eval_uses_running_stats_and_does_not_update():
    bn = nn.BatchNorm1d(2)
    bn.running_mean._data[:] = [1.0, -2.0]
    bn.running_var._data[:] = [4.0, 0.25]
    bn.eval()
    x = ember.tensor([[1.0, -2.0], [3.0, -1.0]])
    y = bn(x).detach().numpy()
    np.testing.assert_allclose(y, [[0, 0], [2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]],
                               rtol=1e-6)
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -2.0])


def test_cumulative_moving_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    xs = [np.array([[1.0], [3.0]]), np.array([[5.0], [9.0]]), np.array([[0.0], [0.0]])]
    for x in xs:
        bn(ember.tensor(x, dtype=ember.float32))
    np.testing.assert_allclose(bn.running_mean.numpy(), [np.mean([2.0, 7.0, 0.0])], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [np.mean([2.0, 8.0, 0.0])], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 3


def test_no_grad_forward_still_updates_running_stats():
    bn = nn.BatchNorm1d(2)
    with ember.no_grad():
        bn(ember.tensor([[0.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.1, 0.3], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1


@pytest.mark.parametrize("cls,shape,msg", [
    (nn.BatchNorm1d, (2, 3, 4, 5), "expected 2D or 3D input (got 4D input)"),
    (nn.BatchNorm1d, (3,), "expected 2D or 3D input (got 1D input)"),
    (nn.BatchNorm2d, (2, 3, 4), "expected 4D input (got 3D input)"),
    (nn.BatchNorm3d, (2, 3, 4, 4), "expected 5D input (got 4D input)"),
])
def test_wrong_rank(cls, shape, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        cls(3)(ember.zeros(*shape))


def test_wrong_channels_and_single_value():
    with pytest.raises(RuntimeError, match=r"BatchNorm2d.*3 channels.*\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(ember.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ember.zeros(1, 3))
    bn = nn.BatchNorm1d(3).eval()
    assert bn(ember.zeros(1, 3)).shape == (1, 3)          # eval mode accepts one sample


@pytest.mark.parametrize("training", [True, False])
def test_double_backward_matches_torch(training):
    require_torch()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5))
    w = rng.random(3) + 0.5
    b = rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    g = rng.standard_normal((4, 3, 5))
    v = rng.standard_normal((4, 3, 5))
    res = []
    for lib, mk in ((torch, lambda a, rg=True: torch.tensor(a, requires_grad=rg)),
                    (ember, lambda a, rg=True: ember.tensor(a, requires_grad=rg))):
        F = lib.nn.functional
        xt, wt, bt = mk(x), mk(w), mk(b)
        y = F.batch_norm(xt, mk(rm, False), mk(rv, False), wt, bt, training=training)
        gx, gw = lib.autograd.grad((y * mk(g, False)).sum(), (xt, wt), create_graph=True)
        ((gx * mk(v, False)).sum() + (gw * gw).sum() * 0.5).backward()
        res.append((y, gx, gw, xt.grad, wt.grad))
    for a, e in zip(*res):
        np.testing.assert_allclose(e.detach().numpy(), a.detach().numpy(), rtol=1e-8,
                                   atol=1e-10)


def test_batchnorm_in_sequential_state_dict_roundtrip():
    require_torch()
    tseq = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    eseq = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    tseq(torch.randn(8, 4))
    eseq.load_state_dict(tseq.state_dict())
    assert eseq[1].num_batches_tracked.item() == 1
