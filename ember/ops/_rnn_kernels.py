"""Raw-array kernels of the fused recurrent layer (``ember.ops.rnn.RNNLayer``).

Each kernel runs the recurrence of one layer-direction over a packed sequence: step
``t`` uses rows ``offs[t] : offs[t] + bs[t]`` of the ``(N, ...)`` arrays. Batch rows are
independent of one another, so a kernel works on a row range ``[lo, hi)`` of the batch,
and with several ember threads a large batch is split over them (``run_rows``; BLAS is
single-threaded): one synchronisation per layer instead of one inside every small
per-step GEMM (which, on a busy machine, can cost a scheduler slice each). Every kernel
writes only its own rows.

Forward kernels take an ``InputProjection`` (``xg``, computed in chunks ahead of the
recurrence) and return what their backward needs; backward kernels fill the gate
gradients ``(N, G*H)`` and update ``dh``/``dc`` (the running state gradients, ``(B, .)``)
in place, leaving the initial states' gradients there, while a ``LayerGrads`` turns the
gate gradients into the weight and input gradients chunk by chunk (``_rnn_overlap``).
"""
from ._gemm import matmul


def _steps(bs, offs, order, lo, hi):
    """(first row, last row, batch row end) of each step that has active rows in [lo, hi)."""
    for t in order:
        b = min(bs[t], hi)
        if b > lo:
            yield offs[t] + lo, offs[t] + b, b


def _sigmoid_(xp, x):
    """In-place logistic function (exp of a large negative overflows to inf -> 0: fine)."""
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1.0
    xp.reciprocal(x, out=x)


# -- LSTM (gates i, f, g, o) ---------------------------------------------------------

def lstm_forward(xp, proj, h0, c0, w_hh, b_hh, w_hr, bs, offs, order):
    """Per step: one GEMM ``[h, 1] @ [W_hh^T; b_hh]`` (the bias rides in the GEMM), then
    all four gates over the full contiguous row with one ``tanh``: the logistic function
    as ``sigmoid(x) = 0.5 tanh(x / 2) + 0.5``, so a row is scaled by ``(1/2, 1/2, 1, 1/2)``
    (gates i, f, g, o), passed through ``tanh`` and mapped back by ``* scale + shift``
    (shift ``(1/2, 1/2, 0, 1/2)``): 5 full-width ops, far cheaper than strided per-gate
    slices, and g's tanh lands in its own columns of ``act``."""
    xg = proj.xg
    n, H, P = xg.shape[0], c0.shape[1], h0.shape[1]
    dt = xg.dtype
    aug = b_hh is not None
    wn = xp.empty((P + aug, 4 * H), dt)
    wn[:P] = w_hh.T
    if aug:
        wn[P] = b_hh
    scale = xp.full(4 * H, 0.5, dt)
    scale[2 * H:3 * H] = 1
    shift = xp.full(4 * H, 0.5, dt)
    shift[2 * H:3 * H] = 0
    whrT = None if w_hr is None else xp.ascontiguousarray(w_hr.T)
    act = xp.empty((n, 4 * H), dt)      # sigmoid of gates i, f, o; tanh of gate g
    gg = act[:, 2 * H:3 * H]            # (a view: the g gate's tanh)
    tc = xp.empty((n, H), dt)           # tanh(c_t)
    cp = xp.empty((n, H), dt)           # c_{t-1}
    hp = xp.empty((n, P), dt)           # h_{t-1}
    out = xp.empty((n, P), dt)
    m = None if w_hr is None else xp.empty((n, H), dt)  # o * tanh(c) before the projection
    h = xp.empty((h0.shape[0], P + aug), dt)            # [h, 1]
    h[:, :P] = h0
    if aug:
        h[:, P] = 1
    c = c0.copy()

    def rows(lo, hi, need):
        ig = xp.empty((hi - lo, H), dt)
        for pos, (r0, r1, b) in enumerate(_steps(bs, offs, order, lo, hi)):
            if need:
                need(pos)
            k = r1 - r0
            hv, cv = h[lo:b], c[lo:b]
            hp[r0:r1] = hv[:, :P]
            cp[r0:r1] = cv
            a, g = act[r0:r1], gg[r0:r1]
            matmul(xp, hv, wn, out=a)
            a += xg[r0:r1]                            # pre-activations
            a *= scale
            xp.tanh(a, out=a)
            a *= scale
            a += shift                                # sigmoid(pre) for i, f, o; tanh(pre) for g
            cv *= a[:, H:2 * H]
            xp.multiply(a[:, :H], g, out=ig[:k])
            cv += ig[:k]
            xp.tanh(cv, out=tc[r0:r1])
            if m is None:
                xp.multiply(a[:, 3 * H:], tc[r0:r1], out=out[r0:r1])
            else:
                xp.multiply(a[:, 3 * H:], tc[r0:r1], out=m[r0:r1])
                matmul(xp, m[r0:r1], whrT, out=out[r0:r1])
            hv[:, :P] = out[r0:r1]
    proj.run(h0.shape[0], 4 * H * P, rows)
    return out, h[:, :P].copy(), c, (act, gg, tc, cp, hp, m)


