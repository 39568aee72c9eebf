"""Fused recurrent layers: one op runs one direction of one layer over a whole sequence.

``RNNLayer`` takes the layer's input rows and weights. It computes the input projection
of every time step (``xg = x W_ih^T + b_ih``, ``(N, G*H)``) in a few large GEMMs over
chunks of steps, ahead of the recurrence on a second ember thread, and runs the
recurrence on raw arrays: per step one ``(B, P) @ (P, G*H)`` GEMM plus in-place
elementwise gate math. Its backward walks the steps in reverse, collects every step's
gate gradients into one ``(N, G*H)`` array, and turns them into ``dW_hh``, ``db_hh``,
``dW_ih``, ``db_ih`` and ``dx`` chunk by chunk as the recurrence produces them, beside
it (``_rnn_overlap``). So a layer is one graph node whatever the sequence length, and
the large GEMMs overlap the serial per-step chain instead of following it.

Sequences are given in PyTorch's packed layout: ``batch_sizes[t]`` rows are active at
step ``t`` (non-increasing), stored one step after another. A plain ``(T, B, ...)``
sequence is the special case ``batch_sizes = (B,) * T`` reshaped to ``(T*B, ...)``. Rows
that are not active keep their state, which is what ``h_n`` of a shorter sequence is.

Gate order and formulas are PyTorch's: LSTM ``i, f, g, o`` (with optional projection
``h = W_hr (o * tanh c)``), GRU ``r, z, n`` with ``n = tanh(x_n + r * (W_hn h + b_hn))``.
"""
import numpy as np

from ..autograd.op import Op
from . import _rnn_kernels as K
from ._rnn_overlap import InputProjection, LayerGrads

