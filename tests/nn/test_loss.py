"""Loss modules against PyTorch: construction arguments, buffers, outputs and input
gradients for every reduction, float64 and float32."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _inputs(kind, rng, dtype):
    """(differentiable float arrays, non-differentiable extra args) for a loss kind."""
    f = lambda *s: rng.standard_normal(s).astype(dtype)  # noqa: E731
    if kind == "ce":
        return [f(5, 4) * 2], [rng.integers(0, 4, 5)]
    if kind == "ce2d":
        return [f(2, 4, 3, 2)], [rng.integers(0, 4, (2, 3, 2))]
    if kind == "ce_prob":
        p = rng.random((5, 4)).astype(dtype)
        return [f(5, 4), p / p.sum(1, keepdims=True)], []
    if kind == "nll":
        return [f(5, 4)], [rng.integers(0, 4, 5)]
    if kind == "reg":
        return [f(3, 4), f(3, 4)], []
    if kind == "bce":
        return [rng.uniform(0.05, 0.95, (3, 4)).astype(dtype),
                rng.random((3, 4)).astype(dtype)], []
    if kind == "logits":
        return [f(3, 4) * 3, rng.random((3, 4)).astype(dtype)], []
    if kind == "margin":
        return [f(5, 4)], [rng.integers(0, 4, 5)]
    if kind == "kl":
        lp = f(3, 4)
        lp = lp - np.log(np.exp(lp).sum(1, keepdims=True))
        q = rng.random((3, 4)).astype(dtype)
        q[0, 1] = 0
        return [lp, (q / q.sum(1, keepdims=True)).astype(dtype)], []
    if kind == "kl_log":
        return [f(3, 4), f(3, 4)], []
    if kind == "cos":
        return [f(4, 3), f(4, 3)], [np.array([1, -1, 1, -1])]
    if kind == "rank":
        return [f(5), f(5)], [np.array([1.0, -1, 1, -1, 1], dtype=dtype)]
    if kind == "poisson":
        return [f(3, 4)], [rng.integers(0, 5, (3, 4)).astype(dtype)]
    if kind == "softm":
        return [f(3, 4)], [np.sign(f(3, 4)).astype(dtype)]
    if kind == "triplet":
        return [f(4, 3), f(4, 3), f(4, 3)], []
    raise ValueError(kind)


def _w(dtype, n=4):
    return np.linspace(0.5, 2.0, n).astype(dtype)


CASES = [
    ("CrossEntropyLoss", {}, "ce"),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, "ce"),
    ("CrossEntropyLoss", {"weight": "w"}, "ce"),
    ("CrossEntropyLoss", {"weight": "w", "ignore_index": 2, "label_smoothing": 0.1}, "ce"),
    ("CrossEntropyLoss", {"ignore_index": 1}, "ce2d"),
    ("CrossEntropyLoss", {}, "ce_prob"),
    ("CrossEntropyLoss", {"weight": "w", "label_smoothing": 0.3}, "ce_prob"),
    ("NLLLoss", {}, "nll"),
    ("NLLLoss", {"weight": "w", "ignore_index": 0}, "nll"),
    ("MSELoss", {}, "reg"),
    ("L1Loss", {}, "reg"),
    ("SmoothL1Loss", {"beta": 0.7}, "reg"),
    ("HuberLoss", {"delta": 0.6}, "reg"),
    ("BCELoss", {}, "bce"),
    ("BCELoss", {"weight": "w"}, "bce"),
    ("BCEWithLogitsLoss", {}, "logits"),
    ("BCEWithLogitsLoss", {"weight": "w", "pos_weight": "w"}, "logits"),
    ("MultiMarginLoss", {}, "margin"),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": "w"}, "margin"),
    ("KLDivLoss", {}, "kl"),
    ("KLDivLoss", {"log_target": True}, "kl_log"),
    ("CosineEmbeddingLoss", {"margin": 0.2}, "cos"),
    ("MarginRankingLoss", {"margin": 0.3}, "rank"),
    ("PoissonNLLLoss", {}, "poisson"),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, "poisson"),
    ("SoftMarginLoss", {}, "softm"),
    ("TripletMarginLoss", {"margin": 2.0}, "triplet"),
    ("TripletMarginLoss", {"margin": 2.0, "p": 1, "swap": True}, "triplet"),
]


def _build(lib, name, kwargs, reduction, dtype):
    kw = {k: (lib.tensor(_w(dtype)) if v == "w" else v) for k, v in kwargs.items()}
    return getattr(lib.nn, name)(reduction=reduction, **kw)


@pytest.mark.filterwarnings("ignore:.*reduction.*mean.*")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name,kwargs,kind", CASES)
def test_loss_matches_torch(name, kwargs, kind, reduction, dtype):
    require_torch()
    rng = np.random.default_rng(7)
    if kind == "poisson" and not kwargs.get("log_input", True):
        floats, extra = [rng.uniform(0.1, 3, (3, 4)).astype(dtype)], \
            [rng.integers(0, 5, (3, 4)).astype(dtype)]
    else:
        floats, extra = _inputs(kind, rng, dtype)
    outs = []
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=True) for a in floats]
        ex = [lib.tensor(a) for a in extra]
        fn = _build(lib, name, kwargs, reduction, dtype)
        out = fn(*(ts + ex))
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(g))
        outs.append((out, [t.grad for t in ts]))
    (to, tg), (eo, eg) = outs
    assert tuple(eo.shape) == tuple(to.shape)
    assert eo.detach().numpy().dtype == dtype
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), **TOL[dtype])
    for i, (a, b) in enumerate(zip(eg, tg)):
        assert (a is None) == (b is None), f"grad {i}"
        if b is not None:
            a, b = a.numpy(), b.numpy()
            if kind == "kl":   # d/dtarget at target == 0: torch gives nan, ember -input
                assert np.isfinite(a).all()
                keep = np.isfinite(b)
                a, b = a[keep], b[keep]
            np.testing.assert_allclose(a, b, err_msg=f"grad {i}", **TOL[dtype])


@pytest.mark.parametrize("name,kwargs,kind", [c for c in CASES if "w" in c[1].values()])
def test_weight_buffers_in_state_dict(name, kwargs, kind):
    require_torch()
    t = _build(torch, name, kwargs, "mean", np.float32)
    e = _build(ember, name, kwargs, "mean", np.float32)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)


def test_defaults_match_torch():
    require_torch()
    for name in ("CrossEntropyLoss", "NLLLoss"):
        t, e = getattr(torch.nn, name)(), getattr(nn, name)()
        assert (e.ignore_index, e.reduction) == (t.ignore_index, t.reduction) == (-100, "mean")
    assert nn.CrossEntropyLoss().label_smoothing == 0.0
    assert nn.SmoothL1Loss().beta == 1.0 and nn.HuberLoss().delta == 1.0
    assert nn.MultiMarginLoss().p == 1 and nn.MultiMarginLoss().margin == 1.0
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"


def test_kl_div_batchmean():
    require_torch()
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.ones(4), 3))
    q = rng.dirichlet(np.ones(4), 3)
    e = nn.KLDivLoss(reduction="batchmean")(ember.tensor(lp), ember.tensor(q)).item()
    t = torch.nn.KLDivLoss(reduction="batchmean")(torch.tensor(lp), torch.tensor(q)).item()
    assert abs(e - t) < 1e-12


def test_cross_entropy_module_errors():
    loss = nn.CrossEntropyLoss()
    with pytest.raises(IndexError, match="target 10 is out of bounds for 10 classes"):
        loss(ember.zeros(3, 10), ember.tensor([1, 10, 2]))
    with pytest.raises(ValueError, match=r"batch_size \(3\).*batch_size \(4\)"):
        loss(ember.zeros(3, 10), ember.tensor([1, 2, 3, 4]))
    with pytest.raises(TypeError, match="integer dtype"):
        loss(ember.zeros(3, 10), ember.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(ember.zeros(2), ember.zeros(2))
