"""Fused recurrent layers: one op runs one direction of one layer over a whole sequence.

The module computes the input projection of every time step as one GEMM
(``xg = x W_ih^T + b_ih``, shape ``(N, G*H)``) and hands it to ``RNNLayer``, which runs
the recurrence on raw arrays: per step one ``(B, P) @ (P, G*H)`` GEMM plus in-place
elementwise gate math. Its backward walks the steps in reverse, collects every step's
gate gradients into one ``(N, G*H)`` array, and gets ``dW_hh`` and ``db_hh`` from one
GEMM / one sum over all steps; ``dxg`` (the gate gradients) flows back into the input
projection's own GEMMs. So a layer is two graph nodes whatever the sequence length.

Sequences are given in PyTorch's packed layout: ``batch_sizes[t]`` rows are active at
step ``t`` (non-increasing), stored one step after another. A plain ``(T, B, ...)``
sequence is the special case ``batch_sizes = (B,) * T`` reshaped to ``(T*B, ...)``. Rows
that are not active keep their state, which is what ``h_n`` of a shorter sequence is.

Gate order and formulas are PyTorch's: LSTM ``i, f, g, o`` (with optional projection
``h = W_hr (o * tanh c)``), GRU ``r, z, n`` with ``n = tanh(x_n + r * (W_hn h + b_hn))``.
"""
import numpy as np

from ..autograd.op import Op

