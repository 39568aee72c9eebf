"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: outputs,
attention weights and all gradients (inputs and parameters), float64 and float32."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import require_torch, torch

TOL = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=1e-5)}


def _np(t):
    return t.detach().numpy()


def _compare(e_fn, t_fn, arrays, dtype, e_params=(), t_params=(), seed=1):
    """Same inputs (float arrays get gradients) through both; compare every output (None
    where PyTorch gives None) and every gradient for a random upstream gradient."""
    npdt = np.float64 if dtype == "float64" else np.float32
    arrays = [a.astype(npdt) if a.dtype.kind == "f" else a for a in arrays]
    e_in = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    e_out, t_out = e_fn(*e_in), t_fn(*t_in)
    e_out = e_out if isinstance(e_out, tuple) else (e_out,)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    tol = TOL[dtype]
    rng = np.random.default_rng(seed)
    e_sum = t_sum = 0
    for a, b in zip(e_out, t_out):
        if b is None:
            assert a is None
            continue
        assert a.dtype == getattr(ember, dtype)
        np.testing.assert_allclose(_np(a), _np(b), **tol)
        g = rng.standard_normal(tuple(b.shape)).astype(npdt)
        e_sum = e_sum + (a * ember.tensor(g)).sum()
        t_sum = t_sum + (b * torch.tensor(g)).sum()
    t_sum.backward()
    e_sum.backward()
    for a, b in zip(list(e_in) + list(e_params), list(t_in) + list(t_params)):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ["plain", "causal", "bool_mask", "float_mask_scale", "gqa"])
def test_sdpa_parity(case, dtype):
    require_torch()
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 6, 4)), rng.standard_normal((2, 3, 6, 2))
    arrays, kw = [q, k, v], {}
    if case == "causal":
        kw = dict(is_causal=True)
    elif case == "bool_mask":
        m = rng.random((5, 6)) > 0.5
        m[1] = False  # a query allowed to attend to nothing: zeros, as in PyTorch
        arrays.append(m)
    elif case == "float_mask_scale":
        arrays.append(rng.standard_normal((3, 5, 6)))
        kw = dict(scale=0.3)
    elif case == "gqa":
        arrays[1:] = [rng.standard_normal((2, 1, 6, 4)), rng.standard_normal((2, 1, 6, 2))]
        kw = dict(enable_gqa=True)
    _compare(lambda *a: F.scaled_dot_product_attention(*a, **kw),
             lambda *a: torch.nn.functional.scaled_dot_product_attention(*a, **kw), arrays, dtype)


def test_sdpa_dropout_and_errors():
    q = ember.randn(2, 5, 4)
    out = F.scaled_dot_product_attention(q, q, ember.ones(2, 5, 3), dropout_p=0.5)
    # dropped weights are zero, kept ones scaled by 2: rows of V=1 sum to 0, 2, 4, ...
    assert not np.allclose(out.numpy(), 1.0)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(5, 5), is_causal=True)
    with pytest.raises(RuntimeError, match="same last dimension"):
        F.scaled_dot_product_attention(q, ember.randn(2, 5, 3), q)


def _mha_pair(kw, dtype):
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm = torch.nn.MultiheadAttention(**kw)
    em = ember.nn.MultiheadAttention(**kw)
    for p, q in zip(tm.parameters(), em.parameters()):  # same draws as PyTorch's init
        np.testing.assert_array_equal(_np(q), _np(p))
    tm, em = (tm.double(), em.double()) if dtype == "float64" else (tm, em)
    em.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    assert list(em.state_dict()) == list(tm.state_dict())
    return em, tm


MHA_CASES = {
    "self": (dict(embed_dim=8, num_heads=2), [(5, 3, 8)], {}),
    "batch_first_cross": (dict(embed_dim=8, num_heads=2, batch_first=True), [(3, 5, 8), (3, 6, 8), (3, 6, 8)], {}),
    "masks": (dict(embed_dim=8, num_heads=2), [(5, 3, 8), (6, 3, 8), (6, 3, 8)], dict(masks=True)),
    "masks_no_weights": (dict(embed_dim=8, num_heads=2), [(5, 3, 8), (6, 3, 8), (6, 3, 8)],
                         dict(masks=True, need_weights=False)),
    "kdim_vdim_bias_kv_zero_attn": (dict(embed_dim=8, num_heads=4, kdim=3, vdim=5, add_bias_kv=True,
                                         add_zero_attn=True, bias=False),
                                    [(5, 3, 8), (6, 3, 3), (6, 3, 5)], dict(average_attn_weights=False)),
    "unbatched": (dict(embed_dim=8, num_heads=2), [(5, 8)], {}),
    "float_3d_mask": (dict(embed_dim=8, num_heads=2), [(5, 3, 8), (6, 3, 8), (6, 3, 8)], dict(float_mask=True)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_parity(case, dtype):
    require_torch()
    kw, shapes, opts = MHA_CASES[case]
    em, tm = _mha_pair(kw, dtype)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    names = []
    if opts.get("masks"):
        kpm = np.zeros((3, 6), bool)
        kpm[0, 4:] = True
        arrays += [kpm, rng.random((5, 6)) > 0.7]
        names = ["key_padding_mask", "attn_mask"]
    if opts.get("float_mask"):
        arrays.append(rng.standard_normal((6, 5, 6)))
        names = ["attn_mask"]
    call_kw = {k: v for k, v in opts.items() if k in ("need_weights", "average_attn_weights")}

    def run(m):
        def f(*xs):
            n = len(shapes)
            q, k, v = (xs[0],) * 3 if n == 1 else xs[:3]
            return m(q, k, v, **dict(zip(names, xs[n:])), **call_kw)
        return f
    _compare(run(em), run(tm), arrays, dtype, list(em.parameters()), list(tm.parameters()))


def test_multihead_attention_module_paths_and_errors():
    assert ember.nn.modules.activation.MultiheadAttention is ember.nn.MultiheadAttention
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        ember.nn.MultiheadAttention(10, 3)
    m = ember.nn.MultiheadAttention(8, 2)
    x = ember.randn(4, 2, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
        m(x, x, x, attn_mask=ember.zeros(3, 3))
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 6"):
        m(ember.randn(4, 2, 6), x, x)
    # dropout on the weights only in training
    m = ember.nn.MultiheadAttention(8, 2, dropout=0.5)
    m.eval()
    a, b = m(x, x, x)[0], m(x, x, x)[0]
    np.testing.assert_array_equal(_np(a), _np(b))
