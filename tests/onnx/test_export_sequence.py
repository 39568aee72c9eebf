"""ONNX export of recurrent and attention models: ember's LSTM/GRU layers become ONNX's
LSTM/GRU ops (PyTorch's gate order rearranged), MultiheadAttention and a Transformer
encoder layer become matmul/softmax graphs; run in onnxruntime at another batch size.

The models are traced at batch size 7, a size no other dimension has: the exporter reads a
traced dimension equal to a dynamic axis's size as that axis."""
import pytest

import ember
import ember.nn as nn

from .test_export import check_export


class _Outputs(nn.Module):
    """``(output, h_n)`` / ``(output, (h_n, c_n))`` as a flat tuple of tensors."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        y, h = self.rnn(x)
        return (y,) + (h if isinstance(h, tuple) else (h,))


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("kw", [dict(num_layers=2, batch_first=True),
                                dict(bidirectional=True),
                                dict(bias=False, batch_first=True)], ids=["2layers", "bidir", "nobias"])
def test_lstm_gru(cls, kw):
    model = _Outputs(cls(4, 5, **kw)).eval()
    n_out = 3 if cls is nn.LSTM else 2
    bf = kw.get("batch_first", False)
    make = (lambda n: ember.randn(n, 6, 4)) if bf else (lambda n: ember.randn(6, n, 4))
    # batch_first only moves the input and output; h_n/c_n keep the batch on axis 1
    if bf:
        model = _BatchFirstStates(model)
    check_export(model, make, traced=7, run=3, n_out=n_out, batch_axis=0 if bf else 1)


class _BatchFirstStates(nn.Module):
    """Puts the states' batch axis first too, so every output has it on axis 0."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        y, *states = self.inner(x)
        return (y,) + tuple(s.permute(1, 0, 2) for s in states)


def test_lstm_with_initial_states():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, batch_first=True)
            self.fc = nn.Linear(4, 2)

        def forward(self, x, h0, c0):
            y, _ = self.lstm(x, (h0.permute(1, 0, 2), c0.permute(1, 0, 2)))
            return self.fc(y[:, -1])
    check_export(M().eval(), lambda n: (ember.randn(n, 5, 3), ember.randn(n, 1, 4), ember.randn(n, 1, 4)),
                 traced=7, run=3)


def _mha():
    if not hasattr(nn, "MultiheadAttention"):
        pytest.skip("nn.MultiheadAttention is not in this tree yet")


def test_multihead_attention():
    _mha()

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x)
    check_export(SelfAttention().eval(), lambda n: ember.randn(n, 3, 8), traced=7, run=3, n_out=2)


def test_transformer_encoder_layer():
    _mha()
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True).eval()
    check_export(layer, lambda n: ember.randn(n, 3, 8), traced=7, run=3)