__all__ = ["RNNLayer", "rnn_layer"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(x):
    """In-place logistic function (exp of a large negative overflows to inf -> 0: fine)."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1.0
    np.reciprocal(x, out=x)
    return x


class RNNLayer(Op):
    """One direction of one recurrent layer over a packed sequence.

    Inputs: ``xg (N, G*H)`` projected input, ``h0 (B, P)``, ``c0 (B, H)`` (LSTM, else
    None), ``w_hh (G*H, P)``, ``b_hh (G*H,)`` or None, ``w_hr (P, H)`` or None (LSTM
    projection). Params: ``mode``, ``batch_sizes`` (tuple of ints), ``reverse``.
    Outputs: ``out (N, P)``, ``h_n (B, P)`` and, for LSTM, ``c_n (B, H)``.
    """
    torch_name = "MkldnnRnnLayer"

    def forward(self, xg, h0, c0, w_hh, b_hh, w_hr):
        mode = self.mode
        bs = self.batch_sizes
        offs = np.concatenate(([0], np.cumsum(bs)[:-1])).tolist()
        self._offs = offs
        order = range(len(bs) - 1, -1, -1) if self.reverse else range(len(bs))
        self._present = [a is not None for a in (xg, h0, c0, w_hh, b_hh, w_hr)]
        self.save_for_backward(*[a for a in (xg, h0, c0, w_hh, b_hh, w_hr) if a is not None])
        with np.errstate(over="ignore"):
            if mode == "LSTM":
                return self._lstm(xg, h0, c0, w_hh, b_hh, w_hr, bs, offs, order)
            if mode == "GRU":
                return self._gru(xg, h0, w_hh, b_hh, bs, offs, order)
            return self._rnn(xg, h0, w_hh, b_hh, bs, offs, order)

    # -- forward kernels -----------------------------------------------------------
    def _lstm(self, xg, h0, c0, w_hh, b_hh, w_hr, bs, offs, order):
        n = xg.shape[0]
        H = c0.shape[1]
        whhT = w_hh.T
        dt = xg.dtype
        act = np.empty((n, 4 * H), dt)     # activated gates i, f, g, o
        tc = np.empty((n, H), dt)          # tanh(c_t)
        cp = np.empty((n, H), dt)          # c_{t-1}
        hp = np.empty((n, h0.shape[1]), dt)  # h_{t-1}
        out = np.empty_like(hp)
        m = np.empty((n, H), dt) if w_hr is not None else None
        h = h0.copy()
        c = c0.copy()
        for t in order:
            s, b = offs[t], bs[t]
            e = s + b
            a = act[s:e]
            hp[s:e] = h[:b]
            cp[s:e] = c[:b]
            np.matmul(h[:b], whhT, out=a)
            a += xg[s:e]
            if b_hh is not None:
                a += b_hh
            _sigmoid_(a[:, :2 * H])
            np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            _sigmoid_(a[:, 3 * H:])
            ct = c[:b]
            ct *= a[:, H:2 * H]
            ct += a[:, :H] * a[:, 2 * H:3 * H]
            tct = np.tanh(ct, out=tc[s:e])
            if m is None:
                np.multiply(a[:, 3 * H:], tct, out=out[s:e])
            else:
                np.multiply(a[:, 3 * H:], tct, out=m[s:e])
                np.matmul(m[s:e], w_hr.T, out=out[s:e])
            h[:b] = out[s:e]
        self._k = (act, tc, cp, hp, m)
        return out, h, c

    def _gru(self, xg, h0, w_hh, b_hh, bs, offs, order):
        n = xg.shape[0]
        H = h0.shape[1]
        whhT = w_hh.T
        dt = xg.dtype
        act = np.empty((n, 3 * H), dt)     # r, z, n
        ghn = np.empty((n, H), dt)         # W_hn h + b_hn
        hp = np.empty((n, H), dt)
        out = np.empty((n, H), dt)
        h = h0.copy()
        for t in order:
            s, b = offs[t], bs[t]
            e = s + b
            a = act[s:e]
            hp[s:e] = h[:b]
            gh = h[:b] @ whhT
            if b_hh is not None:
                gh += b_hh
            x = xg[s:e]
            np.add(x[:, :2 * H], gh[:, :2 * H], out=a[:, :2 * H])
            _sigmoid_(a[:, :2 * H])
            ghn[s:e] = gh[:, 2 * H:]
            nn_ = a[:, 2 * H:]
            np.multiply(a[:, :H], gh[:, 2 * H:], out=nn_)
            nn_ += x[:, 2 * H:]
            np.tanh(nn_, out=nn_)
            # h' = n + z (h - n)
            o = out[s:e]
            np.subtract(h[:b], nn_, out=o)
            o *= a[:, H:2 * H]
            o += nn_
            h[:b] = o
        self._k = (act, ghn, hp)
        return out, h

    def _rnn(self, xg, h0, w_hh, b_hh, bs, offs, order):
        whhT = w_hh.T
        hp = np.empty((xg.shape[0], h0.shape[1]), xg.dtype)
        out = np.empty_like(hp)
        h = h0.copy()
        relu = self.mode == "RNN_RELU"
        for t in order:
            s, b = offs[t], bs[t]
            e = s + b
            hp[s:e] = h[:b]
            o = out[s:e]
            np.matmul(h[:b], whhT, out=o)
            o += xg[s:e]
            if b_hh is not None:
                o += b_hh
            if relu:
                np.maximum(o, 0, out=o)
            else:
                np.tanh(o, out=o)
            h[:b] = o
        self._k = (out, hp)
        return out, h

    # -- backward ------------------------------------------------------------------
    def _inputs_full(self, saved):
        it = iter(saved)
        return [next(it) if p else None for p in self._present]

    def backward_raw(self, dout, dhn, dcn=None):
        xg, h0, c0, w_hh, b_hh, w_hr = self._inputs_full(self.saved_arrays)
        bs, offs = self.batch_sizes, self._offs
        order = range(len(bs)) if self.reverse else range(len(bs) - 1, -1, -1)
        dh = dhn.copy()
        if self.mode == "LSTM":
            dc = dcn.copy()
            dxg, dhp, extra = self._lstm_back(dout, dh, dc, w_hh, w_hr, bs, offs, order)
        elif self.mode == "GRU":
            dxg, dhp = self._gru_back(dout, dh, w_hh, bs, offs, order)
            dc, extra = None, None
        else:
            dxg, dhp = self._rnn_back(dout, dh, w_hh, bs, offs, order)
            dc, extra = None, None
        need = self.needs_input_grad
        hp = self._k[-2] if self.mode == "LSTM" else self._k[-1]
        dw_hh = dhp.T @ hp if need[3] else None
        db_hh = dhp.sum(0) if b_hh is not None and need[4] else None
        dw_hr = None
        if w_hr is not None and need[5]:
            dH, m = extra
            dw_hr = dH.T @ m
        return (dxg if need[0] else None, dh if need[1] else None,
                dc if (c0 is not None and need[2]) else None, dw_hh, db_hh, dw_hr)

    def _lstm_back(self, dout, dh, dc, w_hh, w_hr, bs, offs, order):
        act, tc, cp, hp, m = self._k
        H = tc.shape[1]
        dg = np.empty_like(act)
        dH = np.empty_like(hp) if w_hr is not None else None
        for t in order:
            s, b = offs[t], bs[t]
            e = s + b
            dht = dh[:b]
            dht += dout[s:e]
            if w_hr is not None:
                dH[s:e] = dht
                dm = dht @ w_hr
            else:
                dm = dht
            a = act[s:e]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            tct = tc[s:e]
            d = dg[s:e]
            # d tanh(c) -> dc; do
            do = np.multiply(dm, tct, out=d[:, 3 * H:])
            dct = dc[:b]
            tmp = tct * tct
            np.subtract(1.0, tmp, out=tmp)
            tmp *= o
            tmp *= dm
            dct += tmp
            do *= o
            do *= 1.0 - o
            # di = dc g i (1 - i); df = dc c_prev f (1 - f); dg = dc i (1 - g^2)
            di = np.multiply(dct, g, out=d[:, :H])
            di *= i
            di *= 1.0 - i
            df = np.multiply(dct, cp[s:e], out=d[:, H:2 * H])
            df *= f
            df *= 1.0 - f
            dgg = np.multiply(g, g, out=d[:, 2 * H:3 * H])
            np.subtract(1.0, dgg, out=dgg)
            dgg *= i
            dgg *= dct
            dct *= f
            np.matmul(d, w_hh, out=dht)
        return dg, dg, (dH, m)

    def _gru_back(self, dout, dh, w_hh, bs, offs, order):
        act, ghn, hp = self._k
        H = ghn.shape[1]
        dgi = np.empty_like(act)
        dgh = np.empty_like(act)
        for t in order:
            s, b = offs[t], bs[t]
            e = s + b
            dht = dh[:b]
            dht += dout[s:e]
            a = act[s:e]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            di, dhh = dgi[s:e], dgh[s:e]
            # dn_pre = dh (1 - z) (1 - n^2)
            dnp = np.multiply(n, n, out=di[:, 2 * H:])
            np.subtract(1.0, dnp, out=dnp)
            dnp *= 1.0 - z
            dnp *= dht
            # dz_pre = dh (h - n) z (1 - z)
            dzp = np.subtract(hp[s:e], n, out=di[:, H:2 * H])
            dzp *= dht
            dzp *= z
            dzp *= 1.0 - z
            # dr_pre = dn_pre ghn r (1 - r)
            drp = np.multiply(dnp, ghn[s:e], out=di[:, :H])
            drp *= r
            drp *= 1.0 - r
            dhh[:, :2 * H] = di[:, :2 * H]
            np.multiply(dnp, r, out=dhh[:, 2 * H:])
            direct = dht * z
            np.matmul(dhh, w_hh, out=dht)
            dht += direct
        return dgi, dgh

    def _rnn_back(self, dout, dh, w_hh, bs, offs, order):
        out, hp = self._k
        dg = np.empty_like(out)
        relu = self.mode == "RNN_RELU"
        for t in order:
            s, b = offs[t], bs[t]
            e = s + b
            dht = dh[:b]
            dht += dout[s:e]
            d = dg[s:e]
            o = out[s:e]
            if relu:
                np.multiply(dht, o > 0, out=d)
            else:
                np.multiply(o, o, out=d)
                np.subtract(1.0, d, out=d)
                d *= dht
            np.matmul(d, w_hh, out=dht)
        return dg, dg

    def backward(self, *grads):
        """Recorded backward (double backward): re-run the layer with ember ops on the
        saved inputs and differentiate that graph with ``create_graph=True``."""
        from .. import autograd
        from ..autograd.grad_mode import enable_grad
        inputs = self._inputs_full(self.saved_tensors)
        with enable_grad():
            outs = rnn_layer_reference(self.mode, *inputs, self.batch_sizes, self.reverse)
        want = [i for i, t in enumerate(inputs) if t is not None and self.needs_input_grad[i]]
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        res = autograd.grad([o for o, _ in pairs], [inputs[i] for i in want], [g for _, g in pairs],
                            create_graph=True, allow_unused=True)
        full = [None] * 6
        for i, r in zip(want, res):
            full[i] = r
        return tuple(full)


def rnn_layer(mode, xg, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse=False):
    """Run one direction of one layer (see ``RNNLayer``); returns ``(out, h_n[, c_n])``."""
    return RNNLayer.apply(xg, h0, c0, w_hh, b_hh, w_hr, mode=mode,
                          batch_sizes=tuple(int(b) for b in batch_sizes), reverse=bool(reverse))


def rnn_layer_reference(mode, xg, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse=False):
    """The same layer composed from ember ops, step by step (slow; differentiable to any
    order). Used for double backward and as an independent check in the tests."""
    import ember
    bs = [int(b) for b in batch_sizes]
    offs = np.concatenate(([0], np.cumsum(bs)[:-1])).tolist()
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