__all__ = ["RNNLayer", "rnn_layer"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNLayer(Op):
    """One direction of one recurrent layer over a packed sequence.

    Inputs: ``x (N, I)`` the packed input rows, ``w_ih (G*H, I)``, ``b_ih (G*H,)`` or None,
    ``h0 (B, P)``, ``c0 (B, H)`` (LSTM, else None), ``w_hh (G*H, P)``, ``b_hh (G*H,)`` or
    None, ``w_hr (P, H)`` or None (LSTM projection). Params: ``mode``, ``batch_sizes``
    (tuple of ints), ``reverse``, ``seq_shape`` (out as ``(T, B, P)``: equal batch sizes
    only). Outputs: ``out (N, P)``, ``h_n (B, P)`` and, for LSTM, ``c_n (B, H)``.
    """
    seq_shape = False
    torch_name = "MkldnnRnnLayer"

    def forward(self, x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr):
        inputs = (x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr)
        for a in inputs[1:]:
            if a is not None and a.dtype != x.dtype:
                raise RuntimeError(f"{self.mode.split('_')[0].lower()}: input and hidden/parameter tensors are "
                                   f"not the same dtype, found input of dtype ember.{x.dtype} and a "
                                   f"hidden state or weight of dtype ember.{a.dtype}")
        bs = self.batch_sizes
        offs = np.concatenate(([0], np.cumsum(bs)[:-1])).astype(int).tolist()  # host: batch_sizes
        self._offs = offs
        order = range(len(bs) - 1, -1, -1) if self.reverse else range(len(bs))
        self._present = [a is not None for a in inputs]
        self.save_for_backward(*[a for a in inputs if a is not None])
        xp = self.xp
        # the input projection of every step, in chunks computed ahead of the recurrence
        proj = InputProjection(xp, x, w_ih, b_ih, bs, offs, order)
        with np.errstate(over="ignore"):
            if self.mode == "LSTM":
                out, h, c, self._k = K.lstm_forward(xp, proj, h0, c0, w_hh, b_hh, w_hr, bs, offs, order)
                return self._shaped(out), h, c
            if self.mode == "GRU":
                out, h, self._k = K.gru_forward(xp, proj, h0, w_hh, b_hh, bs, offs, order)
            else:
                out, h, self._k = K.rnn_forward(xp, proj, h0, w_hh, b_hh, bs, offs, order,
                                                self.mode == "RNN_RELU")
            return self._shaped(out), h

    def _shaped(self, out):
        # the module's last layer hands out (T, B, P) itself, so its output's grad_fn is
        # this node, as in PyTorch (no View node after it)
        return out.reshape(len(self.batch_sizes), -1, out.shape[-1]) if self.seq_shape else out

    def _inputs_full(self, saved):
        it = iter(saved)
        return [next(it) if p else None for p in self._present]

    def backward_raw(self, dout, dhn, dcn=None):
        x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr = self._inputs_full(self.saved_arrays)
        dout = dout.reshape(-1, dout.shape[-1])
        bs, offs = self.batch_sizes, self._offs
        order = range(len(bs)) if self.reverse else range(len(bs) - 1, -1, -1)
        xp = self.xp
        dh, dc, extra = dhn.copy(), None, None
        need = self.needs_input_grad
        # the weight and input gradients: a few large GEMMs over chunks of steps, each
        # as soon as the recurrence has produced its rows (beside it, on a second thread)
        want = {"x": bool(need[0]), "w_ih": bool(need[1]), "b_ih": b_ih is not None and bool(need[2]),
                "w_hh": bool(need[5]), "b_hh": b_hh is not None and bool(need[6])}
        lg = LayerGrads(xp, want, x, w_ih, bs, offs, order)
        if self.mode == "LSTM":
            dc = dcn.copy()
            extra = K.lstm_backward(xp, self._k, dout, dh, dc, w_hh, w_hr, bs, offs, order, lg)
        elif self.mode == "GRU":
            K.gru_backward(xp, self._k, dout, dh, w_hh, bs, offs, order, lg)
        else:
            K.rnn_backward(xp, self._k, dout, dh, w_hh, bs, offs, order, self.mode == "RNN_RELU", lg)
        g = lg.result()
        dw_hr = None
        if w_hr is not None and need[7]:
            dH, m = extra
            dw_hr = dH.T @ m
        return (g["x"], g["w_ih"], g["b_ih"], dh if need[3] else None,
                dc if (c0 is not None and need[4]) else None, g["w_hh"], g["b_hh"], dw_hr)

    def backward(self, *grads):
        """Recorded backward (double backward): re-run the layer with ember ops on the
        saved inputs and differentiate that graph with ``create_graph=True``."""
        from .. import autograd
        from ..autograd.grad_mode import enable_grad
        inputs = self._inputs_full(self.saved_tensors)
        with enable_grad():
            outs = rnn_layer_reference(self.mode, *inputs, self.batch_sizes, self.reverse)
            if self.seq_shape:
                outs = (outs[0].reshape(len(self.batch_sizes), -1, outs[0].shape[-1]),) + tuple(outs[1:])
        want = [i for i, t in enumerate(inputs) if t is not None and self.needs_input_grad[i]]
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        res = autograd.grad([o for o, _ in pairs], [inputs[i] for i in want], [g for _, g in pairs],
                            create_graph=True, allow_unused=True)
        full = [None] * 8
        for i, r in zip(want, res):
            full[i] = r
        return tuple(full)


def _named(torch_name):
    """``RNNLayer`` printed under another of PyTorch's node names (the same op: ONNX
    export and the tests see ``RNNLayer``)."""
    return type("_RNNLayer" + torch_name, (RNNLayer,), {"torch_name": torch_name, "op_class": "RNNLayer",
                                                        "__module__": __name__})


# PyTorch's node names: its single-step cells end with h' = o * tanh(c') (LSTM),
# h' = n + z (h - n) (GRU), tanh / relu (RNN); its GRU and RNN layers stack the steps'
# outputs (its LSTM layer without projection is one MkldnnRnnLayer node, as here)
_CELL_NODES = {"LSTM": _named("Mul"), "GRU": _named("Add"), "RNN_TANH": _named("Tanh"),
               "RNN_RELU": _named("Relu")}
_STACK_NODE = _named("Stack")


def rnn_layer(mode, x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse=False, cell=False,
              seq_shape=False):
    """Run one direction of one layer (see ``RNNLayer``); returns ``(out, h_n[, c_n])``.
    ``cell=True`` (one step of ``LSTMCell``/``GRUCell``/``RNNCell``) names the node as
    PyTorch's cells do (``MulBackward0``, ``AddBackward0``, ``TanhBackward0``, ...);
    ``seq_shape=True`` returns ``out`` as ``(T, B, P)``."""
    if cell:
        cls = _CELL_NODES[mode]
    else:
        cls = RNNLayer if mode == "LSTM" and w_hr is None else _STACK_NODE
    params = dict(mode=mode, batch_sizes=tuple(int(b) for b in batch_sizes), reverse=bool(reverse))
    if seq_shape:
        params["seq_shape"] = True
    return cls.apply(x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr, **params)


def rnn_layer_reference(mode, x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse=False):
    """The same layer composed from ember ops, step by step (slow; differentiable to any
    order). Used for double backward and as an independent check in the tests."""
    import ember
    from ..nn import functional as F
    xg = F.linear(x, w_ih, b_ih)
    bs = [int(b) for b in batch_sizes]
    offs = np.concatenate(([0], np.cumsum(bs)[:-1])).tolist()  # host: batch_sizes
    order = range(len(bs) - 1, -1, -1) if reverse else range(len(bs))
    H = w_hh.shape[0] // _GATES[mode]
    h, c = h0, c0
    outs = [None] * len(bs)
    for t in order:
        s, b = offs[t], bs[t]
        x = xg[s:s + b]
        hb = h[:b]
        gh = hb @ w_hh.t()
        if b_hh is not None:
            gh = gh + b_hh
        if mode == "LSTM":
            g = x + gh
            i, f = g[:, :H].sigmoid(), g[:, H:2 * H].sigmoid()
            gg, o = g[:, 2 * H:3 * H].tanh(), g[:, 3 * H:].sigmoid()
            cn = f * c[:b] + i * gg
            hn = o * cn.tanh()
            if w_hr is not None:
                hn = hn @ w_hr.t()
            c = ember.cat([cn, c[b:]]) if b < c.shape[0] else cn
        elif mode == "GRU":
            r = (x[:, :H] + gh[:, :H]).sigmoid()
            z = (x[:, H:2 * H] + gh[:, H:2 * H]).sigmoid()
            n = (x[:, 2 * H:] + r * gh[:, 2 * H:]).tanh()
            hn = n + z * (hb - n)
        else:
            pre = x + gh
            hn = pre.relu() if mode == "RNN_RELU" else pre.tanh()
        outs[t] = hn
        h = ember.cat([hn, h[b:]]) if b < h.shape[0] else hn
    out = ember.cat(outs)
    return (out, h, c) if mode == "LSTM" else (out, h)
