"""Progress output, curves.png and TensorBoard logs."""
import builtins
import io
import os

import pytest

from ember.train import (CurvePlotter, EpochPrinter, ProgressBar, TensorBoardLogger, fit,
                         format_record, plot_curves)
from ember.train import loggers

from ._common import setup


def test_curves_and_tensorboard(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tensorboardX")
    model, train, val, opt, sched, loss_fn = setup()
    fit(model, train, opt, loss_fn, 2, val_loader=val,
        callbacks=[CurvePlotter(tmp_path / "curves.png", "t"), TensorBoardLogger(tmp_path, 2)])
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events = [n for n in os.listdir(tmp_path) if n.startswith("events.out.tfevents")]
    assert len(events) == 1 and os.path.getsize(tmp_path / events[0]) > 100


def test_tensorboard_does_not_import_torch():
    """tensorboardX's package init imports PyTorch when installed; ember's logger hides it
    for that import (a fresh interpreter: the test session has torch loaded already)."""
    import subprocess
    import sys
    pytest.importorskip("tensorboardX")
    code = ("import sys; from ember.train.loggers import _import_tensorboardx; "
            "_import_tensorboardx(); assert 'tensorboardX' in sys.modules; "
            "print('torch' in sys.modules)")  # neither loaded nor left blocked (None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def test_missing_optional_packages_warn_once(tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_plots(name, *a, **kw):
        if name.startswith(("matplotlib", "tensorboardX")):
            raise ImportError(name)
        return real_import(name, *a, **kw)
    monkeypatch.setattr(builtins, "__import__", no_plots)
    monkeypatch.setattr(loggers, "_warned", set())
    model, train, val, opt, sched, loss_fn = setup()
    fit(model, train, opt, loss_fn, 2,
        callbacks=[CurvePlotter(tmp_path / "c.png"), TensorBoardLogger(tmp_path)])
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("pip install 'ember[train]'" in ln for ln in err)
    assert os.listdir(tmp_path) == []
    assert plot_curves([], tmp_path / "x.png") is False


def test_progress_bar_and_printer():
    pytest.importorskip("tqdm")
    model, train, val, opt, sched, loss_fn = setup()
    bar_out, lines = io.StringIO(), io.StringIO()
    fit(model, train, opt, loss_fn, 1, val_loader=val,
        callbacks=[ProgressBar(enable=True, file=bar_out, mininterval=0), EpochPrinter(lines)])
    assert "samples/s" in bar_out.getvalue() and "loss" in bar_out.getvalue()
    text = lines.getvalue()
    assert text.startswith("epoch 1/1 | train loss ") and "val loss" in text
    assert ProgressBar()._mode() == "log"  # pytest's stdout is not a terminal


def test_progress_lines_when_not_a_terminal():
    # a pipe / batch job / CI log gets plain lines with step, loss, samples/s and ETA
    model, train, val, opt, sched, loss_fn = setup()
    out = io.StringIO()
    fit(model, train, opt, loss_fn, 2, callbacks=[ProgressBar(file=out, log_interval=0)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 * len(train)
    assert lines[0].startswith("epoch 1/2: step 1/6 (17%), loss ")
    assert "samples/s, ETA 0:0" in lines[0] and lines[-1].startswith("epoch 2/2: step 6/6 (100%)")
    quiet = io.StringIO()
    fit(model, train, opt, loss_fn, 1, callbacks=[ProgressBar(enable=False, file=quiet, log_interval=0)])
    assert quiet.getvalue() == ""


def test_format_record():
    rec = {"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.9, "test_loss": 0.25,
           "test_accuracy": float("nan"), "lr": 0.001, "seconds": 1.25}
    assert format_record(rec, 5) == ("epoch 2/5 | train loss 0.5000 acc 90.00% | test loss "
                                     "0.2500 | lr 0.001 | 1.2s")
