"""Every LR scheduler against torch.optim.lr_scheduler: the lr (and momentum) sequences
over 200 steps are identical, also after a state_dict save/load in the middle."""
import copy
import math

import numpy as np
import pytest

import ember
from ember.optim import lr_scheduler as elrs
from tests.helpers import require_torch, torch


class Factor:
    """A picklable callable whose ``__dict__`` is saved by LambdaLR.state_dict."""

    def __init__(self, c1):
        self.c1 = c1

    def __call__(self, t):
        return self.c1 / (self.c1 + t)


def _metric(t):
    # plateaus then improvements, so ReduceLROnPlateau both waits and reduces
    return 1.0 / (1 + t // 15) + 0.001 * (t % 3)


# (optimizer name, optimizer kwargs, scheduler factory taking (lib_sched_module, opt))
SCHEDS = {
    "StepLR": ("SGD", {}, lambda m, o: m.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": ("SGD", {}, lambda m, o: m.MultiStepLR(o, milestones=[30, 80, 80, 150],
                                                          gamma=0.3)),
    "LambdaLR": ("SGD", {}, lambda m, o: m.LambdaLR(o, lambda t: 10.0 / (10.0 + t))),
    "LambdaLR-obj": ("SGD", {}, lambda m, o: m.LambdaLR(o, Factor(5.0))),
    "MultiplicativeLR": ("SGD", {}, lambda m, o: m.MultiplicativeLR(
        o, lambda t: (10.0 + t - 1) / (10.0 + t))),
    "ExponentialLR": ("SGD", {}, lambda m, o: m.ExponentialLR(o, gamma=0.98)),
    "LinearLR": ("SGD", {}, lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9,
                                                    total_iters=40)),
    "ConstantLR": ("SGD", {}, lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=20)),
    "PolynomialLR": ("SGD", {}, lambda m, o: m.PolynomialLR(o, total_iters=150, power=2.0)),
    "CosineAnnealingLR": ("SGD", {}, lambda m, o: m.CosineAnnealingLR(o, T_max=30,
                                                                      eta_min=0.001)),
    "CosineAnnealingWarmRestarts": ("SGD", {}, lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=2, eta_min=0.01)),
    "OneCycleLR": ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(
        o, max_lr=0.5, total_steps=201)),
    "OneCycleLR-adam-3phase-linear": ("Adam", {}, lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=51, three_phase=True,
        anneal_strategy="linear")),
    "CyclicLR": ("SGD", dict(momentum=0.9), lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=15, step_size_down=25)),
    "CyclicLR-tri2": ("SGD", dict(momentum=0.9), lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=10, mode="triangular2")),
    "CyclicLR-exp-adam": ("Adam", {}, lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=10, mode="exp_range",
        gamma=0.99)),
    "SequentialLR": ("SGD", {}, lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=10),
            m.CosineAnnealingLR(o, T_max=50), m.ExponentialLR(o, gamma=0.97)],
        milestones=[10, 100])),
    "ChainedScheduler": ("SGD", {}, lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=5), m.ExponentialLR(o, gamma=0.99),
         m.MultiStepLR(o, milestones=[50, 120])])),
    "ReduceLROnPlateau": ("SGD", {}, lambda m, o: m.ReduceLROnPlateau(
        o, patience=3, factor=0.5, cooldown=2, min_lr=[0.001, 0.002])),
    "ReduceLROnPlateau-max-abs": ("SGD", {}, lambda m, o: m.ReduceLROnPlateau(
        o, mode="max", threshold_mode="abs", threshold=0.01, patience=2)),
}


def _make(lib, opt_name, opt_kw):
    if lib == "ember":
        ps = [ember.zeros(3, requires_grad=True), ember.zeros(2, requires_grad=True)]
        mod = ember.optim
    else:
        ps = [torch.zeros(3, requires_grad=True), torch.zeros(2, requires_grad=True)]
        mod = torch.optim
    opt = getattr(mod, opt_name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}],
                                 lr=0.1, **opt_kw)
    return opt


def _snapshot(opt):
    out = []
    for g in opt.param_groups:
        out.append(float(g["lr"]))
        if "momentum" in g:
            out.append(float(g["momentum"]))
        if "betas" in g:
            out.append(float(g["betas"][0]))
    return out


def _step(sched, opt, t, plateau):
    opt.step()
    if plateau:
        sched.step(_metric(t))
    else:
        sched.step()