def lstm_backward(xp, saved, dout, dh, dc, w_hh, w_hr, bs, offs, order, lg):
    act, gg, tc, cp, hp, m = saved
    H = tc.shape[1]
    dg = xp.empty_like(act)
    dH = None if w_hr is None else xp.empty_like(hp)   # gradient of each step's h (for dW_hr)
    lg.bind(dg, hp, dg)

    def rows(lo, hi, tick):
        D = xp.empty((hi - lo, 4 * H), act.dtype)      # each gate's activation derivative
        tmp = xp.empty((hi - lo, H), act.dtype)
        for r0, r1, b in _steps(bs, offs, order, lo, hi):
            k = r1 - r0
            dht, dct = dh[lo:b], dc[lo:b]
            dht += dout[r0:r1]
            if w_hr is None:
                dm = dht
            else:
                dH[r0:r1] = dht
                dm = dht @ w_hr
            a, g, tct, d, Dk, t = act[r0:r1], gg[r0:r1], tc[r0:r1], dg[r0:r1], D[:k], tmp[:k]
            xp.multiply(a, a, out=Dk)
            xp.subtract(a, Dk, out=Dk)                # s (1 - s) over the full row
            Dg = Dk[:, 2 * H:3 * H]
            xp.multiply(g, g, out=Dg)
            xp.subtract(1.0, Dg, out=Dg)              # 1 - tanh^2 for g
            # dc += dm * o * (1 - tanh(c)^2)
            xp.multiply(tct, tct, out=t)
            xp.subtract(1.0, t, out=t)
            t *= a[:, 3 * H:]
            t *= dm
            dct += t
            # upstream of each gate's activation: dc g, dc c_{t-1}, dc i, dm tanh(c)
            xp.multiply(dct, g, out=d[:, :H])
            xp.multiply(dct, cp[r0:r1], out=d[:, H:2 * H])
            xp.multiply(dct, a[:, :H], out=d[:, 2 * H:3 * H])
            xp.multiply(dm, tct, out=d[:, 3 * H:])
            d *= Dk
            dct *= a[:, H:2 * H]
            matmul(xp, d, w_hh, out=dht)
            if tick:
                tick()
    lg.run(dh.shape[0], 4 * H * hp.shape[1], rows)
    return dH, m


# -- GRU (gates r, z, n) -------------------------------------------------------------

def gru_forward(xp, proj, h0, w_hh, b_hh, bs, offs, order):
    xg = proj.xg
    n, H = xg.shape[0], h0.shape[1]
    dt = xg.dtype
    whhT = xp.ascontiguousarray(w_hh.T)
    act = xp.empty((n, 3 * H), dt)      # r, z, n
    ghn = xp.empty((n, H), dt)          # W_hn h + b_hn
    hp = xp.empty((n, H), dt)
    out = xp.empty((n, H), dt)
    h = h0.copy()

    def rows(lo, hi, need):
        gh = xp.empty((hi - lo, 3 * H), dt)
        for pos, (r0, r1, b) in enumerate(_steps(bs, offs, order, lo, hi)):
            if need:
                need(pos)
            k = r1 - r0
            hv = h[lo:b]
            hp[r0:r1] = hv
            a, x, g = act[r0:r1], xg[r0:r1], gh[:k]
            matmul(xp, hv, whhT, out=g)
            if b_hh is not None:
                g += b_hh
            xp.add(x[:, :2 * H], g[:, :2 * H], out=a[:, :2 * H])
            _sigmoid_(xp, a[:, :2 * H])
            ghn[r0:r1] = g[:, 2 * H:]
            nn_ = a[:, 2 * H:]
            xp.multiply(a[:, :H], g[:, 2 * H:], out=nn_)
            nn_ += x[:, 2 * H:]
            xp.tanh(nn_, out=nn_)
            o = out[r0:r1]            # h' = n + z (h - n)
            xp.subtract(hv, nn_, out=o)
            o *= a[:, H:2 * H]
            o += nn_
            hv[...] = o
    proj.run(h0.shape[0], 3 * H * H, rows)
    return out, h, (act, ghn, hp)


