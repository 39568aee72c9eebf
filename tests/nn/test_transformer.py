"""Transformer layers, stacks and nn.Transformer against PyTorch (eval mode: dropout
off): same init draws, outputs and every gradient, float64 and float32."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch

TOL = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=2e-5)}


def _np(t):
    return t.detach().numpy()


def _build(lib, name, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's nested-tensor notice
        if name in ("TransformerEncoder", "TransformerDecoder"):
            layer_kw = dict(kw)
            n = layer_kw.pop("num_layers")
            layer = getattr(lib.nn, name + "Layer")(**layer_kw)
            return getattr(lib.nn, name)(layer, n, norm=lib.nn.LayerNorm(kw["d_model"]))
        return getattr(lib.nn, name)(**kw)


CASES = [
    ("TransformerEncoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16), [(5, 3, 8)], {}),
    ("TransformerEncoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=True, activation="gelu",
                                     batch_first=True), [(3, 5, 8)], {}),
    ("TransformerEncoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16), [(5, 3, 8)],
     dict(src_mask="causal5", src_key_padding_mask="kpm")),
    ("TransformerDecoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16), [(4, 3, 8), (5, 3, 8)],
     dict(tgt_mask="causal4")),
    ("TransformerDecoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=True, bias=False),
     [(4, 3, 8), (5, 3, 8)], dict(memory_key_padding_mask="kpm")),
    ("TransformerEncoder", dict(d_model=8, nhead=2, dim_feedforward=16, num_layers=2), [(5, 3, 8)],
     dict(mask="causal5")),
    ("TransformerDecoder", dict(d_model=8, nhead=2, dim_feedforward=16, num_layers=2), [(4, 3, 8), (5, 3, 8)],
     dict(tgt_mask="causal4")),
    ("Transformer", dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16),
     [(5, 3, 8), (4, 3, 8)], dict(tgt_mask="causal4", src_key_padding_mask="kpm")),
    ("Transformer", dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                         batch_first=True, norm_first=True, activation="gelu"), [(3, 5, 8), (3, 4, 8)], {}),
]


def _extra(spec):
    if spec == "kpm":
        m = np.zeros((3, 5), bool)
        m[1, 3:] = True
        return m
    n = int(spec[-1])
    return np.triu(np.full((n, n), -np.inf), 1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kw,shapes,extra", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_transformer_parity(name, kw, shapes, extra, dtype):
    require_torch()
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm, em = _build(torch, name, kw), _build(ember, name, kw)
    assert list(em.state_dict()) == list(tm.state_dict())
    for (n, p), (_, q) in zip(tm.named_parameters(), em.named_parameters()):
        np.testing.assert_array_equal(_np(q), _np(p), err_msg=f"init of {n}")
    tm, em = (tm.double(), em.double()) if dtype == "float64" else (tm, em)
    em.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    tm.eval()
    em.eval()
    npdt = np.float64 if dtype == "float64" else np.float32
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(npdt) for s in shapes]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    masks = {k: _extra(v) for k, v in extra.items()}
    masks = {k: (v.astype(npdt) if v.dtype.kind == "f" else v) for k, v in masks.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = tm(*t_in, **{k: torch.tensor(v) for k, v in masks.items()})
    e_out = em(*e_in, **{k: ember.tensor(v) for k, v in masks.items()})
    tol = TOL[dtype]
    np.testing.assert_allclose(_np(e_out), _np(t_out), **tol)
    g = rng.standard_normal(tuple(t_out.shape)).astype(npdt)
    (t_out * torch.tensor(g)).sum().backward()
    (e_out * ember.tensor(g)).sum().backward()
    for a, b in zip(e_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)
    for (n, p), (_, q) in zip(em.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), err_msg=n, **tol)


def test_square_subsequent_mask_and_errors():
    require_torch()
    m = ember.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(m.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert m.dtype == ember.float32
    model = ember.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(5, 2, 8), ember.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(ember.randn(5, 2, 8), ember.randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ember.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    # a callable activation and train mode (dropout active) run
    layer = ember.nn.TransformerEncoderLayer(8, 2, dim_feedforward=8, activation=ember.nn.functional.silu)
    out = layer(ember.randn(3, 2, 8))
    out.sum().backward()
    assert layer.linear1.weight.grad is not None
