"""fit under failure: a diverging loss, TensorBoard events on disk before the checkpoint."""
import os

import numpy as np
import pytest

from ember.train import (CheckpointCallback, LambdaCallback, TensorBoardLogger, TrainingDiverged,
                         fit, load_checkpoint, read_scalars)

from ._common import setup, weights


def test_divergence_keeps_the_last_good_checkpoint_and_resumes(tmp_path):
    model, train, val, opt, sched, loss_fn = setup(sched=False)

    def blow_up(state):
        if state.epoch == 1:  # the second epoch: a learning rate that diverges
            opt.param_groups[0]["lr"] = 1e12

    with pytest.raises(TrainingDiverged) as info, np.errstate(all="ignore"):
        fit(model, train, opt, loss_fn, 3, callbacks=[CheckpointCallback(tmp_path),
                                                      LambdaCallback(on_epoch_begin=blow_up)])
    e = info.value
    assert isinstance(e, FloatingPointError) and e.epoch == 2 and e.completed_epochs == 1
    assert f"at epoch 2, step {e.step}" in str(e) and "lower the learning rate" in str(e)
    ckpt = load_checkpoint(tmp_path)
    assert ckpt["epoch"] == 1  # untouched by the diverged epoch
    assert all(v.isfinite().all() for v in ckpt["model"].values())
    # resuming from it works (here with a sane learning rate again)
    model2, train2, val2, opt2, _, _ = setup(sched=False)
    history = fit(model2, train2, opt2, loss_fn, 3, resume=tmp_path,
                  callbacks=[CheckpointCallback(tmp_path)])
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert load_checkpoint(tmp_path)["epoch"] == 3
    assert all(w.size for w in weights(model2).values())


def test_epoch_events_are_on_disk_before_the_checkpoint(tmp_path):
    pytest.importorskip("tensorboardX")
    model, train, val, opt, sched, loss_fn = setup()
    seen = []

    def before_checkpoint(state, logs):
        # what another process would read right now (nothing closed yet)
        seen.append([s for s, _ in read_scalars(tmp_path).get("loss/train", [])])

    probe = LambdaCallback(on_epoch_end=before_checkpoint)
    probe.order = 99  # after the loggers, just before CheckpointCallback (100)
    fit(model, train, opt, loss_fn, 2, val_loader=val,
        callbacks=[TensorBoardLogger(tmp_path, log_every=1), probe, CheckpointCallback(tmp_path)])
    assert seen == [[6], [6, 12]]
    names = [n for n in os.listdir(tmp_path) if n.startswith("events.out.tfevents")]
    assert len(names) == 1
    # resuming a finished run writes no new event file
    fit(model, train, opt, loss_fn, 2, resume=tmp_path, callbacks=[TensorBoardLogger(tmp_path)])
    assert [n for n in os.listdir(tmp_path) if n.startswith("events.out.tfevents")] == names


def test_checkpoint_with_unrestorable_random_state_is_a_checkpoint_error(tmp_path):
    import json

    import ember
    from ember.train import CheckpointError
    from ember.train.checkpoint import restore_checkpoint
    model, train, val, opt, sched, loss_fn = setup()
    fit(model, train, opt, loss_fn, 1, scheduler=sched, callbacks=[CheckpointCallback(tmp_path)])
    ckpt = load_checkpoint(tmp_path)
    old = json.dumps({"seed": 0, "bit_generator": np.random.PCG64(0).state}).encode()
    ckpt["rng"]["default"] = ember.from_numpy(np.frombuffer(old, dtype=np.uint8).copy())
    ember.save(ckpt, tmp_path / "old.safetensors")
    from ember.train.loop import TrainState
    state = TrainState(model, opt, loss_fn, train, 2, scheduler=sched)
    with pytest.raises(CheckpointError, match="older ember"):
        restore_checkpoint(str(tmp_path / "old.safetensors"), state)
