"""Crash consistency: a short run killed with SIGKILL at 10 moments (mid-batch, while
the checkpoint is written, while TensorBoard events and metrics.csv are written, and at
random times), resumed after each kill, ends bitwise equal to an uninterrupted run:
same weights, same metrics.csv/metrics.json rows (each epoch once) and the same
TensorBoard scalars (each step once, after TensorBoard's purge-on-resume).

Marked ``crash`` (about 10-20 s: a dozen child processes). Run it alone with
``pytest -m crash``, or leave it out of a quick run with ``-m "not crash"``.
"""
import csv
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ember.train import load_checkpoint, read_scalars

pytest.importorskip("tensorboardX")
pytestmark = pytest.mark.crash

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# each kill happens at or after where the previous resume restarts (see _crash_child)
SPECS = ["step:3", "events_partial:1", "ckpt_tmp:1", "random", "csv_tmp:2",
         "ckpt_renamed:2", "events_unflushed:3", "random", "step:21", "random"]


def run_child(run_dir, spec=None, delay=None):
    """Run the child to completion or death; returns its exit status (-9: killed)."""
    cmd = [sys.executable, "-m", "tests.train._crash_child", str(run_dir)]
    if spec and spec != "random":
        cmd.append(spec)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    if delay is not None:
        assert proc.stdout.readline().strip() == "started"  # training is about to begin
        time.sleep(delay)
        try:
            proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:  # it finished first
            pass
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, -signal.SIGKILL), err
    return proc.returncode


def rows(path, drop="seconds"):
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != drop} for r in csv.DictReader(f)]


def json_rows(path):
    with open(path) as f:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in json.load(f)]


def test_kill_9_and_resume_gives_the_uninterrupted_run(tmp_path):
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert run_child(ref) == 0
    rng = random.Random(17)
    killed = 0
    for spec in SPECS:
        status = run_child(run, spec, delay=rng.uniform(0.0, 0.1) if spec == "random" else None)
        if spec != "random":
            assert status == -signal.SIGKILL, f"{spec} did not fire"
        killed += status == -signal.SIGKILL
    assert killed >= 8
    assert run_child(run) == 0  # the final resume finishes the run

    a, b = load_checkpoint(ref), load_checkpoint(run)
    assert a["epoch"] == b["epoch"] == 4 and a["step"] == b["step"]
    for key in a["model"]:  # bitwise equal weights
        assert a["model"][key].numpy().tobytes() == b["model"][key].numpy().tobytes(), key
    best_a, best_b = load_checkpoint(ref / "best.safetensors"), load_checkpoint(run / "best.safetensors")
    assert best_a["epoch"] == best_b["epoch"]
    for key in best_a["model"]:
        assert np.array_equal(best_a["model"][key].numpy(), best_b["model"][key].numpy())

    assert rows(ref / "metrics.csv") == rows(run / "metrics.csv")
    assert [r["epoch"] for r in rows(run / "metrics.csv")] == ["1", "2", "3", "4"]
    assert json_rows(ref / "metrics.json") == json_rows(run / "metrics.json")

    sa, sb = read_scalars(ref), read_scalars(run)
    sa.pop("seconds"), sb.pop("seconds")
    assert sa == sb  # every epoch and batch point, once, with the same values
    assert [s for s, _ in sb["loss/train"]] == [6, 12, 18, 24]
    assert [s for s, _ in sb["batch/loss"]] == list(range(1, 25))
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]  # no temp files left
    assert len([n for n in os.listdir(run) if n.startswith("events.out")]) > 1  # it resumed
