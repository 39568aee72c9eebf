"""ember.train.fit / evaluate: records, scheduler stepping, callbacks, errors."""
import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.train import (Callback, EarlyStopping, LambdaCallback, evaluate, fit)
from ember.utils.data import DataLoader, TensorDataset

from ._common import setup


def test_fit_learns_and_records():
    model, train, val, opt, sched, loss_fn = setup()
    hist = fit(model, train, opt, loss_fn, 4, val_loader=val, scheduler=sched)
    assert len(hist) == 4
    assert list(hist[0]) == ["epoch", "train_loss", "train_accuracy", "val_loss",
                             "val_accuracy", "lr", "seconds"]
    assert hist["epoch"] == [1, 2, 3, 4]
    assert hist["lr"] == [0.1, 0.05, 0.025, 0.0125]  # StepLR stepped once per epoch
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    assert hist[-1]["val_accuracy"] > 0.9
    res = evaluate(model, val, loss_fn)
    assert res["samples"] == 48
    assert res["accuracy"] == pytest.approx(hist[-1]["val_accuracy"])
    assert res["loss"] == pytest.approx(hist[-1]["val_loss"], rel=1e-5)
    assert model.training  # evaluate restores the mode


def test_evaluate_matches_manual():
    model, train, val, opt, sched, loss_fn = setup(dropout=0.0)
    x, y = val.dataset.tensors
    with ember.no_grad():
        out = model(x)
    res = evaluate(model, val, loss_fn)
    assert res["accuracy"] == pytest.approx(float((out.argmax(1) == y).float().mean().item()))
    assert res["loss"] == pytest.approx(float(loss_fn(out, y).item()), rel=1e-5)


def test_regression_has_nan_accuracy():
    ember.manual_seed(0)
    x, y = ember.randn(20, 3), ember.randn(20, 1)
    model = nn.Linear(3, 1)
    hist = fit(model, DataLoader(TensorDataset(x, y), batch_size=5), 
               ember.optim.SGD(model.parameters(), lr=0.05), nn.MSELoss(), 2)
    assert math.isnan(hist[-1]["train_accuracy"])
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]


def test_onecycle_steps_per_batch_and_plateau_uses_val_loss():
    model, train, val, opt, _, loss_fn = setup()
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2 * len(train))
    fit(model, train, opt, loss_fn, 2, scheduler=sched)
    assert sched.last_epoch == 2 * len(train)
    model, train, val, opt, _, loss_fn = setup()
    plateau = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    seen = []
    orig = plateau.step
    plateau.step = lambda metric=None: (seen.append(metric), orig(metric))
    hist = fit(model, train, opt, loss_fn, 2, val_loader=val, scheduler=plateau)
    assert seen == hist["val_loss"]


def test_callback_hooks_order_and_early_stopping():
    model, train, val, opt, sched, loss_fn = setup()
    calls = []

    class Rec(Callback):
        def __init__(self, tag, order=0):
            self.tag, self.order = tag, order

        def on_train_begin(self, s):
            calls.append((self.tag, "begin"))

        def on_epoch_end(self, s, logs):
            calls.append((self.tag, "epoch", s.epoch))

        def on_train_end(self, s):
            calls.append((self.tag, "end"))

    steps = []
    hist = fit(model, train, opt, loss_fn, 10, val_loader=val,
               callbacks=[Rec("late", 100), Rec("early"),
                          LambdaCallback(on_batch_end=lambda s, logs: steps.append(logs["step"])),
                          EarlyStopping("val_accuracy", patience=0, min_delta=1.0)])
    assert len(hist) == 2  # nothing improves by 1.0: stops after the first non-improvement
    assert calls[:2] == [("early", "begin"), ("late", "begin")]
    assert calls[2:4] == [("early", "epoch", 1), ("late", "epoch", 1)]
    assert calls[-1] == ("late", "end")
    assert steps == list(range(1, 2 * len(train) + 1))


def test_bad_batches_and_nan_loss():
    model = nn.Linear(2, 2)
    opt = ember.optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(TypeError, match="input, target"):
        fit(model, [ember.randn(2, 2)], opt, nn.CrossEntropyLoss(), 1)
    x = ember.tensor([[math.nan, 0.0]])
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(model, [(x, ember.tensor([0]))], opt, nn.CrossEntropyLoss(), 1)
    with pytest.raises(TypeError, match="Callback"):
        fit(model, [], opt, nn.CrossEntropyLoss(), 1, callbacks=[print])


def test_limit_batches():
    model, train, val, opt, sched, loss_fn = setup()
    steps = []
    fit(model, train, opt, loss_fn, 1, val_loader=val, limit_train_batches=2,
        callbacks=[LambdaCallback(on_batch_end=lambda s, logs: steps.append(1))])
    assert len(steps) == 2
    assert evaluate(model, val, loss_fn, limit_batches=1)["samples"] == 32
    np.testing.assert_equal(evaluate(model, [], loss_fn)["samples"], 0)
