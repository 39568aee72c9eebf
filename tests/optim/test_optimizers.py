"""Every optimizer and option against torch.optim: same initial weights, same gradients
(a fixed deterministic loss), parameters and state after 100 steps must agree."""
import copy

import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch
from tests.optim._common import (ember_params, init_arrays, set_ember_grads,
                                 set_torch_grads, tol, torch_params)

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-2)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("Adamax", dict(lr=0.02)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=0.02, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, eps=1e-4)),
    ("Adadelta", dict(lr=0.5, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-4, 0.05))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, t0=20, lambd=1e-3, alpha=0.5)),
    ("ASGD", dict(lr=0.05, t0=10, weight_decay=0.1, maximize=True)),
]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def run_pair(name, kwargs, dtype, steps=100, skip_every=None):
    """Run ``steps`` steps in ember and in torch; return both parameter lists and
    optimizers. ``skip_every``: drop the gradient of param 1 every k-th step."""
    arrays = init_arrays(dtype)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    eo = getattr(ember.optim, name)(ep, **kwargs)
    to = getattr(torch.optim, name)(tp, **kwargs)
    for i in range(steps):
        skip = (1,) if skip_every and i % skip_every == 0 else ()
        set_ember_grads(ep, sign, skip)
        set_torch_grads(torch, tp, sign, skip)
        eo.step()
        to.step()
    return ep, tp, eo, to


def assert_params_close(ep, tp, dtype):
    for e, t in zip(ep, tp):
        assert e._data.dtype == dtype
        np.testing.assert_allclose(e._data, t.detach().numpy(), **tol(dtype))


def assert_state_close(eo, to, ep, tp, dtype):
    esd, tsd = eo.state_dict(), to.state_dict()
    assert sorted(esd["state"]) == sorted(tsd["state"])
    for k, tstate in tsd["state"].items():
        estate = esd["state"][k]
        assert list(estate) == list(tstate), (list(estate), list(tstate))
        for key, tv in tstate.items():
            ev = estate[key]
            if key == "step":
                assert float(ev) == float(tv)
                continue
            assert ev._data.dtype == tv.numpy().dtype, key
            t = tol(dtype)
            if dtype == np.float32:
                # a few state entries are ratios of tiny numbers (centered RMSprop's
                # g / sqrt(v - m^2)); PyTorch's fused multiply-adds round differently
                t = dict(rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(ev._data, tv.numpy(), **t)
    for eg, tg in zip(esd["param_groups"], tsd["param_groups"]):
        assert eg == tg


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_matches_torch_100_steps(case, dtype):
    require_torch()
    name, kwargs = case
    ep, tp, eo, to = run_pair(name, kwargs, dtype)
    assert_params_close(ep, tp, dtype)
    assert_state_close(eo, to, ep, tp, dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_params_without_grad_are_skipped(name):
    require_torch()
    kwargs = dict(lr=0.01, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.01)
    ep, tp, eo, to = run_pair(name, kwargs, np.float64, steps=30, skip_every=3)
    assert_params_close(ep, tp, np.float64)
    assert_state_close(eo, to, ep, tp, np.float64)


@pytest.mark.parametrize("name,kw", [("SGD", dict(momentum=0.9)), ("Adam", dict()),
                                      ("RMSprop", dict(centered=True)), ("NAdam", dict())])
def test_param_groups_match_torch(name, kw):
    require_torch()
    dtype = np.float64
    arrays = init_arrays(dtype)
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    eo = getattr(ember.optim, name)([{"params": ep[:2]}, {"params": ep[2:], "lr": 0.003,
                                     "weight_decay": 0.2}], lr=0.01, **kw)
    to = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.003,
                                     "weight_decay": 0.2}], lr=0.01, **kw)
    for _ in range(60):
        set_ember_grads(ep)
        set_torch_grads(torch, tp)
        eo.step()
        to.step()
    assert_params_close(ep, tp, dtype)
    assert_state_close(eo, to, ep, tp, dtype)


def test_add_param_group_later_matches_torch():
    require_torch()
    dtype = np.float64
    arrays = init_arrays(dtype)
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    eo = ember.optim.Adagrad(ep[:1], lr=0.1)
    to = torch.optim.Adagrad(tp[:1], lr=0.1)
    for i in range(40):
        if i == 10:
            eo.add_param_group({"params": ep[1:], "lr": 0.05})
            to.add_param_group({"params": tp[1:], "lr": 0.05})
            # torch's Adagrad creates state only in __init__; give it the same start
            for p in tp[1:]:
                to.state[p] = {"step": torch.tensor(0.0), "sum": torch.zeros_like(p)}
        set_ember_grads(ep)
        set_torch_grads(torch, tp)
        if i < 10:
            for p in ep[1:]:
                p.grad = None
            for p in tp[1:]:
                p.grad = None
        eo.step()
        to.step()
    assert_params_close(ep, tp, dtype)


