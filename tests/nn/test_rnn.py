"""nn.RNN / LSTM / GRU and the cells against PyTorch: outputs, final states and every
gradient (input, initial states, parameters) for a random upstream gradient, in float64
(1e-10) and float32 (1e-5); state_dict names, init, errors and double backward."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch

TOL = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=1e-5)}


def _np(t):
    return t.detach().numpy()


def _flat(out):
    """(output, state) -> list of tensors: output, h_n[, c_n] (cells: h[, c])."""
    if isinstance(out, tuple):
        res = []
        for o in out:
            res += _flat(o)
        return res
    return [out]


def _pair(name, kw, dtype):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(**kw)
    em = getattr(ember.nn, name)(**kw)
    tm = tm.double() if dtype == "float64" else tm.float()
    em = em.double() if dtype == "float64" else em.float()
    em.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return em, tm


def _run(name, kw, x_shape, dtype="float64", hx_shapes=None, which=None, seed=0):
    """Run both modules on the same input (and initial states), back-propagate the same
    random upstream gradient through the outputs listed in ``which`` (default: all) and
    compare values and gradients."""
    require_torch()
    em, tm = _pair(name, kw, dtype)
    rng = np.random.default_rng(seed)
    npdt = np.float64 if dtype == "float64" else np.float32
    arrays = [rng.standard_normal(x_shape).astype(npdt)]
    arrays += [rng.standard_normal(s).astype(npdt) for s in (hx_shapes or [])]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]

    def call(mod, ins):
        if len(ins) == 1:
            return mod(ins[0])
        hx = ins[1] if len(ins) == 2 else (ins[1], ins[2])
        return mod(ins[0], hx)
    t_out, e_out = _flat(call(tm, t_in)), _flat(call(em, e_in))
    assert len(t_out) == len(e_out)
    tol = TOL[dtype]
    for i, (a, b) in enumerate(zip(e_out, t_out)):
        assert tuple(a.shape) == tuple(b.shape), f"output {i}"
        assert a.dtype == getattr(ember, dtype)
        np.testing.assert_allclose(_np(a), _np(b), err_msg=f"{name} output {i}", **tol)
    which = range(len(t_out)) if which is None else which
    grads = [rng.standard_normal(tuple(t_out[i].shape)).astype(npdt) for i in which]
    sum((t_out[i] * torch.tensor(g)).sum() for i, g in zip(which, grads)).backward()
    sum((e_out[i] * ember.tensor(g)).sum() for i, g in zip(which, grads)).backward()
    for i, (a, b) in enumerate(zip(e_in, t_in)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), err_msg=f"{name} input grad {i}", **tol)
    for (n, p), (tn, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert n == tn
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), err_msg=f"{name} grad {n}", **tol)
    return em, e_out


CONFIGS = [
    ("RNN", dict(input_size=3, hidden_size=4), (5, 2, 3)),
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu", bidirectional=True), (4, 3, 3)),
    ("RNN", dict(input_size=3, hidden_size=4, bias=False, batch_first=True), (2, 5, 3)),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2), (5, 2, 3)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, batch_first=True), (2, 4, 3)),
    ("LSTM", dict(input_size=3, hidden_size=5, proj_size=2, num_layers=2, bidirectional=True), (4, 2, 3)),
    ("LSTM", dict(input_size=3, hidden_size=4, bias=False), (3, 2, 3)),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2), (5, 3)),  # unbatched
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2), (5, 2, 3)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, bias=False,
                 batch_first=True), (2, 4, 3)),
    ("GRU", dict(input_size=3, hidden_size=4), (4, 3)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kw,shape", CONFIGS, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_rnn_parity(name, kw, shape, dtype):
    _run(name, kw, shape, dtype)


def _state_shapes(name, kw, batch):
    dirs = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1) * dirs
    h = (L, batch, kw.get("proj_size") or kw["hidden_size"]) if batch else (L, kw.get("proj_size") or kw["hidden_size"])
    if name != "LSTM":
        return [h]
    return [h, (L, batch, kw["hidden_size"]) if batch else (L, kw["hidden_size"])]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_initial_states_and_grads(name):
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    if name == "LSTM":
        kw["proj_size"] = 2
    _run(name, kw, (4, 2, 3), hx_shapes=_state_shapes(name, kw, 2))
    _run(name, kw, (4, 3), hx_shapes=_state_shapes(name, kw, None))  # unbatched
    _run(name, dict(kw, batch_first=True), (2, 4, 3), "float32", hx_shapes=_state_shapes(name, kw, 2))


@pytest.mark.parametrize("name,which", [("LSTM", [1]), ("LSTM", [2]), ("GRU", [1]), ("RNN", [1])])
def test_gradient_through_final_state_only(name, which):
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    _run(name, kw, (5, 2, 3), which=which)


@pytest.mark.parametrize("name,kw,shape,hx", [
    ("RNNCell", dict(input_size=3, hidden_size=4), (2, 3), [(2, 4)]),
    ("RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu", bias=False), (3,), [(4,)]),
    ("LSTMCell", dict(input_size=3, hidden_size=4), (2, 3), [(2, 4), (2, 4)]),
    ("LSTMCell", dict(input_size=3, hidden_size=4), (3,), None),
    ("GRUCell", dict(input_size=3, hidden_size=4), (2, 3), [(2, 4)]),
    ("GRUCell", dict(input_size=3, hidden_size=4, bias=False), (3,), [(4,)]),
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cells(name, kw, shape, hx, dtype):
    _run(name, kw, shape, dtype, hx_shapes=hx)


def test_state_dict_names_and_init_match_pytorch():
    require_torch()
    kw = dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, proj_size=2)
    torch.manual_seed(3)
    tm = torch.nn.LSTM(**kw)
    ember.manual_seed(3)
    em = ember.nn.LSTM(**kw)
    t_sd, e_sd = tm.state_dict(), em.state_dict()
    assert list(t_sd) == list(e_sd)
    for k in t_sd:
        np.testing.assert_array_equal(e_sd[k].numpy(), t_sd[k].numpy(), err_msg=k)  # same draws
    assert repr(em) == repr(tm)
    for name in ("RNN", "GRU", "GRUCell", "LSTMCell", "RNNCell"):
        args = (3, 4) if name.endswith("Cell") else (3, 4, 2)
        torch.manual_seed(1)
        ember.manual_seed(1)
        t, e = getattr(torch.nn, name)(*args), getattr(ember.nn, name)(*args)
        assert [(n, tuple(p.shape)) for n, p in t.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in e.named_parameters()]
        for (n, p), (_, q) in zip(t.named_parameters(), e.named_parameters()):
            np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy(), err_msg=f"{name}.{n}")
    assert ember.nn.modules.rnn.LSTM is ember.nn.LSTM
    assert [len(w) for w in em.all_weights] == [5] * 4


def test_dropout_between_layers():
    require_torch()
    em, tm = _pair("LSTM", dict(input_size=3, hidden_size=4, num_layers=3, dropout=0.5), "float64")
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    em.eval()
    tm.eval()
    np.testing.assert_allclose(_np(em(ember.tensor(x))[0]), _np(tm(torch.tensor(x))[0]), **TOL["float64"])
    em.train()
    ember.manual_seed(0)
    a = _np(em(ember.tensor(x))[0])
    ember.manual_seed(1)
    b = _np(em(ember.tensor(x))[0])
    assert not np.allclose(a, b)  # dropout active in training
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ember.nn.GRU(3, 4, dropout=0.2)


def test_double_backward_matches_pytorch():
    require_torch()
    for name in ("LSTM", "GRU", "RNN"):
        em, tm = _pair(name, dict(input_size=3, hidden_size=4, num_layers=2), "float64")
        x = np.random.default_rng(0).standard_normal((4, 2, 3))
        res = []
        for lib, m in ((torch, tm), (ember, em)):
            xt = lib.tensor(x, requires_grad=True)
            out = m(xt)[0]
            (g,) = lib.autograd.grad((out ** 2).sum(), xt, create_graph=True)
            (g * g).sum().backward()
            res.append((_np(g), xt.grad.numpy(), m.weight_hh_l0.grad.numpy()))
        for a, b in zip(*res):
            np.testing.assert_allclose(a, b, **TOL["float64"])


def test_clip_grad_norm_on_lstm_training_step():
    require_torch()
    em, tm = _pair("LSTM", dict(input_size=3, hidden_size=4, num_layers=2), "float32")
    x = np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32)
    norms = []
    for lib, m in ((torch, tm), (ember, em)):
        opt = lib.optim.SGD(m.parameters(), lr=0.5)
        for _ in range(2):
            opt.zero_grad()
            out, (h, c) = m(lib.tensor(x))
            (out.pow(2).sum() * 10 + c.sum()).backward()
            norms.append(float(lib.nn.utils.clip_grad_norm_(m.parameters(), 0.1)))
            opt.step()
    np.testing.assert_allclose(norms[2:], norms[:2], rtol=1e-5)
    for (n, p), (_, q) in zip(tm.named_parameters(), em.named_parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


def test_errors():
    with pytest.raises(ValueError, match="only supported for LSTM"):
        ember.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        ember.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number"):
        ember.nn.LSTM(3, 4, dropout=1.5)
    lstm = ember.nn.LSTM(3, 4, 2)
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(ember.zeros(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        lstm(ember.zeros(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got \[1, 2, 4\]"):
        lstm(ember.zeros(2, 2, 3), (ember.zeros(1, 2, 4), ember.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D"):
        ember.nn.GRU(3, 4)(ember.zeros(2, 3), ember.zeros(1, 1, 4))
    with pytest.raises(RuntimeError, match="not the same dtype"):
        lstm(ember.zeros(2, 2, 3), (ember.zeros(2, 2, 4, dtype=ember.float64), ember.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D"):
        ember.nn.GRUCell(3, 4)(ember.zeros(1, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2 expected 3"):
        ember.nn.LSTMCell(3, 4)(ember.zeros(5, 2))


def test_backward_from_an_output_upstream_of_another():
    # the engine must wait for b's gradient before running a's node (LSTM users pass
    # [out, h_n] to autograd.backward; h_n is upstream of later ops)
    x = ember.tensor(1.5, requires_grad=True)
    a = x.tanh()
    b = a * 3
    ember.autograd.backward([b, a], [ember.tensor(1.0), ember.tensor(1.0)])
    np.testing.assert_allclose(x.grad.numpy(), 4 * (1 - np.tanh(1.5) ** 2), rtol=1e-6)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_batch_split_over_threads_gives_the_same_result(name, monkeypatch):
    # large layers split the batch rows over ember's threads; force that path on a
    # small packed batch and compare with the single-thread run
    from ember.ops import _rnn_overlap as _rnn_kernels
    from ember.nn.utils.rnn import pack_padded_sequence
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    if name == "LSTM":
        kw["proj_size"] = 2
    m = getattr(ember.nn, name)(**kw).double()
    x = np.random.default_rng(0).standard_normal((5, 9, 3))
    lengths = [5, 5, 4, 4, 3, 3, 2, 2, 1]
    calls = []
    monkeypatch.setattr(_rnn_kernels, "_threads", lambda: 2)
    monkeypatch.setattr(_rnn_kernels, "run_shared", lambda parts, fn, t: calls.append(parts) or [fn(p) for p in parts])
    res = []
    for split in (False, True):
        if split:
            monkeypatch.setattr(_rnn_kernels, "_MIN_SPLIT_WORK", 0)
            monkeypatch.setattr(_rnn_kernels, "_MIN_ROWS", 1)
        m.zero_grad()
        xt = ember.tensor(x, requires_grad=True)
        out, state = m(pack_padded_sequence(xt, lengths))
        (out.data.sum() + sum(s.sum() for s in _flat(state))).backward()
        res.append([_np(out.data), xt.grad.numpy()] + [p.grad.numpy() for p in m.parameters()])
    assert calls and all(p == [(0, 4), (4, 9)] for p in calls)
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_chunked_gemms_beside_the_recurrence_are_bitwise_the_same(name, monkeypatch):
    # the input projection and the weight/input gradients run in fixed chunks of steps;
    # with two threads the chunks' GEMMs run beside the recurrence. Force that on a small
    # packed batch with many chunks: the same bits as computing the chunks before/after
    # the recurrence, and the same values as one chunk over all steps
    from ember.ops import _im2col
    from ember.ops import _rnn_overlap as _rnn_kernels
    from ember.nn.utils.rnn import pack_padded_sequence
    m = getattr(ember.nn, name)(input_size=3, hidden_size=4, num_layers=2, bidirectional=True).double()
    x = np.random.default_rng(1).standard_normal((7, 5, 3))
    lengths = [7, 6, 6, 3, 1]
    for mod in (_rnn_kernels, _im2col):   # two threads whatever the machine
        monkeypatch.setattr(mod, "_threads", lambda: 2)
    res = []
    for chunk_rows, overlap in ((1 << 20, False), (3, False), (3, True)):
        monkeypatch.setattr(_rnn_kernels, "_CHUNK_ROWS", chunk_rows)
        monkeypatch.setattr(_rnn_kernels, "_MIN_OVERLAP_WORK", 0 if overlap else 1 << 60)
        m.zero_grad()
        xt = ember.tensor(x, requires_grad=True)
        out, state = m(pack_padded_sequence(xt, lengths))
        (out.data.sum() + sum((s ** 2).sum() for s in _flat(state))).backward()
        res.append([_np(out.data), xt.grad.numpy()] + [p.grad.numpy().copy() for p in m.parameters()])
    for a, b, c in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(c, b)


def test_grad_fn_names_are_pytorchs():
    # what a user sees on the outputs: the layer's own node (LSTM MkldnnRnnLayer, GRU and
    # RNN Stack), Cat for two directions, the cells' last op (Mul, Add, Tanh, Relu)
    torch = require_torch()

    def names(lib, build, *shape):
        lib.manual_seed(0)
        r = build(lib.nn)(lib.randn(*shape))
        out = r[0] if isinstance(r, tuple) else r
        return type(out.grad_fn).__name__

    cases = [(lambda nn: nn.LSTM(4, 5, 2), 3, 2, 4), (lambda nn: nn.GRU(4, 5), 3, 2, 4),
             (lambda nn: nn.RNN(4, 5, nonlinearity="relu"), 3, 2, 4),
             (lambda nn: nn.LSTM(4, 5, proj_size=2), 3, 2, 4),
             (lambda nn: nn.GRU(4, 5, 2, bidirectional=True), 3, 2, 4),
             (lambda nn: nn.LSTMCell(4, 5), 2, 4), (lambda nn: nn.GRUCell(4, 5), 2, 4),
             (lambda nn: nn.RNNCell(4, 5), 2, 4), (lambda nn: nn.RNNCell(4, 5, nonlinearity="relu"), 2, 4)]
    for build, *shape in cases:
        assert names(ember, build, *shape) == names(torch, build, *shape)
