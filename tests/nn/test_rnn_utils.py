"""ember.nn.utils.rnn (packing and padding) against PyTorch, and PackedSequence input to
RNN / LSTM / GRU: outputs, final states (in the caller's batch order) and gradients."""
import numpy as np
import pytest

import ember
from ember.nn.utils import rnn as ernn
from tests.helpers import require_torch, torch

TOL = dict(rtol=1e-10, atol=1e-10)


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 4])])
def test_pack_pad_roundtrip_and_grads(batch_first, enforce_sorted, lengths):
    require_torch()
    from torch.nn.utils import rnn as trnn
    x = np.random.default_rng(0).standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    ep = ernn.pack_padded_sequence(ex, ember.tensor(lengths), batch_first, enforce_sorted)
    np.testing.assert_array_equal(_np(ep.data), _np(tp.data))
    np.testing.assert_array_equal(ep.batch_sizes.numpy(), tp.batch_sizes.numpy())
    for a, b in ((ep.sorted_indices, tp.sorted_indices), (ep.unsorted_indices, tp.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    tpad, tl = trnn.pad_packed_sequence(tp, batch_first, -1.0, total_length=7)
    epad, el = ernn.pad_packed_sequence(ep, batch_first, -1.0, total_length=7)
    np.testing.assert_array_equal(_np(epad), _np(tpad))
    np.testing.assert_array_equal(el.numpy(), tl.numpy())
    assert el.dtype == ember.int64
    g = np.random.default_rng(1).standard_normal(tuple(tpad.shape))
    (tpad * torch.tensor(g)).sum().backward()
    (epad * ember.tensor(g)).sum().backward()
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


def test_pad_sequence_pack_sequence_and_unpack():
    require_torch()
    from torch.nn.utils import rnn as trnn
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)) for n in (4, 2, 3)]
    for kw in (dict(), dict(batch_first=True, padding_value=-2.0), dict(padding_side="left")):
        a = trnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        b = ernn.pad_sequence([ember.tensor(s) for s in seqs], **kw)
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    a = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    b = ernn.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(_np(b.data), _np(a.data))
    for s, u in zip(seqs, ernn.unpack_sequence(b)):
        np.testing.assert_array_equal(u.numpy(), s)
    assert isinstance(b, tuple) and b._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")


def test_pack_errors():
    x = ember.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        ernn.pack_padded_sequence(x, [1, 3, 2])
    with pytest.raises(RuntimeError, match="greater than 0"):
        ernn.pack_padded_sequence(x, [3, 2, 0])
    packed = ernn.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        ernn.pad_packed_sequence(packed, total_length=2)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rnns_accept_packed_sequences(name, dtype):
    require_torch()
    from torch.nn.utils import rnn as trnn
    tol = TOL if dtype == "float64" else dict(rtol=1e-5, atol=1e-5)
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(**kw)
    em = getattr(ember.nn, name)(**kw)
    tm, em = (tm.double(), em.double()) if dtype == "float64" else (tm, em)
    em.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    npdt = np.float64 if dtype == "float64" else np.float32
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 3)).astype(npdt)
    h0 = rng.standard_normal((4, 4, 4)).astype(npdt)
    lengths = [3, 6, 1, 4]
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    th, eh = torch.tensor(h0, requires_grad=True), ember.tensor(h0, requires_grad=True)
    thx = (th, th * 2) if name == "LSTM" else th
    ehx = (eh, eh * 2) if name == "LSTM" else eh
    to, ts = tm(trnn.pack_padded_sequence(tx, lengths, enforce_sorted=False), thx)
    eo, es = em(ernn.pack_padded_sequence(ex, lengths, enforce_sorted=False), ehx)
    assert isinstance(eo, ernn.PackedSequence)
    tpad, _ = trnn.pad_packed_sequence(to, batch_first=True)
    epad, _ = ernn.pad_packed_sequence(eo, batch_first=True)
    t_all = [tpad] + (list(ts) if name == "LSTM" else [ts])
    e_all = [epad] + (list(es) if name == "LSTM" else [es])
    for a, b in zip(e_all, t_all):
        np.testing.assert_allclose(_np(a), _np(b), **tol)
    gs = [rng.standard_normal(tuple(t.shape)).astype(npdt) for t in t_all]
    sum((t * torch.tensor(g)).sum() for t, g in zip(t_all, gs)).backward()
    sum((t * ember.tensor(g)).sum() for t, g in zip(e_all, gs)).backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), **tol)
    np.testing.assert_allclose(eh.grad.numpy(), th.grad.numpy(), **tol)
    for (n, p), (_, q) in zip(em.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), err_msg=n, **tol)