@pytest.mark.parametrize("case", [c for c in CASES if not c[1].get("maximize")][::3],
                         ids=_ids)
def test_resume_from_state_dict(case):
    """50 steps, save, load into fresh objects, 50 more == 100 uninterrupted."""
    name, kwargs = case
    dtype = np.float32
    arrays = init_arrays(dtype)
    ref = ember_params(arrays)
    ref_opt = getattr(ember.optim, name)(ref, **kwargs)
    for _ in range(100):
        set_ember_grads(ref)
        ref_opt.step()

    a = ember_params(arrays)
    opt_a = getattr(ember.optim, name)(a, **kwargs)
    for _ in range(50):
        set_ember_grads(a)
        opt_a.step()
    saved = copy.deepcopy(opt_a.state_dict())
    saved_params = [p._data.copy() for p in a]
    del a, opt_a

    b = ember_params(saved_params)
    opt_b = getattr(ember.optim, name)(b, lr=123.0)   # hyperparameters come from the dict
    opt_b.load_state_dict(saved)
    for _ in range(50):
        set_ember_grads(b)
        opt_b.step()
    for pb, pr in zip(b, ref):
        np.testing.assert_array_equal(pb._data, pr._data)


def test_load_state_dict_copies_and_casts():
    dtype = np.float32
    ep = ember_params(init_arrays(dtype))
    opt = ember.optim.Adam(ep, lr=0.01)
    set_ember_grads(ep)
    opt.step()
    sd = opt.state_dict()
    ep64 = ember_params(init_arrays(np.float64))
    opt64 = ember.optim.Adam(ep64)
    opt64.load_state_dict(sd)
    st = opt64.state[ep64[0]]
    assert st["exp_avg"]._data.dtype == np.float64
    assert st["step"]._data.dtype == sd["state"][0]["step"]._data.dtype
    assert st["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data
    assert opt64.param_groups[0]["lr"] == 0.01
    assert opt64.param_groups[0]["params"][0] is ep64[0]


def test_state_dict_layout_like_torch():
    require_torch()
    arrays = init_arrays(np.float32)
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    eo = ember.optim.SGD([{"params": ep[:1]}, {"params": ep[1:], "lr": 0.5}], lr=0.1,
                         momentum=0.9)
    to = torch.optim.SGD([{"params": tp[:1]}, {"params": tp[1:], "lr": 0.5}], lr=0.1,
                         momentum=0.9)
    set_ember_grads(ep)
    set_torch_grads(torch, tp)
    eo.step()
    to.step()
    esd, tsd = eo.state_dict(), to.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert esd["param_groups"][1]["params"] == [1, 2]
    assert list(esd["state"]) == list(tsd["state"]) == [0, 1, 2]
    assert isinstance(esd["state"][0]["momentum_buffer"], ember.Tensor)


def test_load_torch_layout_state_dict():
    """A state dict written by PyTorch (converted to arrays) resumes in ember."""
    require_torch()
    dtype = np.float64
    arrays = init_arrays(dtype)
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    to = torch.optim.Adam(tp, lr=0.01, amsgrad=True)
    for _ in range(20):
        set_torch_grads(torch, tp)
        to.step()
    tsd = to.state_dict()
    sd = {"state": {k: {kk: ember.tensor(vv.numpy().copy()) for kk, vv in v.items()}
                    for k, v in tsd["state"].items()},
          "param_groups": copy.deepcopy(tsd["param_groups"])}
    ep = ember_params([p.detach().numpy().copy() for p in tp])
    eo = ember.optim.Adam(ep, lr=0.01, amsgrad=True)
    eo.load_state_dict(sd)
    for _ in range(20):
        set_ember_grads(ep)
        set_torch_grads(torch, tp)
        eo.step()
        to.step()
    assert_params_close(ep, tp, dtype)


def test_tensor_lr():
    require_torch()
    arrays = init_arrays(np.float64)
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    eo = ember.optim.Adam(ep, lr=ember.tensor(0.01, dtype=ember.float64))
    to = torch.optim.Adam(tp, lr=torch.tensor(0.01, dtype=torch.float64))
    for _ in range(10):
        set_ember_grads(ep)
        set_torch_grads(torch, tp)
        eo.step()
        to.step()
    assert_params_close(ep, tp, np.float64)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "SGD" or c[1].get("momentum")]
                         [::2] + [CASES[0], CASES[5]], ids=_ids)
