"""Metric logs of a run: ``metrics.csv``, ``metrics.json`` and TensorBoard events.

On a resumed run the files keep the records of the epochs the checkpoint covers and
new epochs are appended; records of epochs the checkpoint does not cover (a run
killed after logging but before checkpointing) are dropped, so each epoch appears
once.
"""
import csv
import io
import json
import math
import os
import sys

from ember.serialization import atomic_write_bytes

from .callbacks import Callback

__all__ = ["CSVLogger", "JSONLogger", "TensorBoardLogger", "warn_missing"]

_warned = set()


def warn_missing(package, what):
    """Print one line on stderr (once per package) that ``what`` is skipped."""
    if package not in _warned:
        _warned.add(package)
        print(f"ember: warning: {package} is not installed, so {what} is skipped "
              "(pip install 'ember[train]')", file=sys.stderr)


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class CSVLogger(Callback):
    """Append one row per epoch (the epoch record's keys as columns) to a CSV file.

    Args:
        path (str): the file, e.g. ``"runs/a/metrics.csv"``.

    Example:
        >>> fit(..., callbacks=[CSVLogger("metrics.csv")])
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.fields = None

    def _read(self):
        try:
            with open(self.path, newline="") as f:
                return list(csv.DictReader(f))
        except (OSError, csv.Error):
            return None

    def on_train_begin(self, state):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        history = list(state.history)
        if not history:
            self.fields = None
            if os.path.exists(self.path) and not state.resumed:
                os.remove(self.path)
            return
        self.fields = list(history[0].keys())
        rows = self._read() if state.resumed else None
        expected = [self._format(r) for r in history]
        if rows is not None and rows[:len(expected)] == expected and len(rows) == len(expected):
            return  # the file already matches the checkpoint: append from here
        buf = io.StringIO()
        w = csv.DictWriter(buf, self.fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in history:
            w.writerow(self._format(r))
        atomic_write_bytes(self.path, buf.getvalue().encode())

    def _format(self, record):
        return {k: ("" if v is None else repr(v) if isinstance(v, float) else str(v))
                for k, v in record.items() if self.fields is None or k in self.fields}

    def on_epoch_end(self, state, logs):
        new = self.fields is None
        if new:
            self.fields = list(logs.keys())
        with open(self.path, "a", newline="") as f:
            w = csv.DictWriter(f, self.fields, extrasaction="ignore", lineterminator="\n")
            if new:
                w.writeheader()
            w.writerow(self._format(logs))
            f.flush()
            os.fsync(f.fileno())


class JSONLogger(Callback):
    """Keep a JSON list of the epoch records in a file, rewritten atomically each epoch
    with the new record appended (non-finite numbers are written as ``null``).

    Args:
        path (str): the file, e.g. ``"runs/a/metrics.json"``.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.records = []

    def on_train_begin(self, state):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        self.records = []
        if state.resumed:
            try:
                with open(self.path) as f:
                    old = json.load(f)
                if isinstance(old, list):
                    self.records = [r for r in old if isinstance(r, dict)
                                    and r.get("epoch", math.inf) <= state.epoch]
            except (OSError, ValueError):
                self.records = []
        have = {r.get("epoch") for r in self.records}
        for rec in state.history:  # fill in epochs the file lacks from the checkpoint
            if rec.get("epoch") not in have:
                self.records.append({k: _jsonable(v) for k, v in rec.items()})
        self.records.sort(key=lambda r: r.get("epoch", 0))
        if state.history or os.path.exists(self.path):
            self._write()

    def _write(self):
        text = json.dumps(self.records, indent=1)
        atomic_write_bytes(self.path, (text + "\n").encode())

    def on_epoch_end(self, state, logs):
        self.records.append({k: _jsonable(v) for k, v in logs.items()})
        self._write()


class TensorBoardLogger(Callback):
    """Write TensorBoard event files (``tensorboardX``): every epoch's metrics as
    ``loss/train``, ``accuracy/val``, ``lr``, ... (at the global step) and the
    training loss every ``log_every`` steps as ``batch/loss``.

    Args:
        logdir (str): the event files' folder (the run directory).
        log_every (int): steps between ``batch/loss`` points.

    Without tensorboardX installed, prints a one-line warning and does nothing.
    """

    def __init__(self, logdir, log_every=50):
        self.logdir = os.fspath(logdir)
        self.log_every = int(log_every)
        self.writer = None

    def on_train_begin(self, state):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            warn_missing("tensorboardX", "TensorBoard logging")
            return
        kw = {"purge_step": state.step + 1} if state.resumed else {}
        self.writer = SummaryWriter(self.logdir, flush_secs=30, **kw)

    def on_batch_end(self, state, logs):
        if self.writer is not None and state.step % self.log_every == 0:
            self.writer.add_scalar("batch/loss", logs["loss"], state.step)

    def on_epoch_end(self, state, logs):
        if self.writer is None:
            return
        for key, value in logs.items():
            if key == "epoch" or value is None or not isinstance(value, (int, float)) \
                    or (isinstance(value, float) and not math.isfinite(value)):
                continue
            split, _, metric = key.partition("_")
            tag = f"{metric}/{split}" if metric else key
            self.writer.add_scalar(tag, value, state.step)
        self.writer.flush()

    def on_train_end(self, state):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
