"""Embedding against PyTorch: lookup, weight gradient (repeated indices), padding_idx,
max_norm, scale_grad_by_freq, from_pretrained; one_hot; errors."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import torch, require_torch
from tests.nn._nn_common import close, compare_module, load_torch_state, to_np

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 2, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("shape", [(4, 7), (30,), (2, 3, 5)])
def test_embedding_matches_torch(kwargs, dtype, shape):
    require_torch()
    e, t = nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs)
    assert repr(e) == repr(t)
    idx = RNG.integers(0, 10, shape)
    idx.flat[:3] = [0, 2, 9]
    compare_module(e, t, [idx], dtype)


def test_embedding_large_vocab_and_many_repeats_paths():
    """Both scatter-add paths (one-hot GEMM for small vocabularies, sort + reduceat)."""
    require_torch()
    for vocab, n in [(5, 2000), (3000, 500), (300, 100)]:
        e, t = nn.Embedding(vocab, 3), torch.nn.Embedding(vocab, 3)
        compare_module(e, t, [RNG.integers(0, vocab, (n,))], np.float64, modes=("train",))


def test_padding_idx_row_initialised_to_zero_and_gets_no_grad():
    m = nn.Embedding(5, 3, padding_idx=1)
    assert not np.any(to_np(m.weight)[1])
    m(ember.tensor([1, 1, 2])).sum().backward()
    g = to_np(m.weight.grad)
    assert not np.any(g[1]) and np.all(g[2] == 1)


def test_max_norm_renormalises_rows_in_place_like_torch():
    require_torch()
    e, t = nn.Embedding(6, 4, max_norm=1.0), torch.nn.Embedding(6, 4, max_norm=1.0)
    with torch.no_grad():
        t.weight.mul_(3)
    e.double()
    t.double()
    load_torch_state(e, t)
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    ey, ty = e(ember.tensor(idx)), t(torch.tensor(idx))
    close(ey, ty, np.float64, "output")
    close(e.weight, t.weight, np.float64, "renormalised weight")
    norms = np.linalg.norm(to_np(e.weight), axis=1)
    assert np.all(norms[[0, 1, 2, 5]] <= 1.0 + 1e-12) and np.all(norms[[3, 4]] > 1.0)
    e2, t2 = nn.Embedding(6, 4, max_norm=0.5, norm_type=1.0), \
        torch.nn.Embedding(6, 4, max_norm=0.5, norm_type=1.0)
    e2.double()
    t2.double()
    load_torch_state(e2, t2)
    close(e2(ember.tensor(idx)), t2(torch.tensor(idx)), np.float64, "norm_type=1")
    assert repr(e2) == repr(t2)


def test_from_pretrained():
    require_torch()
    w = RNG.standard_normal((4, 3))
    e = nn.Embedding.from_pretrained(ember.tensor(w))
    t = torch.nn.Embedding.from_pretrained(torch.tensor(w))
    assert not e.weight.requires_grad
    assert repr(e) == repr(t)
    close(e(ember.tensor([3, 0])), t(torch.tensor([3, 0])), np.float64, "pretrained")
    e = nn.Embedding.from_pretrained(ember.tensor(w), freeze=False, padding_idx=0)
    assert e.weight.requires_grad and np.any(to_np(e.weight)[0])  # kept as given
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(ember.zeros(3))


def test_embedding_gradcheck_and_double_backward():
    w = ember.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    idx = ember.tensor([[0, 4, 4], [2, 0, 1]])
    assert ember.autograd.gradcheck(lambda t: F.embedding(idx, t), (w,))
    # (padding_idx / scale_grad_by_freq change the gradient on purpose: compared with
    # PyTorch in test_embedding_matches_torch instead)
    # the weight gradient is itself differentiable with respect to the upstream grad
    g = ember.tensor(RNG.standard_normal((2, 3, 3)), requires_grad=True)
    (gw,) = ember.autograd.grad(F.embedding(idx, w), w, g, create_graph=True)
    (gw * gw).sum().backward()
    require_torch()
    tw = torch.tensor(to_np(w), requires_grad=True)
    tg = torch.tensor(to_np(g), requires_grad=True)
    (tgw,) = torch.autograd.grad(torch.nn.functional.embedding(torch.tensor(to_np(idx)), tw),
                                 tw, tg, create_graph=True)
    (tgw * tgw).sum().backward()
    close(g.grad, tg.grad, np.float64, "double backward")


def test_embedding_errors():
    m = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="embedding: index 5 is out of range"):
        m(ember.tensor([1, 5]))
    with pytest.raises(IndexError, match="index -1"):
        m(ember.tensor([-1]))
    with pytest.raises(TypeError, match="integer dtype"):
        m(ember.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(AssertionError):
        nn.Embedding(5, 2, padding_idx=5)


def test_one_hot():
    require_torch()
    idx = np.array([[0, 2], [1, 3]])
    close(F.one_hot(ember.tensor(idx)), torch.nn.functional.one_hot(torch.tensor(idx)),
          np.float64, "one_hot")
    y = F.one_hot(ember.tensor([1]), num_classes=4)
    assert y.dtype == ember.int64 and y.tolist() == [[0, 1, 0, 0]]
    with pytest.raises(RuntimeError, match="one_hot"):
        F.one_hot(ember.tensor([4]), 3)


def test_check_op_embedding():
    from tests.helpers import check_op

    idx = np.array([[0, 3, 3], [1, 0, 4]])
    w = np.random.default_rng(1).standard_normal((5, 3))
    tF = None if torch is None else torch.nn.functional
    check_op(lambda i, t: F.embedding(i, t), tF and (lambda i, t: tF.embedding(i, t)),
             inputs=[idx, w], nondiff=(0,), noncontiguous=True)
