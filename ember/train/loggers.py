"""Metric logs of a run: ``metrics.csv``, ``metrics.json`` and TensorBoard events.

On a resumed run the files keep the records of the epochs the checkpoint covers and
new epochs are appended; records of epochs the checkpoint does not cover (a run
killed after logging but before checkpointing) are dropped, so each epoch appears
once.
"""
import csv
import glob
import io
import json
import math
import os
import struct
import sys
import time

from ember.serialization import atomic_write_bytes

from .callbacks import Callback

__all__ = ["CSVLogger", "JSONLogger", "TensorBoardLogger", "read_scalars", "warn_missing"]

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
    """Keep one row per epoch (the epoch record's keys as columns) in a CSV file,
    rewritten atomically after every epoch (a kill never leaves a half-written row).

    Args:
        path (str): the file, e.g. ``"runs/a/metrics.csv"``.

    Example:
        >>> fit(..., callbacks=[CSVLogger("metrics.csv")])
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.fields = None
        self.rows = []

    def _text(self):
        buf = io.StringIO()
        w = csv.DictWriter(buf, self.fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in self.rows:
            w.writerow(self._format(r))
        return buf.getvalue()

    def on_train_begin(self, state):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        # the checkpoint's history is the truth: rows of epochs it does not cover (a run
        # killed after logging but before checkpointing) are dropped
        self.rows = list(state.history)
        self.fields = list(self.rows[0].keys()) if self.rows else None
        if not self.rows:
            if os.path.exists(self.path) and not state.resumed:
                os.remove(self.path)
            return
        text = self._text()
        try:
            with open(self.path, newline="") as f:
                if f.read() == text:
                    return  # already matches the checkpoint
        except OSError:
            pass
        atomic_write_bytes(self.path, text.encode())

    def _format(self, record):
        return {k: ("" if v is None else repr(v) if isinstance(v, float) else str(v))
                for k, v in record.items() if self.fields is None or k in self.fields}

    def on_epoch_end(self, state, logs):
        if self.fields is None:
            self.fields = list(logs.keys())
        self.rows.append(dict(logs))
        atomic_write_bytes(self.path, self._text().encode())


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
        data = (json.dumps(self.records, indent=1) + "\n").encode()
        try:
            with open(self.path, "rb") as f:
                if f.read() == data:
                    return  # unchanged (e.g. resuming a finished run)
        except OSError:
            pass
        atomic_write_bytes(self.path, data)

    def on_epoch_end(self, state, logs):
        self.records.append({k: _jsonable(v) for k, v in logs.items()})
        self._write()


class TensorBoardLogger(Callback):
    """Write TensorBoard event files (with ``tensorboardX``'s protocol buffers): every
    epoch's metrics as ``loss/train``, ``accuracy/val``, ``lr``, ... (at the global
    step) and the training loss every ``log_every`` steps as ``batch/loss``.

    Events are written synchronously (no background queue) and flushed and fsynced at
    every epoch end, before the checkpoint of that epoch is written, so a checkpointed
    epoch is always in TensorBoard. A resumed run starts a new event file with
    TensorBoard's purge marker at the checkpoint's step + 1: points a killed run
    logged after its last checkpoint are hidden, and each step appears once (a fresh
    run marks step 1, hiding what an attempt killed before its first checkpoint left).
    No event file is created until there is something to write.

    Args:
        logdir (str): the event files' folder (the run directory).
        log_every (int): steps between ``batch/loss`` points.

    Without tensorboardX installed, prints a one-line warning and does nothing.
    """

    order = 50  # after the CSV/JSON logs, before the checkpoint

    def __init__(self, logdir, log_every=50):
        self.logdir = os.fspath(logdir)
        self.log_every = int(log_every)
        self.writer = None
        self._enabled = False
        self._purge_step = None

    def on_train_begin(self, state):
        try:
            _import_tensorboardx()
        except ImportError:
            warn_missing("tensorboardX", "TensorBoard logging")
            self._enabled = False
            return
        self._enabled = True
        # also on a fresh run: points a killed earlier attempt left in this folder (it
        # died before its first checkpoint) are hidden, not mixed with the new ones
        self._purge_step = state.step + 1

    def _events(self):
        """The open event file, created (with the purge marker) on first use."""
        if self.writer is None:
            from tensorboardX.event_file_writer import EventsWriter
            from tensorboardX.proto.event_pb2 import Event, SessionLog
            os.makedirs(self.logdir, exist_ok=True)
            # a sortable, unique suffix: files of one second sort in creation order
            suffix = f".{time.time_ns():020d}.{os.getpid()}"
            self.writer = EventsWriter(os.path.join(self.logdir, "events"), suffix)
            if self._purge_step is not None:
                self.writer.write_event(Event(wall_time=time.time(), step=self._purge_step,
                                              session_log=SessionLog(status=SessionLog.START)))
            _fsync_dir(self.logdir)
        return self.writer

    def _scalar(self, tag, value, step):
        from tensorboardX.proto.event_pb2 import Event
        from tensorboardX.summary import scalar
        self._events().write_event(Event(wall_time=time.time(), step=int(step),
                                         summary=scalar(tag, float(value))))

    def on_batch_end(self, state, logs):
        if self._enabled and state.step % self.log_every == 0:
            self._scalar("batch/loss", logs["loss"], state.step)

    def on_epoch_end(self, state, logs):
        if not self._enabled:
            return
        for key, value in logs.items():
            if key == "epoch" or value is None or not isinstance(value, (int, float)) \
                    or (isinstance(value, float) and not math.isfinite(value)):
                continue
            split, _, metric = key.partition("_")
            tag = f"{metric}/{split}" if metric else key
            self._scalar(tag, value, state.step)
        if self.writer is not None:
            self.writer.flush()  # flush + fsync: on disk before the checkpoint is written

    def on_train_end(self, state):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _import_tensorboardx():
    """``import tensorboardX`` without PyTorch: its package init imports torch when that is
    installed (2 s of CPU, ~100 MB and PyTorch's thread pools in an ember training run) only
    to name a type; the event writer and summaries used here need NumPy and protobuf alone.
    torch is hidden for the import unless something already loaded it (no other thread
    imports during ``on_train_begin``)."""
    import sys
    if "torch" in sys.modules or "tensorboardX" in sys.modules:
        import tensorboardX  # noqa: F401
        return
    sys.modules["torch"] = None     # makes `import torch` raise ImportError
    try:
        import tensorboardX  # noqa: F401,F811
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _records(path):
    """The serialized events of one event file, stopping at a truncated record (the end
    of a file whose writer was killed)."""
    with open(path, "rb") as f:
        raw = f.read()
    pos = 0
    while pos + 12 <= len(raw):
        (n,) = struct.unpack("<Q", raw[pos:pos + 8])
        end = pos + 12 + n + 4
        if end > len(raw):
            return
        yield raw[pos + 12:pos + 12 + n]
        pos = end


def read_scalars(logdir):
    """The scalars TensorBoard shows for ``logdir``: ``{tag: [(step, value), ...]}``.

    Reads every event file in name (creation) order and applies TensorBoard's purge
    rule: a session-start marker at step ``s`` hides the points logged before it at
    steps ``>= s``. Needs tensorboardX (for the protocol buffers), not TensorBoard.

    Example:
        >>> read_scalars("runs/mnist-cnn")["accuracy/test"][-1]
        (790, 0.9725)
    """
    from tensorboardX.proto.event_pb2 import Event, SessionLog
    out = {}
    files = sorted(glob.glob(os.path.join(glob.escape(os.fspath(logdir)), "events.out.tfevents.*")))
    for path in files:
        for data in _records(path):
            ev = Event.FromString(data)
            if ev.HasField("session_log") and ev.session_log.status == SessionLog.START:
                for tag in out:
                    out[tag] = [(s, v) for s, v in out[tag] if s < ev.step]
            elif ev.HasField("summary"):
                for val in ev.summary.value:
                    out.setdefault(val.tag, []).append((ev.step, val.simple_value))
    return out
