"""The training loop shared by the recipes and users: :func:`fit` and :func:`evaluate`."""
import math
import time

import ember

from .callbacks import CallbackList
from .metrics import correct

__all__ = ["fit", "evaluate", "TrainState", "History", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite: the run stopped before the optimizer
    step that would have used it was kept in any checkpoint.

    Attributes:
        value (float): the loss. epoch (int): the epoch it happened in (1-based).
        step (int): the optimizer step (1-based). lr (float): the learning rate then.
        completed_epochs (int): epochs finished (and checkpointed) before it.
    """

    def __init__(self, value, epoch, step, lr, completed_epochs):
        self.value, self.epoch, self.step, self.lr = value, epoch, step, lr
        self.completed_epochs = completed_epochs
        super().__init__(f"fit: the loss became {value} at epoch {epoch}, step {step} "
                         f"(lr {lr:g}); lower the learning rate")

# schedulers whose step() is meant to run after every batch rather than every epoch
_PER_BATCH = ("OneCycleLR", "CyclicLR")


class History(list):
    """The per-epoch records of a run (a list of dicts) with ``history["key"]`` giving
    one metric's values over the epochs.

    Example:
        >>> h = fit(...); h[-1]["val_accuracy"], h["train_loss"]
    """

    def __getitem__(self, key):
        if isinstance(key, str):
            return [rec.get(key) for rec in self]
        return super().__getitem__(key)


class TrainState:
    """Everything a training run holds, passed to callbacks.

    Attributes:
        model, optimizer, scheduler, loss_fn, train_loader, val_loader, device
        epochs (int): the epoch to train up to.
        epoch (int): the number of epochs completed (0 before the first).
        step (int): optimizer steps taken.
        partial (dict or None): after a ``max_steps`` stop inside an epoch, the
            progress of that epoch (batches done, loss sums, its random states).
        history (History): one record per completed epoch.
        stop_training (bool): set by a callback to stop after this epoch.
        resumed (bool): whether the run continues from a checkpoint.
        meta (dict): extra JSON-able information saved with checkpoints (a recipe's
            name and configuration, for example).
        val_name (str): the prefix of the evaluation metrics (``"val"``).
        callbacks (CallbackList)
    """

    def __init__(self, model, optimizer, loss_fn, train_loader, epochs, val_loader=None,
                 scheduler=None, device=None, meta=None, val_name="val", callbacks=None):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.train_loader, self.val_loader = train_loader, val_loader
        self.scheduler, self.device, self.epochs = scheduler, device, int(epochs)
        self.epoch, self.step = 0, 0
        self.partial = None
        self.history = History()
        self.stop_training = False
        self.resumed = False
        self.meta = dict(meta or {})
        self.val_name = val_name
        self.callbacks = callbacks if callbacks is not None else CallbackList()

    @property
    def lr(self):
        return self.optimizer.param_groups[0]["lr"]


def _to(x, device):
    if device is None:
        return x
    if isinstance(x, ember.Tensor):
        return x.to(device)
    if isinstance(x, (list, tuple)):
        return type(x)(_to(v, device) for v in x)
    return x


def _split(batch):
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    raise TypeError(f"fit: expected batches of (input, target), got "
                    f"{type(batch).__name__}" + (f" of length {len(batch)}"
                                                 if isinstance(batch, (list, tuple)) else ""))


def _is_classification(output, target):
    return (isinstance(output, ember.Tensor) and isinstance(target, ember.Tensor)
            and output.dim() == 2 and target.dim() == 1
            and not target.is_floating_point() and output.shape[0] == target.shape[0])


def evaluate(model, loader, loss_fn=None, device=None, limit_batches=None):
    """Evaluate ``model`` on ``loader`` without gradients, in eval mode.

    Args:
        model (nn.Module): the model (put back in its previous train/eval mode after).
        loader (iterable): yields ``(input, target)`` batches.
        loss_fn (callable, optional): ``loss_fn(output, target)`` with mean reduction.
        device (optional): move model inputs and targets there first.
        limit_batches (int, optional): stop after this many batches.

    Returns:
        dict: ``loss`` (mean over samples; NaN without ``loss_fn``), ``accuracy``
        (fraction of samples classified correctly, for ``(N, C)`` outputs and ``(N,)``
        class targets; else NaN) and ``samples``.

    Example:
        >>> evaluate(model, test_loader, nn.CrossEntropyLoss())["accuracy"]
        0.981
    """
    was_training = model.training
    model.eval()
    total_loss, hits, n, classified = 0.0, 0, 0, True
    try:
        with ember.no_grad():
            for i, batch in enumerate(loader):
                if limit_batches is not None and i >= limit_batches:
                    break
                x, y = _split(batch)
                x, y = _to(x, device), _to(y, device)
                out = model(x)
                bs = y.shape[0] if isinstance(y, ember.Tensor) and y.dim() else 1
                if loss_fn is not None:
                    total_loss += float(loss_fn(out, y).item()) * bs
                if classified and _is_classification(out, y):
                    hits += correct(out, y)
                else:
                    classified = False
                n += bs
    finally:
        model.train(was_training)
    return {"loss": total_loss / n if n and loss_fn is not None else math.nan,
            "accuracy": hits / n if n and classified else math.nan, "samples": n}


def _rng_states(loader):
    from .checkpoint import _generators
    return {"default": ember.get_rng_state(),
            **{k: g.get_state() for k, g in _generators(loader).items()}}


def _set_rng_states(loader, states):
    from .checkpoint import _generators
    ember.set_rng_state(states["default"])
    for name, gen in _generators(loader).items():
        if name in states:
            gen.set_state(states[name])


def _last_batch(loader, i, limit_batches):
    """Whether batch ``i`` ends the epoch (unknown length: assume not)."""
    try:
        n = len(loader)
    except TypeError:
        return False
    return i + 1 >= (n if limit_batches is None else min(n, limit_batches))


def _train_epoch(state, limit_batches, max_steps=None):
    """One epoch (or, after a ``max_steps`` stop, the rest of one): the mean loss and
    accuracy; None when ``max_steps`` stopped it, with ``state.partial`` holding what
    a checkpoint needs to finish the epoch later exactly as an unbroken run would."""
    model, opt, loss_fn = state.model, state.optimizer, state.loss_fn
    per_batch = state.scheduler is not None and type(state.scheduler).__name__ in _PER_BATCH
    model.train()
    part, state.partial = state.partial, None
    if part is None:  # random states at the epoch's start: where its batches come from
        part = {"batches": 0, "rng": _rng_states(state.train_loader), "loss": 0.0, "hits": 0,
                "n": 0, "classified": True}
    else:  # resumed after a max_steps stop: the same batches, the trained ones skipped
        stopped = _rng_states(state.train_loader)
        _set_rng_states(state.train_loader, part["rng"])
    skip = int(part["batches"])
    total_loss, hits, n, classified = part["loss"], part["hits"], part["n"], part["classified"]
    for i, batch in enumerate(state.train_loader):
        if limit_batches is not None and i >= limit_batches:
            break
        if i < skip:
            if i == skip - 1:  # continue from the random state the run stopped with
                _set_rng_states(state.train_loader, stopped)
            continue
        x, y = _split(batch)
        x, y = _to(x, state.device), _to(y, state.device)
        out = model(x)
        loss = loss_fn(out, y)
        value = float(loss.item())
        if not math.isfinite(value):  # before the step, so the weights stay finite
            raise TrainingDiverged(value, state.epoch + 1, state.step + 1, state.lr, state.epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if per_batch:
            state.scheduler.step()
        state.step += 1
        bs = y.shape[0] if isinstance(y, ember.Tensor) and y.dim() else 1
        total_loss += value * bs
        if classified and _is_classification(out, y):
            hits += correct(out, y)
        else:
            classified = False
        n += bs
        state.callbacks.on_batch_end(state, {"loss": value, "batch_size": bs,
                                             "step": state.step})
        if max_steps is not None and state.step >= max_steps and not _last_batch(
                state.train_loader, i, limit_batches):
            # stop before the next batch is drawn (its random draws belong to the resume)
            state.partial = {**part, "batches": i + 1, "loss": total_loss, "hits": hits,
                             "n": n, "classified": classified}
            return None
    return {"loss": total_loss / n if n else math.nan,
            "accuracy": hits / n if n and classified else math.nan}


def _step_epoch_scheduler(state, record):
    sched = state.scheduler
    if sched is None or type(sched).__name__ in _PER_BATCH:
        return
    if type(sched).__name__ == "ReduceLROnPlateau":
        key = f"{state.val_name}_loss" if state.val_loader is not None else "train_loss"
        sched.step(record[key])
    else:
        sched.step()


def fit(model, train_loader, optimizer, loss_fn, epochs, val_loader=None, scheduler=None,
        callbacks=(), device=None, resume=None, meta=None, val_name="val",
        limit_train_batches=None, limit_val_batches=None, max_steps=None):
    """Train ``model`` for ``epochs`` epochs; the loop the ``ember train`` recipes use.

    Each epoch: train on every batch of ``train_loader`` (``zero_grad``, forward,
    ``loss_fn``, ``backward``, ``optimizer.step()``), evaluate on ``val_loader`` if
    given, step the scheduler (after every batch for ``OneCycleLR``/``CyclicLR``, with
    the validation loss for ``ReduceLROnPlateau``, else once per epoch), record the
    epoch and run the callbacks.

    Args:
        model (nn.Module): the model to train.
        train_loader (iterable): yields ``(input, target)`` batches, e.g. a DataLoader.
        optimizer (optim.Optimizer): over ``model.parameters()``.
        loss_fn (callable): ``loss_fn(output, target)`` -> scalar Tensor (mean).
        epochs (int): train until this many epochs are completed.
        val_loader (iterable, optional): evaluated after each epoch.
        scheduler (optional): a learning-rate scheduler over ``optimizer``.
        callbacks (list of Callback): e.g. ``CheckpointCallback(dir)``,
            ``CSVLogger(path)``, ``ProgressBar()``, ``EarlyStopping()``.
        device (optional): move the model and each batch there.
        resume (str, optional): a checkpoint written by :class:`CheckpointCallback`:
            restore the model, optimizer, scheduler, random states, history and
            callback states, and continue after its epoch. The result is the same as
            if the run had never stopped.
        meta (dict, optional): JSON-able information stored in checkpoints.
        val_name (str): prefix of the validation metrics (``"val_loss"``, ...).
        limit_train_batches, limit_val_batches (int, optional): use only the first
            batches of each epoch (quick checks).
        max_steps (int, optional): stop once this many optimizer steps have been taken
            in all (counting those before a resume). A stop inside an epoch records no
            epoch; :class:`CheckpointCallback` saves the run there, and a resumed run
            finishes that epoch with the same batches and random draws as a run that
            never stopped (so ``max_steps`` never changes the result, only where the
            run pauses).

    Returns:
        History: one record per epoch: ``epoch``, ``train_loss``, ``train_accuracy``,
        ``<val_name>_loss``, ``<val_name>_accuracy`` (with a ``val_loader``), ``lr``
        (at the start of the epoch) and ``seconds``. Accuracies are fractions; NaN
        where the task is not classification.

    Example:
        >>> from ember.train import fit, CheckpointCallback, ProgressBar
        >>> history = fit(model, train_loader, optim.Adam(model.parameters()),
        ...               nn.CrossEntropyLoss(), epochs=5, val_loader=test_loader,
        ...               callbacks=[CheckpointCallback("runs/demo"), ProgressBar()])
        >>> history[-1]["val_accuracy"]
    """
    if device is not None:
        model.to(device)
    cbs = CallbackList(callbacks)
    state = TrainState(model, optimizer, loss_fn, train_loader, epochs, val_loader, scheduler,
                       device, meta, val_name, cbs)
    if resume is not None:
        from .checkpoint import restore_checkpoint
        restore_checkpoint(resume, state)
    cbs.on_train_begin(state)
    try:
        while state.epoch < state.epochs and not state.stop_training:
            if max_steps is not None and state.step >= max_steps:
                break
            cbs.on_epoch_begin(state)
            part = state.partial  # the first part of this epoch, trained before a resume
            lr = part["lr"] if part else state.lr
            t0 = time.perf_counter() - (part["seconds"] if part else 0.0)
            train = _train_epoch(state, limit_train_batches, max_steps)
            if train is None:  # max_steps reached inside the epoch
                state.partial.update(lr=lr, seconds=time.perf_counter() - t0)
                break
            record = {"epoch": state.epoch + 1, "train_loss": train["loss"],
                      "train_accuracy": train["accuracy"]}
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, device, limit_val_batches)
                record[f"{val_name}_loss"] = val["loss"]
                record[f"{val_name}_accuracy"] = val["accuracy"]
            record["lr"] = lr
            record["seconds"] = time.perf_counter() - t0
            _step_epoch_scheduler(state, record)
            state.epoch += 1
            state.history.append(record)
            cbs.on_epoch_end(state, record)
    finally:
        cbs.on_train_end(state)
    return state.history
