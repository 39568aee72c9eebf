"""ember.onnx.export: every exported model passes onnx.checker and, run in onnxruntime on a
batch of another size than the traced one, equals ember's outputs (1e-4)."""
import io
import os

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember._tracer import _flatten

if os.environ.get("CI") == "true":   # the test extra installs both: never skip in CI
    import onnx
    import onnxruntime as ort
else:
    onnx = pytest.importorskip("onnx", reason="pip install 'ember[onnx]'")
    ort = pytest.importorskip("onnxruntime", reason="pip install 'ember[onnx]'")


def _run(proto, feeds):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def check_export(model, make_inputs, traced=2, run=5, opset=None, atol=1e-4, dynamic=True, n_out=1,
                 batch_axis=0):
    """Export ``model`` traced on ``make_inputs(traced)``, run it on ``make_inputs(run)``
    in onnxruntime and compare with ember's outputs (``n_out`` outputs, all with the batch
    on ``batch_axis``)."""
    ins = make_inputs(traced)
    ins = ins if isinstance(ins, tuple) else (ins,)
    names = [f"in{i}" for i in range(len(ins))]
    outs = [f"out{i}" for i in range(n_out)]
    axes = {n: {batch_axis: "batch"} for n in names + outs} if dynamic else None
    buf = io.BytesIO()
    proto = ember.onnx.export(model, ins, buf, input_names=names, output_names=outs,
                              dynamic_axes=axes, opset_version=opset)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    new = make_inputs(run if dynamic else traced)
    new = new if isinstance(new, tuple) else (new,)
    got = _run(proto, {n: t.numpy() for n, t in zip(names, new)})
    if hasattr(model, "eval"):
        model.eval()
    with ember.no_grad():
        want = _flatten(model(*new))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape)
        np.testing.assert_allclose(g, w.numpy(), atol=atol, rtol=1e-4)
    return proto


def _images(c=3, h=8, w=8):
    return lambda n: ember.randn(n, c, h, w)


@pytest.mark.parametrize("act", [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.GELU("tanh"),
                                 nn.ELU(0.5), nn.SELU(), nn.CELU(1.0), nn.LeakyReLU(0.1), nn.SiLU(),
                                 nn.Softplus(2.0), nn.ReLU6(), nn.Hardtanh(-0.5, 0.5), nn.Hardswish(),
                                 nn.Hardsigmoid(), nn.PReLU(), nn.Mish(), nn.LogSigmoid(),
                                 nn.Softsign(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1)],
                         ids=lambda m: type(m).__name__)
def test_activations(act):
    model = nn.Sequential(nn.Linear(6, 5), act, nn.Linear(5, 3))
    check_export(model, lambda n: ember.randn(n, 6) * 3)


def test_linear_on_3d_input_and_dropout_eval():
    model = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5), nn.ReLU(), nn.Linear(6, 2, bias=False))
    check_export(model, lambda n: ember.randn(n, 3, 4))


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv1d(3, 4, 3, stride=2, padding=1), (3, 9)),
    (nn.Conv2d(3, 4, 3, padding=1, groups=1, dilation=1), (3, 8, 8)),
    (nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False), (4, 7, 7)),
    (nn.Conv3d(2, 3, 2, stride=(1, 2, 2)), (2, 4, 6, 6)),
    (nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (3, 5, 5)),
    (nn.ConvTranspose2d(3, 2, 2, stride=2), (3, 4, 4)),
    (nn.BatchNorm1d(3), (3,)),
    (nn.BatchNorm2d(3), (3, 5, 5)),
    (nn.BatchNorm2d(3, affine=False), (3, 5, 5)),
    (nn.MaxPool2d(2), (3, 8, 8)),
    (nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (3, 8, 8)),
    (nn.MaxPool1d(2), (3, 8)),
    (nn.AvgPool2d(2), (3, 8, 8)),
    (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (3, 7, 7)),
    (nn.AvgPool2d(3, stride=2, padding=1), (3, 7, 7)),
    (nn.AdaptiveAvgPool2d(1), (3, 6, 6)),
    (nn.AdaptiveAvgPool2d((2, 3)), (3, 6, 6)),
    (nn.AdaptiveAvgPool2d(3), (3, 7, 5)),
    (nn.Flatten(), (3, 4, 4)),
    (nn.LayerNorm(6), (4, 6)),
    (nn.LayerNorm([4, 6]), (4, 6)),
    (nn.GroupNorm(2, 4), (4, 3, 3)),
    (nn.InstanceNorm2d(3, affine=True), (3, 4, 4)),
    (nn.ConvTranspose1d(3, 2, 3, stride=2), (3, 5)),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else None)
def test_layers(layer, shape):
    if any(isinstance(layer, c) for c in (nn.BatchNorm1d, nn.BatchNorm2d)):
        layer.train()
        with ember.no_grad():   # non-trivial running statistics
            layer(ember.randn(8, *shape) * 2 + 1)
    check_export(layer.eval(), lambda n: ember.randn(n, *shape))