@pytest.mark.parametrize("name", list(SCHEDS))
def test_scheduler_matches_torch(name):
    require_torch()
    opt_name, opt_kw, factory = SCHEDS[name]
    plateau = "Plateau" in name
    eo, to = _make("ember", opt_name, opt_kw), _make("torch", opt_name, opt_kw)
    es, ts = factory(elrs, eo), factory(torch.optim.lr_scheduler, to)
    assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13, abs=1e-15)
    for t in range(200):
        if t == 100:   # save, rebuild from scratch, load: the run goes on unchanged
            osd = copy.deepcopy(eo.state_dict())
            ssd = copy.deepcopy(es.state_dict())
            eo = _make("ember", opt_name, opt_kw)
            es = factory(elrs, eo)
            eo.load_state_dict(osd)
            es.load_state_dict(ssd)
        _step(es, eo, t, plateau)
        _step(ts, to, t, plateau)
        assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13, abs=1e-15), t
        assert _snapshot(eo) == pytest.approx(_snapshot(to), rel=1e-13, abs=1e-15), t
        if not plateau and hasattr(ts, "last_epoch"):
            assert es.last_epoch == ts.last_epoch


def test_state_dict_keys_like_torch():
    require_torch()
    for name in ["StepLR", "CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau"]:
        opt_name, opt_kw, factory = SCHEDS[name]
        es = factory(elrs, _make("ember", opt_name, opt_kw))
        ts = factory(torch.optim.lr_scheduler, _make("torch", opt_name, opt_kw))
        assert set(es.state_dict()) == set(ts.state_dict()), name


def test_initial_lr_set_in_groups():
    opt = _make("ember", "SGD", {})
    elrs.StepLR(opt, 5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    with pytest.raises(KeyError, match="initial_lr"):
        elrs.StepLR(_make("ember", "SGD", {}), 5, last_epoch=3)


def test_closed_form_epoch_argument_warns():
    opt = _make("ember", "SGD", {})
    s = elrs.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(7)
    assert s.get_last_lr() == pytest.approx([0.1 * 0.25, 0.05 * 0.25])


def test_warns_if_scheduler_steps_before_optimizer():
    opt = _make("ember", "SGD", {})
    s = elrs.ExponentialLR(opt, gamma=0.9)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_lr_scheduler_alias_and_lecture_rules():
    assert issubclass(elrs._LRScheduler, elrs.LRScheduler)
    c0, c1 = 2.0, 10.0
    p = ember.zeros(2, requires_grad=True)
    opt = ember.optim.SGD([p], lr=1.0)
    s = elrs.LambdaLR(opt, lr_lambda=lambda l: c0 / (c1 + l))
    opt2 = ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=c0 / c1)
    s2 = elrs.MultiplicativeLR(opt2, lr_lambda=lambda l: (c1 + l - 1) / (c1 + l))
    assert s.get_last_lr()[0] == pytest.approx(c0 / c1)
    for t in range(1, 20):
        opt.step()
        s.step()
        opt2.step()
        s2.step()
        assert s.get_last_lr()[0] == pytest.approx(c0 / (c1 + t))
        assert s2.get_last_lr()[0] == pytest.approx(c0 / (c1 + t))
    # the lectures' piecewise-constant schedule
    opt3 = ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1)
    s3 = elrs.MultiStepLR(opt3, milestones=[3, 6], gamma=0.1)
    lrs = []
    for _ in range(8):
        lrs.append(s3.get_last_lr()[0])
        opt3.step()
        s3.step()
    assert lrs == pytest.approx([0.1] * 3 + [0.01] * 3 + [0.001] * 2)


def test_scheduler_validation_errors():
    opt = _make("ember", "SGD", {})
    with pytest.raises(TypeError, match="is not an Optimizer"):
        elrs.StepLR(object(), 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        elrs.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        elrs.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        elrs.LambdaLR(opt, [lambda t: 1.0])
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        elrs.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode foo is unknown"):
        elrs.ReduceLROnPlateau(opt, mode="foo")
    with pytest.raises(ValueError, match="T_0"):
        elrs.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        elrs.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="momentum or beta1"):
        elrs.OneCycleLR(ember.optim.Adagrad([ember.zeros(2, requires_grad=True)]), 0.1,
                        total_steps=10)
    with pytest.raises(ValueError, match="number of milestone"):
        elrs.SequentialLR(opt, [elrs.StepLR(opt, 2)], milestones=[3])
    s = elrs.OneCycleLR(_make("ember", "SGD", dict(momentum=0.9)), 0.1, total_steps=2)
    s.optimizer.step()
    s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        s.step()


def test_cosine_matches_closed_form():
    opt = _make("ember", "SGD", {})
    s = elrs.CosineAnnealingLR(opt, T_max=20, eta_min=0.0)
    for t in range(1, 21):
        opt.step()
        s.step()
        want = 0.1 * (1 + math.cos(math.pi * t / 20)) / 2
        assert s.get_last_lr()[0] == pytest.approx(want, abs=1e-12)
    assert np.isclose(opt.param_groups[0]["lr"], 0.0, atol=1e-12)