def gru_backward(xp, saved, dout, dh, w_hh, bs, offs, order, lg):
    act, ghn, hp = saved
    H = ghn.shape[1]
    dgi = xp.empty_like(act)   # gradient of the input-side pre-activations
    dgh = xp.empty_like(act)   # ... and of the hidden-side ones (W_hh h + b_hh)
    lg.bind(dgh, hp, dgi)

    def rows(lo, hi, tick):
        tmp = xp.empty((hi - lo, H), act.dtype)
        for r0, r1, b in _steps(bs, offs, order, lo, hi):
            k = r1 - r0
            dht = dh[lo:b]
            dht += dout[r0:r1]
            a, di, dhh, t = act[r0:r1], dgi[r0:r1], dgh[r0:r1], tmp[:k]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            # dn_pre = dh (1 - z) (1 - n^2)
            dnp = xp.multiply(n, n, out=di[:, 2 * H:])
            xp.subtract(1.0, dnp, out=dnp)
            xp.subtract(1.0, z, out=t)
            dnp *= t
            dnp *= dht
            # dz_pre = dh (h - n) z (1 - z)
            dzp = xp.subtract(hp[r0:r1], n, out=di[:, H:2 * H])
            dzp *= dht
            dzp *= z
            dzp *= t
            # dr_pre = dn_pre ghn r (1 - r)
            drp = xp.multiply(dnp, ghn[r0:r1], out=di[:, :H])
            drp *= r
            xp.subtract(1.0, r, out=t)
            drp *= t
            dhh[:, :2 * H] = di[:, :2 * H]
            xp.multiply(dnp, r, out=dhh[:, 2 * H:])
            xp.multiply(dht, z, out=t)
            matmul(xp, dhh, w_hh, out=dht)
            dht += t
            if tick:
                tick()
    lg.run(dh.shape[0], 3 * H * H, rows)


# -- Elman RNN (tanh / relu) ---------------------------------------------------------

def rnn_forward(xp, proj, h0, w_hh, b_hh, bs, offs, order, relu):
    xg = proj.xg
    whhT = xp.ascontiguousarray(w_hh.T)
    hp = xp.empty((xg.shape[0], h0.shape[1]), xg.dtype)
    out = xp.empty_like(hp)
    h = h0.copy()

    def rows(lo, hi, need):
        for pos, (r0, r1, b) in enumerate(_steps(bs, offs, order, lo, hi)):
            if need:
                need(pos)
            hv = h[lo:b]
            hp[r0:r1] = hv
            o = out[r0:r1]
            matmul(xp, hv, whhT, out=o)
            o += xg[r0:r1]
            if b_hh is not None:
                o += b_hh
            if relu:
                xp.maximum(o, 0, out=o)
            else:
                xp.tanh(o, out=o)
            hv[...] = o
    proj.run(h0.shape[0], h0.shape[1] ** 2, rows)
    return out, h, (out, hp)


def rnn_backward(xp, saved, dout, dh, w_hh, bs, offs, order, relu, lg):
    out, hp = saved
    dg = xp.empty_like(out)
    lg.bind(dg, hp, dg)

    def rows(lo, hi, tick):
        for r0, r1, b in _steps(bs, offs, order, lo, hi):
            dht = dh[lo:b]
            dht += dout[r0:r1]
            d, o = dg[r0:r1], out[r0:r1]
            if relu:
                xp.multiply(dht, o > 0, out=d)
            else:
                xp.multiply(o, o, out=d)
                xp.subtract(1.0, d, out=d)
                d *= dht
            matmul(xp, d, w_hh, out=dht)
            if tick:
                tick()
    lg.run(dh.shape[0], hp.shape[1] ** 2, rows)