class _Ops(nn.Module):
    """view/permute/cat/indexing/elementwise/matmul/softmax/reductions in one forward."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 6)
        self.w = nn.Parameter(ember.randn(6, 4))

    def forward(self, x):
        b = x.size(0)
        h = x.view(b, -1)                                   # (B, 12)
        h = self.fc(h[:, :12] * 0.5 - 1.0)                  # (B, 6)
        p = h.permute(1, 0).t()                             # back to (B, 6)
        q = ember.cat([p, h.exp() / 3.0, 2.0 - h, 1.0 / (h.abs() + 1)], dim=1)  # (B, 24)
        r = q.reshape(b, 4, 6).transpose(1, 2)              # (B, 6, 4)
        s = (r * r).sum(dim=1) + r.mean(dim=2, keepdim=True).squeeze(2)[:, :4]   # (B, 4)
        t = F.softmax(h @ self.w, dim=1) + F.log_softmax(s, dim=-1) + h.abs().sqrt()[:, None, 0, None][:, :, 0]
        return t.pow(2) + t.clamp(-1, 1) + ember.maximum(t, s) + x[..., 0].flatten(1).max()


def test_shape_and_elementwise_ops():
    model = _Ops()
    try:
        check_export(model, lambda n: ember.randn(n, 3, 4).abs())
    except ember.onnx.UnsupportedOperatorError as e:  # report which op, then keep the rest
        pytest.fail(str(e))


def test_embedding_and_int_inputs():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.fc = nn.Linear(4, 2)

        def forward(self, idx):
            return self.fc(self.emb(idx).mean(1))
    check_export(M(), lambda n: ember.randint(0, 10, (n, 5)))


def test_batch_sized_constant_rebuilt_at_run_time():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)

        def forward(self, x):
            h0 = ember.zeros(x.size(0), 4)      # depends on the batch size
            return self.fc(x) + h0 + ember.ones(x.size(0), 1)
    check_export(M(), lambda n: ember.randn(n, 3))


@pytest.mark.parametrize("opset", [13, 17, 18, 20])
def test_opsets(opset):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.GELU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 3))
    proto = check_export(model.eval(), _images(), opset=opset)
    assert proto.opset_import[0].version == opset


def test_static_shapes_without_dynamic_axes():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    proto = check_export(model, lambda n: ember.randn(n, 3, 4), dynamic=False)
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [2, 3, 4]


@pytest.mark.parametrize("name", ["MLP", "MnistCNN", "FashionCNN", "Cifar10CNN"])
def test_recipe_models(name):
    model = getattr(ember.models, name)()
    shape = (3, 32, 32) if name == "Cifar10CNN" else (1, 28, 28)
    make = (lambda n: ember.randn(n, 784)) if name == "MLP" else (lambda n: ember.randn(n, *shape))
    check_export(model.eval(), make, traced=2, run=3)


def test_resnet_torchvision_named():
    # torchvision's ResNet class with resnet18's blocks, one per stage (building all of
    # resnet18's 11M parameters takes seconds): in-place ReLU, ``out += identity``,
    # downsampling shortcuts, max pooling, adaptive average pooling, flatten
    from ember.vision.models.resnet import BasicBlock, ResNet
    model = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10).eval()
    proto = check_export(model, lambda n: ember.randn(n, 3, 16, 16), traced=1, run=2, atol=2e-4)
    inits = {i.name for i in proto.graph.initializer}
    assert {"conv1.weight", "layer1.0.bn1.running_mean", "fc.bias"} <= inits


def test_training_mode_restored_and_file_written(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    path = tmp_path / "m.onnx"
    ember.onnx.export(model, ember.randn(2, 3), str(path))
    assert model.training and path.stat().st_size > 0
    loaded = onnx.load(str(path))
    assert [i.name for i in loaded.graph.input] == ["input0"]
    assert [o.name for o in loaded.graph.output] == ["output"]


def test_unsupported_op_is_named():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(x).cumsum(1)
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match=r"CumsumBackward0.*CumSum.*opset version 17"):
        ember.onnx.export(M(), ember.randn(2, 3), None)
    assert "Linear" in ember.onnx.supported_ops()


class _Reductions(nn.Module):
    def forward(self, x):
        v, i = x.max(dim=2)
        lo = x.min(dim=2, keepdim=True).values.squeeze(2)
        up = F.interpolate(x.unsqueeze(1), scale_factor=2, mode="nearest").mean((1, 3))[:, :3]
        return (v + lo + x.norm(dim=2) + F.normalize(x, dim=-1).sum(-1) + x.var(-1) + x.std(-1, correction=0)
                + x.logsumexp(-1) + (x.abs() + 0.5).prod(-1) + up + ember.bmm(x, x.transpose(1, 2)).sum(-1), i)


@pytest.mark.parametrize("opset", [13, 18])
def test_more_reductions_and_upsampling(opset):
    check_export(_Reductions(), lambda n: ember.randn(n, 3, 4), traced=7, run=3, n_out=2, opset=opset)


def test_where_on_an_untraced_comparison_is_refused():
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="condition"):
        ember.onnx.export(lambda x: ember.where(x > 0, x, x * 0.1), ember.randn(2, 3), None)


def test_untraced_output_warns():
    with pytest.warns(UserWarning, match="computed outside ember's ops"):
        ember.onnx.export(lambda x: (x * 2, x.argmax(1)), ember.randn(2, 3), None)
