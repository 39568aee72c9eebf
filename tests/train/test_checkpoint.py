"""Checkpoints: a resumed run ends bit for bit where an uninterrupted one does."""
import csv
import json
import os

import numpy as np
import pytest

import ember
from ember import nn
from ember.train import (CheckpointCallback, CheckpointError, CSVLogger, EarlyStopping,
                         JSONLogger, fit, load_checkpoint)

from ._common import setup, weights


def run(tmp, epochs, resume=False, extra=()):
    model, train, val, opt, sched, loss_fn = setup()
    cbs = [CheckpointCallback(tmp), CSVLogger(os.path.join(tmp, "metrics.csv")),
           JSONLogger(os.path.join(tmp, "metrics.json")), *extra]
    hist = fit(model, train, opt, loss_fn, epochs, val_loader=val, scheduler=sched,
               callbacks=cbs, resume=tmp if resume else None, meta={"who": "test"})
    return model, opt, hist


def test_resume_is_bitwise_identical(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    m_full, opt_full, h_full = run(a, 3)
    run(b, 1)
    m_res, opt_res, h_res = run(b, 3, resume=True)
    wa, wb = weights(m_full), weights(m_res)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])
    assert [r["train_loss"] for r in h_full] == [r["train_loss"] for r in h_res]
    assert opt_full.param_groups[0]["lr"] == opt_res.param_groups[0]["lr"]
    ck = load_checkpoint(b)
    assert ck["epoch"] == 3 and ck["meta"] == {"who": "test"}
    assert [r["epoch"] for r in ck["history"]] == [1, 2, 3]
    with open(os.path.join(b, "metrics.csv")) as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3]
    with open(os.path.join(b, "metrics.json")) as f:
        assert [r["epoch"] for r in json.load(f)] == [1, 2, 3]


def test_max_steps_pauses_and_resume_matches_uninterrupted(tmp_path):
    # 6 batches an epoch, dropout and shuffling: stops inside epoch 1, exactly at its
    # end, inside epoch 2, then no limit; the weights and records equal a straight run
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    m_full, _, h_full = run(a, 3)
    for limit, epochs_done in ((4, 0), (6, 1), (9, 1), (None, 3)):
        model, train, val, opt, sched, loss_fn = setup()
        hist = fit(model, train, opt, loss_fn, 3, val_loader=val, scheduler=sched,
                   callbacks=[CheckpointCallback(b), JSONLogger(os.path.join(b, "m.json"))],
                   resume=b if os.path.exists(os.path.join(b, "checkpoint.safetensors"))
                   else None, max_steps=limit)
        ck = load_checkpoint(b)
        assert len(hist) == ck["epoch"] == epochs_done
        assert ck["step"] == (limit or 18) and bool(ck["partial"]) == (limit in (4, 9))
    wa, wb = weights(m_full), weights(model)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])
    for ra, rb in zip(h_full, hist):
        assert {k: v for k, v in ra.items() if k != "seconds"} == {
            k: v for k, v in rb.items() if k != "seconds"}
    with open(os.path.join(b, "m.json")) as f:
        assert [r["epoch"] for r in json.load(f)] == [1, 2, 3]


def test_best_and_last(tmp_path):
    run(str(tmp_path), 2)
    best, last = load_checkpoint(tmp_path / "best.safetensors"), load_checkpoint(tmp_path)
    accs = [r["val_accuracy"] for r in last["history"]]
    assert best["epoch"] == 1 + int(np.argmax(accs))
    assert last["epoch"] == 2
    assert sorted(os.listdir(tmp_path)) == ["best.safetensors", "checkpoint.safetensors",
                                            "metrics.csv", "metrics.json"]


def test_logs_repaired_after_crash_between_log_and_checkpoint(tmp_path):
    d = str(tmp_path)
    run(d, 1)
    # a crash after logging epoch 2 but before its checkpoint leaves an extra row
    with open(os.path.join(d, "metrics.csv"), "a") as f:
        f.write("2,9,9,9,9,9,9\n")
    with open(os.path.join(d, "metrics.json")) as f:
        recs = json.load(f)
    with open(os.path.join(d, "metrics.json"), "w") as f:
        json.dump(recs + [{"epoch": 2, "train_loss": 9}], f)
    open(os.path.join(d, ".checkpoint.safetensors.abc123.tmp"), "wb").close()
    run(d, 2, resume=True)
    with open(os.path.join(d, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2] and rows[1]["train_loss"] != "9"
    with open(os.path.join(d, "metrics.json")) as f:
        assert [r["epoch"] for r in json.load(f)] == [1, 2]
    assert not [n for n in os.listdir(d) if n.endswith(".tmp")]


def test_callback_state_survives_resume(tmp_path):
    d = str(tmp_path)
    es = EarlyStopping("val_loss", patience=5)
    run(d, 2, extra=[es])
    es2 = EarlyStopping("val_loss", patience=5)
    model, train, val, opt, sched, loss_fn = setup()
    fit(model, train, opt, loss_fn, 2, val_loader=val, scheduler=sched,
        callbacks=[CheckpointCallback(d), es2], resume=d)
    assert es2.best == es.best and es2.wait == es.wait


def test_wrong_model_or_optimizer(tmp_path):
    d = str(tmp_path)
    run(d, 1)
    before = open(os.path.join(d, "checkpoint.safetensors"), "rb").read()
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="different model"):
        fit(model, [], opt, nn.CrossEntropyLoss(), 2, resume=d)
    model, train, val, _, sched, loss_fn = setup()
    adam = ember.optim.Adam(model.parameters())
    with pytest.raises(CheckpointError, match="SGD optimizer, not Adam"):
        fit(model, train, adam, loss_fn, 2, resume=d)
    model, train, val, opt, sched, loss_fn = setup()
    with pytest.raises(CheckpointError, match="scheduler"):
        fit(model, train, opt, loss_fn, 2, resume=d)  # the run had a StepLR
    assert open(os.path.join(d, "checkpoint.safetensors"), "rb").read() == before


def test_unusable_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path)
    ember.save({"w": ember.ones(1)}, tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="not an ember training checkpoint"):
        load_checkpoint(tmp_path / "plain.safetensors")
    run(str(tmp_path / "r"), 1)
    path = tmp_path / "r" / "checkpoint.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path)
