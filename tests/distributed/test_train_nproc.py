"""``ember train --nproc N`` and ``ember run``: data-parallel recipes over MPI."""
import json
import os
import subprocess
import sys

import pytest

from ember.distributed import train as D

from .conftest import PROGRAMS, REPO, mpiexec


def ember_cmd(*args, cwd, timeout=240):
    mpiexec()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for var in ("RANK", "WORLD_SIZE"):
        env.pop(var, None)
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=str(cwd))


@pytest.mark.mpi
def test_train_on_two_ranks_equals_one_process_and_resumes(tmp_path):
    common = ["train", "mnist-mlp", "--epochs", "1", "--limit-train", "256",
              "--limit-test", "100", "-q"]
    results = {}
    for n in (1, 2):
        proc = ember_cmd(*common, "--nproc", str(n), "--out", f"run{n}", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("test accuracy:") == 1, proc.stdout   # rank 0 only
        results[n] = json.loads((tmp_path / f"run{n}" / "metrics.json").read_text())
    rec1, rec2 = results[1][-1], results[2][-1]
    for key in ("test_loss", "train_loss"):     # train metrics: averaged over the ranks
        assert abs(rec1[key] - rec2[key]) < 1e-5, (key, rec1, rec2)
    assert rec1["test_accuracy"] == rec2["test_accuracy"]
    assert rec1["train_accuracy"] == rec2["train_accuracy"]
    # the checkpoint has the plain model's keys: eval and a same-world-size resume work
    ev = ember_cmd("eval", "run2", "-q", cwd=tmp_path)
    assert ev.returncode == 0 and "test accuracy" in ev.stdout, ev.stderr
    res = ember_cmd("train", "--resume", "run2", "--epochs", "2", "--nproc", "2", "-q",
                    cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(json.loads((tmp_path / "run2" / "metrics.json").read_text())) == 2


@pytest.mark.mpi
def test_ember_run_launches_a_script(tmp_path):
    proc = ember_cmd("run", "-n", "2", str(PROGRAMS / "launched.py"), "x", cwd=tmp_path,
                     timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "rank 0 argv ['x']" in proc.stdout and "rank 1 argv ['x']" in proc.stdout


def test_global_order_is_split_like_distributed_sampler():
    order = [5, 3, 8, 1, 0, 9, 2, 7, 6, 4, 11, 10]
    shares = [list(D.GlobalOrderShare(order, r, 2)) for r in range(2)]
    # the union of the ranks' k-th batches of 3 is the k-th global batch of 6
    for k in range(2):
        assert sorted(shares[0][3 * k:3 * k + 3] + shares[1][3 * k:3 * k + 3]) == \
            sorted(order[6 * k:6 * k + 6])
    assert [list(D.GlobalOrderShare([1, 2, 3], r, 2)) for r in range(2)] == [[1, 3], [2, 1]]


def test_launch_drops_nproc_and_pins_the_run_directory(monkeypatch):
    seen = {}
    monkeypatch.setattr(subprocess, "call", lambda cmd: seen.setdefault("cmd", cmd) and 0)
    D.launch(["train", "mlp", "--nproc", "2", "--epochs", "1"], 2, "runs/mlp-3")
    cmd = seen["cmd"]
    assert cmd[1:7] == ["-m", "ember.distributed.run", "-n", "2", "-m", "ember"]
    assert cmd[7:] == ["train", "mlp", "--epochs", "1", "--out", "runs/mlp-3"]


def test_not_launched_means_one_rank(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert D.launched_world_size() == 1 and D.init() == (0, 1)
    run = {"model": None}
    assert D.data_parallel(run, {})["callbacks"] == []
