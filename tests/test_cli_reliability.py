"""`ember train` under real conditions (issue 17): divergence, bad paths, file modes,
resuming a finished run, --workers. The crash-consistency test is
tests/train/test_crash_consistency.py."""
import os
import stat
import struct
import warnings

import pytest

from ember.cli import main
from ember.recipes import build, get_recipe, make_config
from ember.train import read_scalars

TINY = ["--limit-train", "256", "--limit-test", "100"]


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_diverged_run_is_one_line_exit_1_and_leaves_nothing(tmp_path, capsys):
    out = tmp_path / "runs" / "d"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc, _, err = cli(capsys, "train", "mnist-mlp", "--lr", "1e6", "--epochs", 1,
                         "--limit-train", 640, "--limit-test", 100,
                         "--out", out)
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: error: training diverged: the loss "
                                                   "became nan at epoch 1, step "), err
    assert "try a lower --lr" in lines[0] and "nothing was saved" in lines[0]
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not (tmp_path / "runs").exists()  # no run directory with only an events file


@pytest.mark.parametrize("kind", ["file", "missing"])
def test_data_dir_must_be_an_existing_folder(tmp_path, capsys, kind):
    target = tmp_path / "x"
    if kind == "file":
        target.write_text("not a folder")
    rc, _, err = cli(capsys, "train", "fashion-mlp", "--data-dir", target, "--out",
                     tmp_path / "o")
    assert rc == 2 and err.count("\n") == 1
    assert f"--data-dir {target} " + ("is a file" if kind == "file" else "does not exist") in err
    assert not (tmp_path / "o").exists()


def test_os_errors_say_what_was_being_written(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc, _, err = cli(capsys, "train", "mnist-mlp", *TINY, "--out", blocker / "run")
    assert rc == 2 and "[Errno" not in err
    assert f"cannot create the run directory {blocker / 'run'}: not a directory" in err


def test_workers_flag_is_honoured():
    cfg = make_config(get_recipe("mnist-mlp"), workers=2, limit_train=64, limit_test=10)
    assert build(cfg)["train_loader"].num_workers == 2


def _png_width(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">I", head[16:20])[0]


def test_run_files_modes_finished_resume_and_lr_panel(tmp_path, capsys):
    pytest.importorskip("tensorboardX")
    pytest.importorskip("matplotlib")
    run = tmp_path / "r"
    old = os.umask(0o022)
    try:
        rc, out, _ = cli(capsys, "train", "mnist-mlp", "--epochs", 1, *TINY, "--out", run)
        assert rc == 0 and ", 1 epoch," in out and "1 epochs" not in out
        modes = {n: stat.S_IMODE(os.stat(run / n).st_mode) for n in os.listdir(run)}
        assert set(modes.values()) == {0o644}, modes  # checkpoints were 0600 before
        os.umask(0o077)
        events = sorted(n for n in os.listdir(run) if n.startswith("events"))
        rc, out, _ = cli(capsys, "train", "mnist-mlp", "--resume", run)
        assert rc == 0 and "already finished its 1 epoch;" in out
        # resuming a finished run writes no extra event file and changes no file
        assert sorted(n for n in os.listdir(run) if n.startswith("events")) == events
        assert {n: stat.S_IMODE(os.stat(run / n).st_mode) for n in os.listdir(run)} == modes
        rc, out, _ = cli(capsys, "train", "mnist-mlp", "--resume", run, "--epochs", 2)
        assert rc == 0
        assert stat.S_IMODE(os.stat(run / "checkpoint.safetensors").st_mode) == 0o600  # umask
    finally:
        os.umask(old)
    assert _png_width(run / "curves.png") == 1500  # loss, accuracy and learning-rate panels
    scalars = read_scalars(run)
    assert [s for s, _ in scalars["loss/train"]] == [4, 8] and len(scalars["lr"]) == 2


def test_diverged_message_keeps_an_existing_checkpoint(tmp_path):
    from ember._cli_train import _diverged_message
    from ember.train import TrainingDiverged
    (tmp_path / "checkpoint.safetensors").write_bytes(b"x")
    e = TrainingDiverged(float("inf"), 3, 250, 0.5, 2)
    msg = _diverged_message(e, str(tmp_path), created=[])
    assert msg == (f"training diverged: the loss became inf at epoch 3, step 250 (lr 0.5); the "
                   f"last good checkpoint (2 epochs) is kept in {tmp_path} (--resume continues "
                   "from it); try a lower --lr (e.g. 0.05) in a new run")
    assert (tmp_path / "checkpoint.safetensors").exists()
