"""ember.text.recipes as ``ember train`` entries: wikitext-lstm and charlm on tiny local
data, a few steps each (seconds): their last line, run files, ``--steps``, a resumed run
ending bitwise where an uninterrupted one does, and one clear line for bad input. The
recipe functions themselves (and ``python -m ember.text``) are in test_text.py."""
import json

import numpy as np
import pytest

from ember.cli import main
from ember.recipes import get_recipe, make_config
from ember.text.recipes import run_charlm, run_wikitext_lstm
from ember.train import load_checkpoint

LINES = [" = Title = ", "", " the cat sat on the mat . ", " the dog sat . ", " a <unk> ran , fast . "] * 8


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def wikitext(tmp_path):
    root = tmp_path / "wt"
    root.mkdir()
    for name in ("valid.txt", "test.txt"):
        (root / name).write_text("\n".join(LINES) + "\n")
    return root


@pytest.fixture
def textfile(tmp_path):
    p = tmp_path / "input.txt"
    p.write_text("the cat sat on the mat. " * 40)
    return p


def _weights(run):
    return {k: v.numpy() for k, v in load_checkpoint(run)["model"].items()}


def test_recipes_are_listed(capsys):
    rc, out, _ = cli(capsys, "recipes")
    names = [ln.split()[0] for ln in out.splitlines()]
    assert rc == 0 and {"wikitext-lstm", "charlm"} <= set(names)


def test_wikitext_lstm_cli_and_resume(tmp_path, wikitext, capsys):
    tiny = ["--data-dir", wikitext, "--limit-train", 200, "--limit-test", 60, "-q"]
    rc, out, err = cli(capsys, "train", "wikitext-lstm", "--epochs", 2, *tiny, "--out", tmp_path / "a")
    assert rc == 0, err
    last = out.strip().splitlines()[-1]
    assert last.startswith("test perplexity: ") and np.isfinite(float(last.split()[-1]))
    hist = json.loads((tmp_path / "a" / "history.json").read_text())
    assert hist["train_split"] == "valid" and len(hist["eval_ppl"]) == 2
    # one epoch, then resumed to two: the same weights as the uninterrupted run
    assert cli(capsys, "train", "wikitext-lstm", "--epochs", 1, *tiny, "--out", tmp_path / "b")[0] == 0
    rc, out, err = cli(capsys, "train", "wikitext-lstm", "--epochs", 2, "--resume", tmp_path / "b", "-q")
    assert rc == 0, err
    assert out.strip().splitlines()[-1] == last
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])
    assert load_checkpoint(tmp_path / "b")["meta"]["recipe"] == "wikitext-lstm"


def test_steps_stop_inside_an_epoch_and_resume_exactly(tmp_path, wikitext, capsys):
    # --steps counts optimizer steps over the whole run: stopped inside epoch 2, the run
    # resumes from that chunk (hidden state and random state kept) to the same bits
    tiny = ["--data-dir", wikitext, "--limit-train", 200, "--limit-test", 60, "--batch-size", 2, "-q"]
    assert cli(capsys, "train", "wikitext-lstm", "--epochs", 2, *tiny, "--out", tmp_path / "a")[0] == 0
    rc, out, err = cli(capsys, "train", "wikitext-lstm", "--epochs", 2, *tiny, "--steps", 4,
                       "--out", tmp_path / "b")
    assert rc == 0, err
    hist = json.loads((tmp_path / "b" / "history.json").read_text())
    assert hist["steps"] == 4 and len(hist["eval_ppl"]) == 1      # 3 chunks an epoch
    ck = load_checkpoint(tmp_path / "b")
    assert ck["epoch"] == 1 and ck["states"]["partial"]["row"] == 35
    rc, out, err = cli(capsys, "train", "wikitext-lstm", "--resume", tmp_path / "b")
    assert rc == 0, err
    assert "resumed after epoch 1, step 4" in out
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])


def test_wikitext_lstm_from_python(tmp_path, wikitext):
    cfg = make_config(get_recipe("wikitext-lstm"), data_dir=str(wikitext), epochs=1, emsize=8, nhid=8,
                      nlayers=1, batch_size=2, bptt=4, eval_batch_size=1, lr=1.0, steps=2)
    logs = []
    res = run_wikitext_lstm(cfg, out=str(tmp_path), log=logs.append)
    assert res["steps"] == 2 and res["eval_ppl"] == [] and np.isfinite(res["stopped_ppl"])
    assert "vocabulary" in logs[0] and "stopped after 2 steps" in logs[-1]


def test_charlm_cli(tmp_path, textfile, capsys):
    rc, out, err = cli(capsys, "train", "charlm", "--data-dir", textfile, "--epochs", 1, "--batch-size", 4,
                       "--limit-train", 600, "--out", tmp_path / "c")
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert "--- sample ---" in out and lines[-1].startswith("validation: ") and "bits/char" in lines[-1]
    assert "--- epoch 1 ---" in (tmp_path / "c" / "samples.txt").read_text()
    # a folder holding input.txt is accepted too, from Python, with a cap on the steps
    cfg = make_config(get_recipe("charlm"), data_dir=str(textfile.parent), epochs=1, nhid=8, emsize=4,
                      nlayers=1, batch_size=2, bptt=8, sample_len=10)
    res = run_charlm(cfg, log=lambda *a: None)
    assert len(res["samples"][0]) == 11 and set(res["samples"][0]) <= set("the catsonm.")


def test_bad_input_is_one_line(tmp_path, textfile, capsys):
    for argv, match in ((["charlm", "--out", tmp_path / "x"], "charlm trains on a text file"),
                        (["charlm", "--data-dir", tmp_path / "none.txt"], "does not exist"),
                        (["charlm", "--data-dir", textfile, "--scheduler", "cosine", "--out", tmp_path / "y"],
                         "takes no --scheduler"),
                        (["wikitext-lstm", "--data-dir", textfile], "is a file")):
        rc, out, err = cli(capsys, "train", *argv)
        assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err, (argv, err)
