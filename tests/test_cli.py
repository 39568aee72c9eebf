"""The ``ember`` command: training artefacts, the final line, resume (also after kill -9),
eval, and one clear line with exit status 2 for bad input."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
from ember.cli import main
from ember.train import load_checkpoint

TINY = ["--limit-train", "256", "--limit-test", "100"]
LAST = re.compile(r"^test accuracy: \d{1,3}\.\d\d%$")


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def bad(capsys, *argv, match):
    rc, out, err = cli(capsys, *argv)
    assert rc == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: error: "), err
    assert re.search(match, lines[0]), lines[0]
    return lines[0]


def model_weights(run_dir):
    return {k: v.numpy() for k, v in load_checkpoint(run_dir)["model"].items()}


def assert_same_weights(a, b):
    wa, wb = model_weights(a), model_weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])


def test_recipes(capsys):
    rc, out, err = cli(capsys, "recipes")
    names = [ln.split()[0] for ln in out.splitlines()]
    assert rc == 0 and names[:5] == ["mnist-mlp", "mnist-cnn", "fashion-mlp", "fashion-cnn",
                                     "cifar10-cnn"]
    assert {"cifar10-resnet18", "transfer", "mnist-vae"} <= set(names)  # the course recipes
    assert "(default)" in out.splitlines()[1]


def test_tiny_run_writes_everything(tmp_path, capsys):
    d = tmp_path / "run"
    rc, out, err = cli(capsys, "train", "mnist-mlp", "--epochs", 2, *TINY, "--out", d)
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert LAST.match(lines[-1]) and lines[0].startswith("ember train mnist-mlp: training")
    assert [ln[:9] for ln in lines[1:3]] == ["epoch 1/2", "epoch 2/2"]
    files = set(os.listdir(d))
    assert {"checkpoint.safetensors", "best.safetensors", "metrics.csv",
            "metrics.json"} <= files
    try:
        import matplotlib  # noqa: F401
        assert "curves.png" in files
    except ImportError:
        pass
    try:
        import tensorboardX  # noqa: F401
        assert any(f.startswith("events.out.tfevents") for f in files)
    except ImportError:
        pass
    recs = json.loads((d / "metrics.json").read_text())
    assert [r["epoch"] for r in recs] == [1, 2]
    assert {"train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr",
            "seconds"} <= set(recs[0])
    assert f"{100 * recs[-1]['test_accuracy']:.2f}%" in lines[-1]
    csv_lines = (d / "metrics.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,train_loss") and len(csv_lines) == 3
    ck = load_checkpoint(d)
    assert ck["meta"]["recipe"] == "mnist-mlp" and ck["meta"]["config"]["epochs"] == 2
    assert set(ck["rng"]) == {"default", "loader"}

    rc, out2, err = cli(capsys, "eval", d)
    assert rc == 0 and out2.strip().splitlines()[-1] == lines[-1]
    assert "test loss:" in out2
    rc, out3, err = cli(capsys, "eval", d / "best.safetensors", "-q")
    assert rc == 0 and LAST.match(out3.strip()) and len(out3.strip().splitlines()) == 1


def test_plain_train_defaults_to_mnist_cnn(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "train", "--epochs", 1, *TINY, "-q")
    assert rc == 0, err
    assert LAST.match(out.strip()) and len(out.strip().splitlines()) == 1
    assert load_checkpoint("runs/mnist-cnn")["meta"]["recipe"] == "mnist-cnn"
    rc, out, err = cli(capsys, "train", "--epochs", 1, *TINY, "-q")
    assert rc == 0 and os.path.isdir("runs/mnist-cnn-2")  # a new run never overwrites


def test_resume_matches_uninterrupted(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli(capsys, "train", "mnist-mlp", "--epochs", 2, *TINY, "--out", a, "-q")[0] == 0
    assert cli(capsys, "train", "mnist-mlp", "--epochs", 1, *TINY, "--out", b, "-q")[0] == 0
    rc, out, err = cli(capsys, "train", "mnist-mlp", "--epochs", 2, "--out", b, "--resume")
    assert rc == 0, err
    assert "resuming" in out and "epoch 1/2" not in out and "epoch 2/2" in out
    assert_same_weights(a, b)
    assert [r["epoch"] for r in json.loads((b / "metrics.json").read_text())] == [1, 2]
    assert len((b / "metrics.csv").read_text().splitlines()) == 3


def test_steps_pause_and_resume_matches_uninterrupted(tmp_path, capsys):
    # 4 batches an epoch: --steps 3 stops inside epoch 1 (saved there), --steps 6 inside
    # epoch 2, then the rest; the per-batch onecycle schedule continues where it was
    a, b = tmp_path / "a", tmp_path / "b"
    run = ["train", "mnist-mlp", "--epochs", 2, *TINY, "--scheduler", "onecycle"]
    assert cli(capsys, *run, "--out", a, "-q")[0] == 0
    rc, out, err = cli(capsys, *run, "--out", b, "--steps", 3)
    assert rc == 0 and "stopped after 3 steps (--steps)" in out and "epoch 1/2" not in out
    assert LAST.match(out.strip().splitlines()[-1])  # the model as it is after 3 steps
    assert load_checkpoint(b)["step"] == 3
    rc, out, err = cli(capsys, "train", "--resume", b, "--steps", 6)
    assert rc == 0 and "epoch 1/2" in out and "epoch 2/2" not in out
    assert cli(capsys, "train", "--resume", b, "-q")[0] == 0
    assert_same_weights(a, b)
    ra, rb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in ra] == [
        {k: v for k, v in r.items() if k != "seconds"} for r in rb]


@pytest.mark.parametrize("argv, match", [
    (["train", "nope"], r"unknown recipe 'nope'.*mnist-cnn"),
    (["train", "mnist-mlpp"], r"did you mean 'mnist-mlp'"),
    (["train", "--bogus"], r"unrecognized arguments: --bogus"),
    (["train", "--epochs", "0"], r"--epochs: expected a positive integer"),
    (["train", "--lr", "abc"], r"--lr: expected a positive finite number"),
    (["train", "--lr", "inf"], r"--lr: expected a positive finite number, got .inf."),
    (["train", "--lr", "nan"], r"--lr: expected a positive finite number"),
    (["train", "--optimizer", "sgdx"], r"invalid choice: 'sgdx'"),
    (["frobnicate"], r"invalid choice"),
    ([], r"missing command"),
    (["eval"], r"required: RUN_DIR_OR_CHECKPOINT"),
    (["eval", "no/such/dir"], r"no checkpoint at no/such/dir"),
])
def test_bad_arguments(capsys, argv, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad(capsys, *argv, match=match)
    assert os.listdir(tmp_path) == []


def test_run_dir_conflicts_and_wrong_recipe(tmp_path, capsys):
    d = tmp_path / "r"
    assert cli(capsys, "train", "mnist-mlp", "--epochs", 1, *TINY, "--out", d, "-q")[0] == 0
    before = {n: (d / n).read_bytes() for n in os.listdir(d)}
    bad(capsys, "train", "mnist-mlp", "--out", d, match="already holds a training run.*--resume")
    bad(capsys, "train", "mnist-cnn", "--out", d, "--resume",
        match=r"recipe 'mnist-mlp', not 'mnist-cnn' \(a different model\)")
    bad(capsys, "train", "mnist-mlp", "--out", d, "--resume", "--lr", "0.5",
        match="keeps its settings")
    bad(capsys, "train", "mnist-mlp", "--resume", tmp_path / "none",
        match="nothing to resume")
    assert {n: (d / n).read_bytes() for n in os.listdir(d)} == before


def test_damaged_checkpoints(tmp_path, capsys):
    d = tmp_path / "r"
    assert cli(capsys, "train", "mnist-mlp", "--epochs", 1, *TINY, "--out", d, "-q")[0] == 0
    ck = d / "checkpoint.safetensors"
    good = ck.read_bytes()
    ck.write_bytes(good[:len(good) // 2])
    names = sorted(os.listdir(d))
    bad(capsys, "train", "mnist-mlp", "--epochs", 2, "--out", d, "--resume",
        match=r"checkpoint\.safetensors: truncated")
    assert sorted(os.listdir(d)) == names and len(ck.read_bytes()) == len(good) // 2
    flipped = bytearray(good)
    flipped[-3] ^= 0xFF
    ck.write_bytes(bytes(flipped))
    bad(capsys, "eval", d, match="checksum mismatch")
    # a checkpoint whose recipe says mnist-cnn but holds an MLP: a different model
    obj = ember.load(d / "best.safetensors")
    obj["meta"]["recipe"] = obj["meta"]["config"]["recipe"] = "mnist-cnn"
    ember.save(obj, d / "other.safetensors")
    bad(capsys, "eval", d / "other.safetensors", match="written for a different model")


def test_missing_and_corrupt_data(tmp_path, capsys, monkeypatch):
    from ember.vision.datasets import FashionMNIST
    monkeypatch.setattr(FashionMNIST, "system_folders", [])
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    out = tmp_path / "out"
    (tmp_path / "data").mkdir()
    err = bad(capsys, "train", "fashion-mlp", "--data-dir", tmp_path / "data", "--out", out,
              match=r"127\.0\.0\.1")
    assert "t10k-labels-idx1-ubyte.gz" in err and "dataset-fashion-mnist" in err
    assert os.listdir(tmp_path / "data") == []  # no empty FashionMNIST/raw left
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"\x00\x00\x08\x03garbage")
    bad(capsys, "train", "fashion-mlp", "--data-dir", tmp_path / "data", "--out", out,
        match="train-images-idx3-ubyte")
    assert not out.exists()


def write_cifar(root, n_train=4, n_test=6):
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for name, n in [(f"data_batch_{i}.bin", n_train) for i in range(1, 6)] + \
            [("test_batch.bin", n_test)]:
        rec = np.concatenate([rng.integers(0, 10, (n, 1)),
                              rng.integers(0, 256, (n, 3072))], axis=1).astype(np.uint8)
        (folder / name).write_bytes(rec.tobytes())


def test_cifar10_cnn_on_synthetic_files(tmp_path, capsys):
    write_cifar(tmp_path / "data")
    rc, out, err = cli(capsys, "train", "cifar10-cnn", "--data-dir", tmp_path / "data",
                       "--epochs", 1, "--batch-size", 10, "--workers", 1,
                       "--out", tmp_path / "run")
    assert rc == 0, err
    assert "(20 train / 6 test)" in out and LAST.match(out.strip().splitlines()[-1])
    # a truncated data file: one line, exit 2
    f = tmp_path / "data" / "cifar-10-batches-bin" / "test_batch.bin"
    f.write_bytes(f.read_bytes()[:-7])
    bad(capsys, "train", "cifar10-cnn", "--data-dir", tmp_path / "data", "--out",
        tmp_path / "run2", match="truncated")
    assert not (tmp_path / "run2").exists()


def test_threads_flag_sets_ember_threads_and_keeps_results(tmp_path, capsys, monkeypatch):
    import ember.threads
    monkeypatch.setattr(ember.threads, "_requested", ember.threads._requested)  # restored after
    runs = {}
    for n in (1, 2):
        runs[n] = tmp_path / f"t{n}"
        rc, out, err = cli(capsys, "train", "mnist-mlp", "--epochs", 1, "--limit-train", 256,
                           "--limit-test", 32, "--threads", n,
                           "--out", runs[n], "-q")
        assert rc == 0, err
        assert ember.get_num_threads() == n
    assert_same_weights(runs[1], runs[2])  # the thread count never changes the numbers
    bad(capsys, "train", "--threads", "0", match=r"--threads: expected a positive integer")


def test_bench_delegates(monkeypatch, capsys):
    import ember.cli as C
    calls = []
    monkeypatch.setattr(C.subprocess, "call", lambda cmd, cwd: calls.append(cmd) or 0)
    monkeypatch.setattr(C.os.path, "isfile", lambda p: p.endswith("__main__.py"))
    assert main(["bench", "--quick", "conv"]) == 0
    assert calls[0][1:] == ["-m", "benchmarks", "--quick", "conv"]
    monkeypatch.setattr(C.os.path, "isfile", lambda p: False)
    bad(capsys, "bench", match="source checkout")


def test_sigkill_mid_epoch_then_resume(tmp_path, capsys):
    args = ["train", "mnist-mlp", "--epochs", "3", "--batch-size", "4", "--limit-train",
            "2000", "--limit-test", "100", "-q"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "ember", *args, "--out", str(killed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 300
        metrics = killed / "metrics.json"
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.time() < deadline
            if metrics.exists() and (killed / "checkpoint.safetensors").exists():
                recs = json.loads(metrics.read_text())
                if recs:
                    break
            time.sleep(0.01)
        time.sleep(0.05)  # into epoch 2 (an epoch takes about a second or more)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert load_checkpoint(killed)["epoch"] in (1, 2)  # killed mid-epoch 2 (or 3)
    rc, out, err = cli(capsys, "train", "mnist-mlp", "--out", killed, "--resume", "-q")
    assert rc == 0, err
    assert cli(capsys, *args, "--out", tmp_path / "straight")[0] == 0
    assert_same_weights(killed, tmp_path / "straight")
    assert [r["epoch"] for r in json.loads((killed / "metrics.json").read_text())] == [1, 2, 3]
    assert not [n for n in os.listdir(killed) if n.endswith(".tmp")]
