"""Callbacks: hooks the training loop (:func:`ember.train.fit`) calls as it runs.

A callback overrides the hooks it needs; each gets the :class:`~ember.train.TrainState`
(``state.model``, ``state.optimizer``, ``state.epoch``, ``state.history``, ...).
Callbacks whose progress must survive a resume (early stopping's counter, the best
score so far) implement ``state_dict`` / ``load_state_dict``; the checkpoint stores it.
"""
import math

__all__ = ["Callback", "CallbackList", "EarlyStopping", "LambdaCallback"]


class Callback:
    """Base class of training callbacks. Every hook does nothing by default.

    Hooks, in the order ``fit`` calls them: ``on_train_begin(state)``, then per epoch
    ``on_epoch_begin(state)``, ``on_batch_end(state, logs)`` after each optimizer step
    (``logs``: ``loss``, ``batch_size``, ``step``), ``on_epoch_end(state, logs)``
    (``logs``: the epoch's record, e.g. ``train_loss``, ``val_accuracy``, ``lr``,
    ``seconds``), and finally ``on_train_end(state)``.

    Attributes:
        order (int): callbacks run in increasing ``order`` (stable); checkpointing uses
            100 so that it runs after the others and saves their updated state.

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, state, logs):
        ...         print(state.epoch, logs["train_loss"])
    """

    order = 0

    def on_train_begin(self, state):
        pass

    def on_epoch_begin(self, state):
        pass

    def on_batch_end(self, state, logs):
        pass

    def on_epoch_end(self, state, logs):
        pass

    def on_train_end(self, state):
        pass

    def state_dict(self):
        """State to keep in checkpoints (numbers, strings, lists, dicts)."""
        return {}

    def load_state_dict(self, state_dict):
        pass


class CallbackList(Callback):
    """Runs several callbacks in ``order``; keeps their states by class name."""

    def __init__(self, callbacks=()):
        cbs = list(callbacks or ())
        for cb in cbs:
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks must be ember.train.Callback instances, got "
                                f"{type(cb).__name__}")
        self.callbacks = sorted(cbs, key=lambda c: c.order)

    def _each(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, state):
        self._each("on_train_begin", state)

    def on_epoch_begin(self, state):
        self._each("on_epoch_begin", state)

    def on_batch_end(self, state, logs):
        self._each("on_batch_end", state, logs)

    def on_epoch_end(self, state, logs):
        self._each("on_epoch_end", state, logs)

    def on_train_end(self, state):
        self._each("on_train_end", state)

    def _names(self):
        """Keys for the states: the class name, with ``#2``, ``#3`` for repeats, so a
        resumed run may list its callbacks in another order or add new ones."""
        names, seen = [], {}
        for cb in self.callbacks:
            n = type(cb).__name__
            seen[n] = seen.get(n, 0) + 1
            names.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
        return names

    def state_dict(self):
        return {name: cb.state_dict() for name, cb in zip(self._names(), self.callbacks)}

    def load_state_dict(self, state_dict):
        for name, cb in zip(self._names(), self.callbacks):
            if name in state_dict:
                cb.load_state_dict(state_dict[name])


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda s, logs: ...)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


def _better(mode, value, best, min_delta):
    if math.isnan(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop training when a monitored metric has stopped improving.

    Args:
        monitor (str): a key of the epoch record, e.g. ``"val_loss"`` (default) or
            ``"val_accuracy"``.
        mode (str): ``"min"`` or ``"max"``; default: ``"max"`` for accuracies, else
            ``"min"``.
        patience (int): epochs without improvement before stopping.
        min_delta (float): the least change that counts as an improvement.

    Example:
        >>> fit(model, train, opt, loss_fn, 50, val_loader=val,
        ...     callbacks=[EarlyStopping("val_loss", patience=3)])
    """

    def __init__(self, monitor="val_loss", mode=None, patience=3, min_delta=0.0):
        if mode is None:
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.mode, self.patience = monitor, mode, int(patience)
        self.min_delta = float(min_delta)
        self.best, self.wait, self.stopped_epoch = None, 0, None

    def on_epoch_end(self, state, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: the epoch record has no {self.monitor!r}; it has "
                           f"{sorted(logs)}")
        value = float(logs[self.monitor])
        if _better(self.mode, value, self.best, self.min_delta):
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                state.stop_training = True
                self.stopped_epoch = state.epoch

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state_dict):
        self.best = state_dict.get("best")
        self.wait = state_dict.get("wait", 0)
        self.stopped_epoch = state_dict.get("stopped_epoch")
