"""The child process of the crash-consistency test: a short seeded run that kills
itself with SIGKILL at one chosen moment (or is killed from outside).

    python -m tests.train._crash_child RUN_DIR [SPEC]

SPEC: ``step:N`` (after optimizer step N), ``ckpt_tmp:E`` (checkpoint of epoch E
written to its temporary file, not yet renamed), ``ckpt_renamed:E`` (just after the
rename, before the folder fsync), ``csv_tmp:E`` (metrics.csv of epoch E before its
rename), ``events_partial:E`` (half of an epoch-E event record written),
``events_unflushed:E`` (epoch-E events written but not flushed). Without SPEC the run
completes. It resumes from RUN_DIR's checkpoint when there is one.
"""
import os
import signal
import struct
import sys
import time

sys.modules["torch"] = None  # tensorboardX imports torch when present: 1.5 s per child

import ember  # noqa: E402
from ember.train import (CSVLogger, CheckpointCallback, JSONLogger, LambdaCallback,  # noqa: E402
                         TensorBoardLogger, fit)
from ember.train.checkpoint import CHECKPOINT_NAME  # noqa: E402

from tests.train._common import setup  # noqa: E402

EPOCHS = 4
NOW = {"epoch": 0, "logging_epoch": False}


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def install(spec):
    kind, _, arg = spec.partition(":")
    n = int(arg)
    if kind in ("ckpt_tmp", "ckpt_renamed", "csv_tmp"):
        real_replace = os.replace
        target = "metrics.csv" if kind == "csv_tmp" else CHECKPOINT_NAME

        def replace(src, dst, *a, **kw):
            hit = os.path.basename(dst) == target and NOW["epoch"] == n
            if hit and kind != "ckpt_renamed":
                die()
            real_replace(src, dst, *a, **kw)
            if hit:
                die()
        os.replace = replace
    elif kind.startswith("events_"):
        from tensorboardX import record_writer
        real_write, real_flush = record_writer.RecordWriter.write, record_writer.RecordWriter.flush
        count = {"n": 0}

        def write(self, data):
            if kind == "events_partial" and NOW["logging_epoch"] and NOW["epoch"] == n:
                count["n"] += 1
                if count["n"] == 2:  # the second scalar of the epoch, half written
                    header = struct.pack("<Q", len(data))
                    crc = struct.pack("<I", record_writer.masked_crc32c(header))
                    self._writer.write(header + crc + data[: len(data) // 2])
                    self._writer.flush()
                    die()
            real_write(self, data)

        def flush(self):
            if kind == "events_unflushed" and NOW["logging_epoch"] and NOW["epoch"] == n:
                die()
            real_flush(self)
        record_writer.RecordWriter.write, record_writer.RecordWriter.flush = write, flush
    elif kind != "step":
        raise SystemExit(f"unknown spec {spec}")
    return kind, n


def main():
    run_dir = sys.argv[1]
    kind, n = install(sys.argv[2]) if len(sys.argv) > 2 else (None, None)
    model, train, val, opt, sched, loss_fn = setup()

    def on_batch_end(state, logs):
        time.sleep(0.01)  # stretch the run so that kills at random times land inside it
        if kind == "step" and state.step == n:
            die()

    def on_epoch_end(state, logs):  # runs first at each epoch end (order -1)
        NOW["epoch"], NOW["logging_epoch"] = state.epoch, True

    def on_epoch_begin(state):
        NOW["logging_epoch"] = False

    tracker = LambdaCallback(on_batch_end=on_batch_end, on_epoch_end=on_epoch_end,
                             on_epoch_begin=on_epoch_begin)
    tracker.order = -1
    resume = run_dir if os.path.isfile(os.path.join(run_dir, CHECKPOINT_NAME)) else None
    print("started", flush=True)
    fit(model, train, opt, loss_fn, EPOCHS, val_loader=val, scheduler=sched, resume=resume,
        callbacks=[tracker, CSVLogger(os.path.join(run_dir, "metrics.csv")),
                   JSONLogger(os.path.join(run_dir, "metrics.json")),
                   TensorBoardLogger(run_dir, log_every=1), CheckpointCallback(run_dir)])
    print("finished", flush=True)


if __name__ == "__main__":
    main()