def test_blocked_update_path(case, monkeypatch):
    """Large parameters are updated block by block (cache-friendly), the blocks of the
    largest shared by ember's threads; force tiny blocks, threads from two blocks on (and a
    non-contiguous parameter, which takes the whole-array path) and compare."""
    require_torch()
    import ember.optim._kernels as eopt
    monkeypatch.setattr(eopt, "_CHUNK", 4)
    monkeypatch.setattr(eopt, "_PAR_MIN_CHUNKS", 2)
    name, kwargs = case
    dtype = np.float64
    arrays = init_arrays(dtype)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    ep, tp = ember_params(arrays), torch_params(torch, arrays)
    ep[0]._data = np.asfortranarray(ep[0]._data)      # not C-contiguous
    eo = getattr(ember.optim, name)(ep, **kwargs)
    to = getattr(torch.optim, name)(tp, **kwargs)
    for _ in range(30):
        set_ember_grads(ep, sign)
        set_torch_grads(torch, tp, sign)
        eo.step()
        to.step()
    assert_params_close(ep, tp, dtype)
    assert_state_close(eo, to, ep, tp, dtype)


def _mlp_loss(lib, params, x, y):
    w1, b1, w2, b2 = params
    h = lib.tanh(x @ w1 + b1)
    return ((h @ w2 + b2 - y) ** 2).mean()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                     ("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.005, momentum=0.5)),
                                     ("AdamW", dict(lr=0.01))])
def test_two_layer_net_with_autograd(name, kw, dtype):
    """Gradients from each library's own autograd: a 2-layer tanh net, 100 steps."""
    require_torch()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 4)).astype(dtype)
    y = np.sin(x.sum(1, keepdims=True)).astype(dtype)
    init = [rng.standard_normal((4, 8)) * 0.5, np.zeros(8), rng.standard_normal((8, 1)) * 0.5,
            np.zeros(1)]
    init = [a.astype(dtype) for a in init]
    ep, tp = ember_params(init), torch_params(torch, init)
    ex, ey = ember.tensor(x), ember.tensor(y)
    tx, ty = torch.tensor(x), torch.tensor(y)
    eo = getattr(ember.optim, name)(ep, **kw)
    to = getattr(torch.optim, name)(tp, **kw)
    for _ in range(100):
        eo.zero_grad()
        el = _mlp_loss(ember, ep, ex, ey)
        el.backward()
        eo.step()
        to.zero_grad()
        tl = _mlp_loss(torch, tp, tx, ty)
        tl.backward()
        to.step()
    assert float(el) == pytest.approx(float(tl.detach()), rel=1e-4 if dtype == np.float32 else 1e-9)
    t = tol(dtype) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    for e, tt in zip(ep, tp):
        np.testing.assert_allclose(e._data, tt.detach().numpy(), **t)


RESUME = [
    ("Adam", dict(lr=0.01), "OneCycleLR", dict(max_lr=0.05, total_steps=100)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), "MultiStepLR",
     dict(milestones=[30, 60, 70], gamma=0.5)),
    ("AdamW", dict(lr=0.01, amsgrad=True), "CosineAnnealingWarmRestarts", dict(T_0=7, T_mult=2)),
    ("NAdam", dict(lr=0.01), "LambdaLR", dict(lr_lambda=lambda t: 10.0 / (10.0 + t))),
    ("RMSprop", dict(lr=0.01, momentum=0.5), "CyclicLR",
     dict(base_lr=0.001, max_lr=0.01, step_size_up=12)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("oname,okw,sname,skw", RESUME, ids=[r[2] for r in RESUME])
def test_resume_optimizer_and_scheduler(oname, okw, sname, skw, dtype):
    """50 steps, save optimizer + scheduler state_dicts, load both into fresh objects,
    50 more steps == 100 uninterrupted steps (bit for bit), and == PyTorch's run."""
    arrays = init_arrays(dtype)

    def build(lib, arrs):
        ps = ember_params(arrs) if lib is ember else torch_params(torch, arrs)
        opt = getattr(lib.optim, oname)(ps, **okw)
        return ps, opt, getattr(lib.optim.lr_scheduler, sname)(opt, **skw)

    def run(lib, ps, opt, sched, steps):
        for _ in range(steps):
            if lib is ember:
                set_ember_grads(ps)
            else:
                set_torch_grads(torch, ps)
            opt.step()
            sched.step()

    ref = build(ember, arrays)
    run(ember, *ref, 100)

    a_ps, a_opt, a_sched = build(ember, arrays)
    run(ember, a_ps, a_opt, a_sched, 50)
    saved = copy.deepcopy({"opt": a_opt.state_dict(), "sched": a_sched.state_dict(),
                           "params": [p._data for p in a_ps]})
    del a_ps, a_opt, a_sched

    b_ps, b_opt, b_sched = build(ember, saved["params"])
    b_opt.load_state_dict(saved["opt"])
    b_sched.load_state_dict(saved["sched"])
    run(ember, b_ps, b_opt, b_sched, 50)
    for pb, pr in zip(b_ps, ref[0]):
        np.testing.assert_array_equal(pb._data, pr._data)
    assert b_sched.get_last_lr() == ref[2].get_last_lr()

    if torch is not None:
        t = build(torch, arrays)
        run(torch, *t, 100)
        assert_params_close(b_ps, t[0], dtype)
        assert b_sched.get_last_lr() == pytest.approx(t[2].get_last_lr(), rel=1e-12)
