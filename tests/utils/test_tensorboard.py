"""ember.utils.tensorboard.SummaryWriter: event files read back with TensorBoard's own reader."""
import glob
import os

import numpy as np
import pytest

import ember
from ember.utils.tensorboard import SummaryWriter

ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                         reason="the tensorboard package (test extra) reads the event files") \
    if os.environ.get("CI") != "true" else \
    __import__("tensorboard.backend.event_processing.event_accumulator", fromlist=["x"])


def _load(path):
    acc = ea.EventAccumulator(str(path), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0,
                                                        ea.IMAGES: 0, ea.TENSORS: 0})
    acc.Reload()
    return acc


def test_scalars_histograms_images_text(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalar("loss/train", ember.tensor(1.0 / (step + 1)), step)
        w.add_scalar("lr", 0.1, 5)
        w.add_histogram("w", ember.randn(100), 1)
        w.add_image("img", ember.rand(3, 8, 6), 0)
        w.add_image("hwc", ember.rand(8, 6, 3), 0, dataformats="HWC")
        w.add_images("batch", ember.rand(4, 1, 5, 5), 0)
        fig = plt.figure()
        plt.plot([1, 2, 3])
        w.add_figure("fig", fig, 0)
        w.add_text("note", "hello **world**", 0)
        w.add_pr_curve("pr", ember.tensor([0, 1, 1, 0]), ember.tensor([0.1, 0.9, 0.6, 0.3]), 0)
        w.add_scalars("run", {"a": 1.0, "b": ember.tensor(2.0)}, 7)
        w.flush()
        assert w.get_logdir() == str(tmp_path)
    acc = _load(tmp_path)
    sc = [(e.step, e.value) for e in acc.Scalars("loss/train")]
    assert [s for s, _ in sc] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in sc], [1.0, 0.5, 1 / 3], rtol=1e-6)
    assert acc.Scalars("lr")[0].step == 5
    h = acc.Histograms("w")[0].histogram_value
    assert h.num == 100
    assert acc.Images("img")[0].height == 8 and acc.Images("img")[0].width == 6
    assert acc.Images("hwc")[0].height == 8
    assert len(acc.Images("batch")) == 1 and len(acc.Images("fig")) == 1
    tags = acc.Tags()
    assert "note/text_summary" in tags["tensors"] and "pr" in tags["tensors"]
    text = acc.Tensors("note/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text == "hello **world**"
    # add_scalars: one sub-folder per curve, as PyTorch's writer does
    sub = _load(tmp_path / "run_b")
    assert sub.Scalars("run")[0].value == 2.0 and sub.Scalars("run")[0].step == 7


def test_hparams_and_embedding(tmp_path):
    w = SummaryWriter(tmp_path)
    w.add_hparams({"lr": 0.01, "opt": "adam", "bs": ember.tensor(32)}, {"hparam/acc": 0.9}, run_name="r1")
    w.add_embedding(ember.randn(10, 4), metadata=list(range(10)), label_img=ember.rand(10, 3, 4, 4),
                    tag="emb")
    w.close()
    run = _load(tmp_path / "r1")
    assert run.Scalars("hparam/acc")[0].value == pytest.approx(0.9)
    assert "_hparams_/experiment" in run.summary_metadata
    assert os.path.exists(tmp_path / "projector_config.pbtxt")
    tsv = glob.glob(str(tmp_path / "**" / "tensors.tsv"), recursive=True)
    vecs = np.loadtxt(tsv[0])
    assert vecs.shape == (10, 4)


def test_errors_and_default_logdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_exp")
    with pytest.raises(ValueError, match="scalar"):
        w.add_scalar("x", ember.ones(3))
    with pytest.raises(ValueError, match="input_to_model"):
        w.add_graph(ember.nn.Linear(2, 2))
    w.close()


def test_add_graph_ops_grouped_by_module(tmp_path):
    import ember.nn as nn
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, ember.randn(2, 1, 4, 4))
    graph = _load(tmp_path).Graph()
    nodes = {n.name: n for n in graph.node}
    assert nodes["0/convolution_0"].op == "aten::convolution"
    assert list(nodes["0/convolution_0"].input) == ["input/input0", "0/weight", "0/bias"]
    assert list(nodes["3/addmm_3"].input) == ["2/view_2", "3/weight", "3/bias"]
    assert list(nodes["output/output.1"].input) == ["3/addmm_3"]
    dims = [d.size for d in nodes["1/relu_1"].attr["_output_shapes"].list.shape[0].dim]
    assert dims == [2, 2, 2, 2]
