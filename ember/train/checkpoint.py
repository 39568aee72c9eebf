"""Training checkpoints: everything needed to resume a run bit for bit.

A checkpoint is an :func:`ember.save` file (safetensors) holding the model, optimizer
and scheduler states, the random states (ember's default generator and the data
loader's), the completed epoch, the per-epoch history, the callbacks' states and the
run's ``meta`` (for ``ember train``: the recipe and its configuration).
"""
import glob
import math
import os

import ember
from ember.serialization import SerializationError, _serialize, atomic_write_bytes

from .callbacks import Callback, _better
from .loop import History

__all__ = ["CheckpointCallback", "CheckpointError", "training_checkpoint",
           "restore_checkpoint", "load_checkpoint", "CHECKPOINT_NAME", "BEST_NAME"]

CHECKPOINT_NAME = "checkpoint.safetensors"
BEST_NAME = "best.safetensors"
KIND = "ember.train.checkpoint"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used: unreadable, not a training checkpoint, or written for
    a different model/optimizer. The message says what is wrong and what to do."""


def _generators(loader):
    """The ember Generators a data loader draws from (its own and its sampler's)."""
    out = {}
    gen = getattr(loader, "generator", None)
    if gen is not None and hasattr(gen, "get_state"):
        out["loader"] = gen
    sampler = getattr(loader, "sampler", None)
    sgen = getattr(sampler, "generator", None)
    if sgen is not None and sgen is not gen and hasattr(sgen, "get_state"):
        out["sampler"] = sgen
    return out


def training_checkpoint(state):
    """The checkpoint dict of a :class:`~ember.train.TrainState` (for :func:`ember.save`)."""
    rng = {"default": ember.get_rng_state()}
    for name, gen in _generators(state.train_loader).items():
        rng[name] = gen.get_state()
    sched = state.scheduler
    return {
        "kind": KIND,
        "version": 1,
        "epoch": state.epoch,
        "step": state.step,
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "optimizer_class": type(state.optimizer).__name__,
        "scheduler": sched.state_dict() if sched is not None else None,
        "scheduler_class": type(sched).__name__ if sched is not None else None,
        "rng": rng,
        "history": list(state.history),
        "callbacks": state.callbacks.state_dict(),
        "meta": state.meta,
        "partial": state.partial,  # set after a max_steps stop inside an epoch
    }


def load_checkpoint(path):
    """Read a training checkpoint (a run directory means its ``checkpoint.safetensors``).

    Raises:
        CheckpointError: missing, truncated, corrupt, or not a training checkpoint.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT_NAME)
    if not os.path.isfile(path):
        raise CheckpointError(f"no checkpoint at {path}: give a run directory holding "
                              f"{CHECKPOINT_NAME} or a .safetensors checkpoint file")
    try:
        ckpt = ember.load(path)
    except SerializationError as e:
        raise CheckpointError(f"cannot read checkpoint {e}") from None
    if not isinstance(ckpt, dict) or ckpt.get("kind") != KIND:
        raise CheckpointError(f"{path} is not an ember training checkpoint (it was not "
                              "written by ember.train.CheckpointCallback / ember train)")
    return ckpt


def _check_model(path, saved, current):
    missing = [k for k in current if k not in saved]
    unexpected = [k for k in saved if k not in current]
    shapes = [f"{k} is {tuple(saved[k].shape)} there but {tuple(current[k].shape)} here"
              for k in current if k in saved and tuple(saved[k].shape) != tuple(current[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}" + (" ..." if len(missing) > 3
                                                                else ""))
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:3])}" +
                         (" ..." if len(unexpected) > 3 else ""))
        parts.extend(shapes[:2])
        raise CheckpointError(f"{path} was written for a different model ({'; '.join(parts)})"
                              ": resume or evaluate it with the model (recipe) that wrote it")


def restore_checkpoint(path, state):
    """Restore a run from ``path`` into ``state`` (model, optimizer, scheduler, random
    states, epoch, history, callbacks). Returns the checkpoint dict.

    Raises:
        CheckpointError: unreadable, or written for a different model or optimizer.
    """
    ckpt = load_checkpoint(path)
    where = path if not os.path.isdir(path) else os.path.join(path, CHECKPOINT_NAME)
    _check_model(where, ckpt["model"], state.model.state_dict())
    opt_cls = type(state.optimizer).__name__
    if ckpt.get("optimizer_class") not in (None, opt_cls):
        raise CheckpointError(f"{where} holds the state of a {ckpt['optimizer_class']} "
                              f"optimizer, not {opt_cls}: resume with the same optimizer")
    sched_cls = type(state.scheduler).__name__ if state.scheduler is not None else None
    if ckpt.get("scheduler_class") != sched_cls:
        raise CheckpointError(f"{where} was written with scheduler "
                              f"{ckpt.get('scheduler_class')}, not {sched_cls}: resume with "
                              "the same scheduler")
    try:
        state.model.load_state_dict(ckpt["model"])
        state.optimizer.load_state_dict(ckpt["optimizer"])
        if state.scheduler is not None:
            state.scheduler.load_state_dict(ckpt["scheduler"])
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{where} does not fit this model/optimizer ({msg}): resume "
                              "with the setup that wrote it") from None
    rng = ckpt.get("rng") or {}
    try:
        if "default" in rng:
            ember.set_rng_state(rng["default"])
        for name, gen in _generators(state.train_loader).items():
            if name in rng:
                gen.set_state(rng[name])
    except (RuntimeError, ValueError, KeyError) as e:
        raise CheckpointError(f"{where} holds random states ember cannot restore ({e}); it "
                              "was probably written by an older ember: start a new run") from None
    state.epoch = int(ckpt["epoch"])
    state.step = int(ckpt.get("step", 0))
    state.partial = ckpt.get("partial") or None
    state.history = History(ckpt.get("history") or [])
    state.callbacks.load_state_dict(ckpt.get("callbacks") or {})
    saved_meta = ckpt.get("meta") or {}
    state.meta = {**saved_meta, **state.meta}
    state.resumed = True
    return ckpt


class CheckpointCallback(Callback):
    """Write ``checkpoint.safetensors`` (the last epoch) and ``best.safetensors`` (the
    best epoch so far by ``monitor``) into ``dirpath`` after every epoch, atomically.

    Args:
        dirpath (str): the run directory (created if needed).
        monitor (str, optional): the metric choosing the best epoch; default
            ``"<val_name>_accuracy"`` with a validation loader, else ``"train_loss"``.
        mode (str, optional): ``"max"`` or ``"min"``; default from the metric's name.

    Resume a run with ``fit(..., resume=dirpath)``. Temporary files of atomic writes
    left by a killed process are removed when training starts. The callback runs after
    the loggers (``order`` 100), so when a checkpoint exists, the metrics files and the
    fsynced TensorBoard events already hold its epoch.

    Example:
        >>> fit(model, train, opt, loss_fn, 10, callbacks=[CheckpointCallback("runs/a")])
    """

    order = 100  # after the other callbacks, so their updated states are saved

    def __init__(self, dirpath, monitor=None, mode=None):
        self.dirpath = os.fspath(dirpath)
        self.monitor, self.mode = monitor, mode
        self.best = None

    @property
    def last_path(self):
        return os.path.join(self.dirpath, CHECKPOINT_NAME)

    @property
    def best_path(self):
        return os.path.join(self.dirpath, BEST_NAME)

    def on_train_begin(self, state):
        os.makedirs(self.dirpath, exist_ok=True)
        # temporary files of atomic writes (checkpoints, metrics, curves) a killed
        # process left behind: ".NAME.RANDOM.tmp"
        for tmp in glob.glob(os.path.join(glob.escape(self.dirpath), ".*.*.tmp")):
            try:
                os.remove(tmp)
            except OSError:
                pass
        if self.monitor is None:
            self.monitor = (f"{state.val_name}_accuracy" if state.val_loader is not None
                            else "train_loss")
        if self.mode is None:
            self.mode = "max" if "acc" in self.monitor else "min"

    def on_epoch_end(self, state, logs):
        value = logs.get(self.monitor, math.nan)
        improved = _better(self.mode, float(value), self.best, 0.0)
        if improved:
            self.best = float(value)
        payload = _serialize(training_checkpoint(state))
        if improved or not os.path.exists(self.best_path):
            atomic_write_bytes(self.best_path, payload)
        atomic_write_bytes(self.last_path, payload)

    def on_train_end(self, state):
        if state.partial:  # stopped by max_steps inside an epoch: save the run there
            atomic_write_bytes(self.last_path, _serialize(training_checkpoint(state)))

    def state_dict(self):
        return {"best": self.best, "monitor": self.monitor, "mode": self.mode}

    def load_state_dict(self, state_dict):
        self.best = state_dict.get("best")
