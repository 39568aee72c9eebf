"""Convolution and transposed convolution (1-d, 2-d, 3-d, one N-d implementation).

Three kernels:

- stride 1, one group: the grid kernel (``_conv_grid``): one GEMM per chunk of samples,
  the kernel's trailing offsets stacked on the GEMM's rows, the samples laid out on the
  output's grid with no padding; for 1- and 3-channel inputs its per-sample mode (one
  batched GEMM per chunk straight into ``y``).
- otherwise, by the size P of one sample's output plane: P >= PER_SAMPLE_MIN_P,
  per-sample GEMMs. The columns of a few samples at a time (~2 MB) are built into a small
  reused buffer (padding applied per chunk; stride-1 columns as one contiguous slice per
  kernel offset, see ``_Columns``) and multiplied sample by sample, ``(O, C*K) @ (C*K,
  P)``, straight into ``y[n]``. The weight gradient rebuilds the columns the same way
  (nothing is kept from the forward). The chunks of samples are shared by ember's threads,
  each with single-threaded BLAS (``split_over_threads``).
- smaller planes: im2col of the whole batch (one strided view + one copy) and ONE wide GEMM
  (a batched GEMM over groups when ``groups > 1``); the columns are kept for the weight
  gradient.

1x1 convolutions skip im2col entirely: the GEMM runs on the input itself. The input
gradient is a transposed convolution: for stride 1 a grid convolution of the gradient with
the flipped kernel; strided, with a kernel a multiple of the stride, one grid convolution
per input phase (``_conv_phases``); otherwise a GEMM and a col2im that loops over kernel
offsets only. The three linear maps

    conv(x, w)  ->  y             (_ConvNd)
    conv_input(g, w)   -> gx      (_ConvInput, = conv_transpose)
    conv_weight(x, g)  -> gw      (_ConvWeight)

are each other's derivatives, so every order of backward works. Profile and measurements:
benchmarks/PROFILE_CONV.md.
"""
import math

from ..autograd.op import Op
from ._im2col import (ntuple, conv_out_size, pad_spatial, crop_spatial, im2col, col2im,
                      sample_windows, batch_chunks, kernel_offsets, window_slices,
                      split_over_threads, parallel_matmul, run_concurrently)
from ._conv_grid import grid_plan
from ._conv_phases import phase_input_gradient
from .reduce import sum_but_channels
from ._gemm import matmul

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]


# ---------------------------------------------------------------- raw-array kernels
# multiply-adds of one gradient (input or weight) between which the two run side by side,
# each on one thread
CONCURRENT_MIN_MACS = 1 << 26
CONCURRENT_MAX_MACS = 1 << 31


def _is_pointwise(ksize, plo, phi):
    return all(k == 1 for k in ksize) and not any(plo) and not any(phi)


# Two layouts. When the output plane of one sample is large (P >= PER_SAMPLE_MIN_P), the
# columns are built a few samples at a time into a small reused buffer and multiplied per
# sample ((O, CK) @ (CK, P) -> y[n] directly in (N, O, P) layout): the chunk is still in
# cache when the GEMM reads it, no output transpose is needed, nothing big is allocated, and
# OpenBLAS runs these GEMM shapes faster than one wide (O, CK) @ (CK, N*P). The weight
# gradient rebuilds the columns the same way (nothing is kept from the forward). For small
# planes one wide GEMM over the whole batch (column matrix (CK, N*P)) wins instead.
PER_SAMPLE_MIN_P = 64


# The weight gradient's per-sample GEMM sums over one sample's P output positions: for small
# planes that inner dimension is too short for BLAS (8x8, 256 channels, batch 32: 71 GFLOP/s)
# and one GEMM over the whole batch's columns wins.
WEIGHT_PER_SAMPLE_MIN_P = 256


def _per_sample(p):
    return p >= PER_SAMPLE_MIN_P


# Stride-1 columns in "padded-width" form: with the padded plane flattened, the column row
# of kernel offset k is ONE contiguous slice of it, starting at the flat offset of k, so the
# copy runs at memcpy speed (a plain im2col copies rows of only W_out elements). The GEMM
# then computes outputs for every column of the padded width (prod(Sp[1:]) instead of
# prod(O[1:]) per output row) and the extra ones are dropped: worth it while that waste is
# at most FLAT_MAX_WASTE.
FLAT_MAX_WASTE = 1.2
FLAT_WASTE_PER_CHANNEL = 12.0


class _Columns:
    """Per-sample column matrices of ``x`` for a batch chunk.

    ``get(a, e)`` returns the contiguous ``(e - a, C, *K, L)`` columns of samples ``a:e``
    (``L`` = ``ext[0] * ... * ext[-1]`` output positions, see ``ext``). With padding (or in
    flat mode) each chunk is first copied into the interior of a small zero-bordered buffer
    (the border is zeroed once), so no padded copy of the whole batch is ever made.

    ``ext`` is the per-sample output grid the columns describe: ``osize`` normally, and
    ``(O_0, *Sp[1:])`` in flat mode (the entries ``[..., :O_1, :O_2, ...]`` are the real
    outputs; the others are garbage to drop, or multiplied by zeros in the weight
    gradient)."""

    def __init__(self, xp, x, plo, phi, ksize, osize, stride, dilation, out_channels):
        self._args = (xp, x, plo, phi, ksize, osize, stride, dilation, out_channels)
        n, c = x.shape[:2]
        self.x = x
        self.xp = xp
        self.buf = None
        psize = tuple(s + a + b for s, a, b in zip(x.shape[2:], plo, phi))
        nk = math.prod(ksize)
        # the extra GEMM work, (waste - 1) * out_channels per column element, against the
        # copy time saved: break-even near waste 1 + 12 / out_channels
        limit = min(FLAT_MAX_WASTE, 1.0 + FLAT_WASTE_PER_CHANNEL / max(1, out_channels))
        self.flat = (all(s == 1 for s in stride)
                     and math.prod(psize[1:]) <= limit * math.prod(osize[1:]))
        if self.flat:
            self.ext = (osize[0],) + psize[1:]
            length = math.prod(self.ext)
            sf = [math.prod(psize[i + 1:]) for i in range(len(psize))]
            tail = sum((k - 1) * d * f for k, d, f in zip(ksize[1:], dilation[1:], sf[1:]))
            self.chunks = batch_chunks(n, c * nk * length * x.itemsize)
            self.nb = nb = self.chunks[0][1]
            plane = math.prod(psize)
            pbuf = xp.zeros((nb, c, plane + tail), dtype=x.dtype)
            self.inner = crop_spatial(pbuf[:, :, :plane].reshape((nb, c) + psize), plo,
                                      x.shape[2:])
            it = x.itemsize
            self.view = xp.lib.stride_tricks.as_strided(
                pbuf, shape=(nb, c) + tuple(ksize) + (length,),
                strides=pbuf.strides[:2] + tuple(d * f * it for d, f in zip(dilation, sf))
                + (it,))
            self.padded = True
            return
        self.ext = tuple(osize)
        self.chunks = batch_chunks(n, c * nk * math.prod(osize) * x.itemsize)
        self.nb = nb = self.chunks[0][1]
        self.padded = any(plo) or any(phi)
        if self.padded:
            pbuf = xp.zeros((nb, c) + psize, dtype=x.dtype)
            self.inner = crop_spatial(pbuf, plo, x.shape[2:])
            self.view = sample_windows(xp, pbuf, ksize, osize, stride, dilation)
        else:
            self.view = sample_windows(xp, x, ksize, osize, stride, dilation)

    def clone(self):
        """Same columns, own buffers (for another thread)."""
        return _Columns(*self._args)

    def get(self, a, e):
        m = e - a
        if self.padded:
            self.inner[:m] = self.x[a:e]
            src = self.view[:m]
        else:
            src = self.view[a:e]
            if src.flags.c_contiguous:       # 1x1 stride-1 kernels: x itself
                return src
        if self.buf is None:
            self.buf = self.xp.empty((self.chunks[0][1],) + self.view.shape[1:],
                                     dtype=self.x.dtype)
        cb = self.buf[:m]
        cb[...] = src
        return cb


def _real(a, osize):
    """The real outputs ``a[..., :O_1, :O_2, ...]`` of an ``(..., *ext)`` array."""
    return a[(Ellipsis,) + tuple(slice(0, o) for o in osize[1:])] if len(osize) > 1 else a


def _forward_per_sample(xp, x, w, b, plo, phi, ksize, osize, stride, dilation, g):
    """y = conv(x, w) + b, columns built chunk by chunk."""
    n, c = x.shape[:2]
    o = w.shape[0]
    og = o // g
    osize = tuple(osize)
    cols0 = _Columns(xp, x, plo, phi, ksize, osize, stride, dilation, o)
    ext = cols0.ext
    lp = math.prod(ext)
    kp = c // g * math.prod(ksize)
    y = xp.empty((n, o) + osize, dtype=x.dtype)
    direct = ext == osize
    y3 = y.reshape(n, o, lp) if direct else None
    wg = w.reshape(o, kp) if g == 1 else w.reshape(g, og, kp)
    bias = None if b is None else b.reshape((o,) + (1,) * len(osize))

    def run(chunks):
        cols = cols0 if chunks[0] == cols0.chunks[0] else cols0.clone()
        tmp = None if direct else xp.empty((cols.nb, o, lp), dtype=x.dtype)
        for a, e in chunks:
            m = e - a
            cb = cols.get(a, e)
            dst = y3[a:e] if direct else tmp[:m]
            if g == 1:
                matmul(xp, wg, cb.reshape(m, kp, lp), out=dst)
            else:
                matmul(xp, wg, cb.reshape(m, g, kp, lp), out=dst.reshape(m, g, og, lp))
            if not direct:
                if bias is not None:
                    xp.add(_real(dst.reshape((m, o) + ext), osize), bias, out=y[a:e])
                else:
                    y[a:e] = _real(dst.reshape((m, o) + ext), osize)
            elif bias is not None:
                y[a:e] += bias
    split_over_threads(xp, cols0.chunks, run)
    return y


def _weight_per_sample(xp, x, gy, wshape, plo, phi, stride, dilation, g):
    """dL/dw = sum_n gy[n] @ cols[n].T, the columns of x rebuilt chunk by chunk."""
    n, c = x.shape[:2]
    o = wshape[0]
    og = o // g
    ksize = tuple(wshape[2:])
    osize = tuple(gy.shape[2:])
    kp = c // g * math.prod(ksize)
    cols0 = _Columns(xp, x, plo, phi, ksize, osize, stride, dilation, o)
    ext = cols0.ext
    lp = math.prod(ext)
    nb = cols0.nb

    def run(chunks):
        cols = cols0 if chunks[0] == cols0.chunks[0] else cols0.clone()
        if ext == osize:
            gyt = gy.reshape(n, g, og, lp)                     # (N, G, O/G, P), a view
            gext = None
        else:          # gy in the zero-padded output grid of the columns
            gext = xp.zeros((nb, o) + ext, dtype=gy.dtype)
            gin = _real(gext, osize)
            gyt = gext.reshape(nb, g, og, lp)
        sums = []          # one partial sum per chunk: the chunks, not the threads, fix the
        tmp = xp.empty((nb, g, og, kp), dtype=gy.dtype)   # order of the additions
        for a, e in chunks:
            m = e - a
            t = tmp[:m]
            if gext is None:
                gm = gyt[a:e]
            else:
                gin[:m] = gy[a:e]
                gm = gyt[:m]
            # gy_n @ cols_n.T, in the gradient's own (O, C*K) orientation: the other one
            # needed a transposing copy of the result as slow as the GEMMs
            matmul(xp, gm, cols.get(a, e).reshape(m, g, kp, lp).swapaxes(2, 3), out=t)
            sums.append(t[0].copy() if m == 1 else t.sum(axis=0))
        return sums
    # the same sum in the same order whatever the thread count (or the machine's load,
    # which can drop ember to one thread): training is reproducible bit for bit
    sums = [s for part in split_over_threads(xp, cols0.chunks, run) for s in part]
    gw = xp.empty(wshape, dtype=gy.dtype)
    acc = gw.reshape(g, og, kp)
    acc[...] = sums[0]
    for more in sums[1:]:
        acc += more
    return gw


def _input_per_sample(xp, gy, w, pshape, ksize, stride, dilation, g):
    """Padded dL/dx of conv via a per-sample GEMM (W^T gy[n]) and a col2im per chunk."""
    n, o = gy.shape[:2]
    c = pshape[1]
    og = o // g
    osize = tuple(gy.shape[2:])
    p = math.prod(osize)
    kp = c // g * math.prod(ksize)
    wt = w.reshape(g, og, kp).swapaxes(1, 2)               # (G, C/G*K, O/G), a view
    gy4 = gy.reshape(n, g, og, p)
    gpad = xp.zeros(pshape, dtype=gy.dtype)
    chunks = batch_chunks(n, c * math.prod(ksize) * p * gy.itemsize)
    disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, ksize))
    view = sample_windows(xp, gpad, ksize, osize, stride, dilation) if disjoint else None
    offsets = list(kernel_offsets(ksize))
    head = (slice(None), slice(None))

    def run(part):
        buf = xp.empty((chunks[0][1], g, kp, p), dtype=gy.dtype)
        for a, e in part:
            m = e - a
            cb = buf[:m]
            matmul(xp, wt, gy4[a:e], out=cb)
            cols = cb.reshape((m, c) + tuple(ksize) + osize)
            if disjoint:
                view[a:e] = cols
                continue
            dst = gpad[a:e]
            for off in offsets:
                dst[head + window_slices(off, osize, stride, dilation)] += cols[head + off]
    split_over_threads(xp, chunks, run)
    return gpad


def _batched_matmul(xp, a, b, out_shape, dtype):
    """``matmul(a, b)`` with ``b`` batched over samples (axis 0), the samples split over
    threads (see ``split_over_threads``) rather than every per-sample GEMM over BLAS's."""
    n = b.shape[0]
    out = xp.empty(out_shape, dtype=dtype)
    if xp.__name__ != "numpy" or n < 2:
        return matmul(xp, a, b, out=out)
    step = max(1, n // 8)

    def run(part):
        for s0, s1 in part:
            matmul(xp, a, b[s0:s1], out=out[s0:s1])
    split_over_threads(xp, [(i, min(i + step, n)) for i in range(0, n, step)], run)
    return out


def _conv_forward(xp, x, w, b, stride, plo, phi, dilation, groups, osize=None):
    """y = conv(x, w) + b on raw arrays; returns (y, col) (col None unless the wide-GEMM
    path built a whole-batch column matrix the weight gradient can reuse)."""
    n, c = x.shape[:2]
    o = w.shape[0]
    ksize = w.shape[2:]
    g = groups
    cg, og = c // g, o // g
    if osize is None:
        osize = tuple(conv_out_size(s, k, st, a, bb, d) for s, k, st, a, bb, d
                      in zip(x.shape[2:], ksize, stride, plo, phi, dilation))
    p = math.prod(osize)
    if _is_pointwise(ksize, plo, phi):
        if any(s != 1 for s in stride):
            x = x[(slice(None), slice(None)) + tuple(slice(0, s * (m - 1) + 1, s)
                                                     for s, m in zip(stride, osize))]
        x = x[(slice(None), slice(None)) + tuple(slice(0, m) for m in osize)]
        xm = x.reshape(n, g, cg, p)
        y = _batched_matmul(xp, w.reshape(g, og, cg), xm, (n, g, og, p), x.dtype)
        y = y.reshape((n, o) + tuple(osize))
        if b is not None:
            y += b.reshape((o,) + (1,) * len(osize))
        return y, None
    plan = grid_plan(x.shape, ksize, plo, stride, dilation, g, osize, x.itemsize)
    if plan is not None:
        return plan.forward(xp, x, w, b), None
    if _per_sample(p):
        return _forward_per_sample(xp, x, w, b, plo, phi, ksize, osize, stride, dilation,
                                   g), None
    xpad = pad_spatial(xp, x, plo, phi)
    col = im2col(xp, xpad, ksize, osize, stride, dilation)
    kp = cg * math.prod(ksize)
    if g == 1:
        y = parallel_matmul(xp, w.reshape(o, kp), col.reshape(kp, n * p))
    else:
        y = matmul(xp, w.reshape(g, og, kp), col.reshape(g, kp, n * p)).reshape(o, n * p)
    if b is not None:
        y += b[:, None]
    y = y.reshape((o, n) + tuple(osize))
    return xp.ascontiguousarray(y.swapaxes(0, 1)), col


def _channel_major(xp, a, g):
    """(N, C, *S) -> contiguous (G, C/G, N*prod(S))."""
    n, c = a.shape[:2]
    t = xp.ascontiguousarray(a.swapaxes(0, 1))
    return t.reshape(g, c // g, -1)


def _conv_weight(xp, x, gy, col, wshape, stride, plo, phi, dilation, groups):
    """dL/dw of conv given x (or its columns) and dL/dy."""
    ksize = tuple(wshape[2:])
    g = groups
    osize = tuple(gy.shape[2:])
    if col is None and not _is_pointwise(ksize, plo, phi):
        plan = grid_plan(x.shape, ksize, plo, stride, dilation, g, osize, x.itemsize)
        if plan is not None and plan.weight_pays:
            return plan.weight(xp, x, gy, wshape)
    if col is None and math.prod(osize) >= WEIGHT_PER_SAMPLE_MIN_P:
        return _weight_per_sample(xp, x, gy, wshape, plo, phi, stride, dilation, g)
    gt = _channel_major(xp, gy, g)                        # (G, O/G, N*P)
    if _is_pointwise(ksize, plo, phi):
        xs = x[(slice(None), slice(None)) + tuple(slice(0, s * (m - 1) + 1, s)
                                                  for s, m in zip(stride, osize))]
        cols = _channel_major(xp, xs, g)                  # (G, C/G, N*P)
    else:
        if col is None:
            col = im2col(xp, pad_spatial(xp, x, plo, phi), ksize, osize, stride, dilation)
        cols = col.reshape(g, -1, gt.shape[2])
    # (O, NP) @ (NP, CK) straight into the gradient: the (CK, NP) @ (NP, O) orientation ran
    # its GEMM a little faster but its transpose to (O, CK) cost more than the GEMM (ResNet's
    # 4x4 stage, 512 -> 512 channels, batch 32: 35 against 15 ms)
    gw = xp.empty(wshape, dtype=gy.dtype)
    if g == 1:
        parallel_matmul(xp, gt[0], cols[0].T, out=gw.reshape(wshape[0], -1))
    else:
        matmul(xp, gt, cols.swapaxes(1, 2), out=gw.reshape(g, wshape[0] // g, -1))
    return gw


def _conv_input(xp, gy, w, b, in_size, stride, plo, phi, dilation, groups):
    """Transposed convolution: dL/dx of conv(x, w) given dL/dy, x spatial size in_size."""
    n, o = gy.shape[:2]
    c = w.shape[1] * groups
    ksize = tuple(w.shape[2:])
    g = groups
    og, cg = o // g, c // g
    osize = tuple(gy.shape[2:])
    p = math.prod(osize)
    tlo = tuple(d * (k - 1) - a for d, k, a in zip(dilation, ksize, plo))
    thi = tuple(sz - m - a + d * (k - 1) for sz, m, a, d, k in zip(in_size, osize, tlo, dilation, ksize))
    if _is_pointwise(ksize, plo, phi) and all(s == 1 for s in stride) and \
            tuple(in_size) == osize:
        gx = _batched_matmul(xp, w.reshape(g, og, cg).swapaxes(1, 2), gy.reshape(n, g, og, p),
                             (n, g, cg, p), gy.dtype)
        gx = gx.reshape((n, c) + osize)
    elif all(s == 1 for s in stride) and min(tlo + thi) >= 0 and (
            (plan := grid_plan(gy.shape, ksize, tlo, stride, dilation, g, tuple(in_size),
                               gy.itemsize)) is not None):
        # stride 1: the transposed conv is a conv of gy with the flipped, transposed kernel,
        # run by the grid kernel straight from w (no flipped copy of it)
        gx = plan.forward(xp, gy, None, None, wst=plan.flipped_weight_matrix(xp, w))
    elif all(s == 1 for s in stride) and min(tlo + thi) >= 0 and \
            o * math.prod(in_size) <= c * p:
        # the same with conv.py's other kernels when gy has fewer channels than x (im2col +
        # GEMM beats GEMM + col2im: the col2im adds are the slow part)
        flip = (slice(None),) * 3 + (slice(None, None, -1),) * len(ksize)
        wf = w.reshape((g, og, cg) + ksize)[flip].swapaxes(1, 2).reshape((c, og) + ksize)
        gx, _ = _conv_forward(xp, gy, xp.ascontiguousarray(wf), None, stride, tlo, thi,
                              dilation, g, tuple(in_size))
    elif g == 1 and any(s > 1 for s in stride) and all(d == 1 for d in dilation) and (
            (phased := phase_input_gradient(xp, gy, w, in_size, stride, plo)) is not None):
        # strided: one stride-1 grid convolution per phase of the input (_conv_phases)
        gx = phased
    else:
        pshape = (n, c) + tuple(s + a + bb for s, a, bb in zip(in_size, plo, phi))
        if _per_sample(p):
            gpad = _input_per_sample(xp, gy, w, pshape, ksize, stride, dilation, g)
        else:
            gt = _channel_major(xp, gy, g)                     # (G, O/G, N*P)
            wt = w.reshape(g, og, -1).swapaxes(1, 2)           # (G, C/G*K, O/G)
            if g == 1:
                gcol = parallel_matmul(xp, wt[0], gt[0])
            else:
                gcol = matmul(xp, wt, gt)
            gcol = gcol.reshape((c,) + ksize + (n,) + osize)
            gpad = col2im(xp, gcol, pshape, ksize, osize, stride, dilation)
        gx = xp.ascontiguousarray(crop_spatial(gpad, plo, in_size))
    if b is not None:
        gx += b.reshape((c,) + (1,) * len(in_size))
    return gx


# ---------------------------------------------------------------- autograd ops
def _params(fn):
    return dict(stride=fn.stride, plo=fn.plo, phi=fn.phi, dilation=fn.dilation,
                groups=fn.groups, opname=fn.opname)


class _ConvNd(Op):
    """y = conv(x, w) + b. Params: stride, plo, phi, dilation, groups, opname, osize."""
    torch_name = "Convolution"
    osize = None

    def forward(self, x, w, b):
        y, col = _conv_forward(self.xp, x, w, b, self.stride, self.plo, self.phi,
                               self.dilation, self.groups, self.osize)
        self.save_for_backward(x, w)
        if self.needs_input_grad[1] and col is not None:
            self._col = col
        self.in_size = x.shape[2:]
        return y

    def backward(self, gy):
        x, w = self.saved_tensors
        col = self.__dict__.pop("_col", None)
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = _ConvInput.apply(gy, w, None, in_size=self.in_size, **_params(self))
        if need[1]:
            gw = _ConvWeight.apply(x, gy, col=col, wshape=tuple(w.shape), **_params(self))
        if need[2]:
            gb = gy.sum(dim=(0,) + tuple(range(2, gy.ndim)))
        return gx, gw, gb

    def backward_raw(self, gy):
        """The same gradients on raw arrays (no graph being recorded): the kernels of
        ``_ConvInput`` and ``_ConvWeight``, side by side on ember's threads when both are
        needed and each is big enough (``CONCURRENT_MIN_MACS`` .. ``CONCURRENT_MAX_MACS``)."""
        x, w = self.saved_arrays
        col = self.__dict__.pop("_col", None)
        need = self.needs_input_grad
        xp = self.xp
        tasks = []
        if need[0]:
            tasks.append(lambda: _conv_input(xp, gy, w, None, self.in_size, self.stride,
                                             self.plo, self.phi, self.dilation, self.groups))
        if need[1]:
            tasks.append(lambda: _conv_weight(xp, x, gy, col, tuple(w.shape), self.stride,
                                              self.plo, self.phi, self.dilation, self.groups))
        macs = gy.size * w[0].size          # w[0]: one output channel's C/G * K weights
        if CONCURRENT_MIN_MACS <= macs <= CONCURRENT_MAX_MACS:
            done = run_concurrently(xp, tasks)
        else:
            done = [task() for task in tasks]
        gx = done.pop(0) if need[0] else None
        gw = done.pop(0) if need[1] else None
        gb = sum_but_channels(xp, gy) if need[2] else None
        return gx, gw, gb

    def name(self):
        return "ConvolutionBackward0"


class _ConvInput(Op):
    """gx = conv_transpose(gy, w) + b (the input gradient of conv). Params: in_size, ..."""

    def forward(self, gy, w, b):
        self.save_for_backward(gy, w)
        return _conv_input(self.xp, gy, w, b, self.in_size, self.stride, self.plo, self.phi,
                           self.dilation, self.groups)

    def backward(self, ggx):
        gy, w = self.saved_tensors
        need = self.needs_input_grad
        ggy = gw = gb = None
        if need[0]:
            ggy = _ConvNd.apply(ggx, w, None, osize=tuple(gy.shape[2:]), **_params(self))
        if need[1]:
            gw = _ConvWeight.apply(ggx, gy, col=None, wshape=tuple(w.shape), **_params(self))
        if need[2]:
            gb = ggx.sum(dim=(0,) + tuple(range(2, ggx.ndim)))
        return ggy, gw, gb

    def name(self):
        return "ConvolutionBackward0"


class _ConvWeight(Op):
    """gw = dL/dw of conv(x, w) given gy. Params: col (or None), wshape, ..."""

    def forward(self, x, gy):
        self.save_for_backward(x, gy)
        col, self.col = self.col, None
        return _conv_weight(self.xp, x, gy, col, self.wshape, self.stride, self.plo,
                            self.phi, self.dilation, self.groups)

    def backward(self, ggw):
        x, gy = self.saved_tensors
        need = self.needs_input_grad
        gx = ggy = None
        if need[0]:
            gx = _ConvInput.apply(gy, ggw, None, in_size=tuple(x.shape[2:]), **_params(self))
        if need[1]:
            ggy = _ConvNd.apply(x, ggw, None, osize=tuple(gy.shape[2:]), **_params(self))
        return gx, ggy

    def name(self):
        return "ConvolutionBackwardBackward0"


# ---------------------------------------------------------------- argument checking
def _shape(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _check_common(opname, x, w, b, nd, groups):
    if not hasattr(x, "_data") or not hasattr(w, "_data"):
        raise TypeError(f"{opname}: input and weight must be Tensors, got "
                        f"{type(x).__name__} and {type(w).__name__}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{opname}: groups must be a positive int, got {groups!r}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"{opname}: expected a {nd + 2}-D weight, got weight of shape "
                           f"{tuple(w.shape)}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{opname}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                           f"input, got input of shape {tuple(x.shape)}")
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        raise RuntimeError(f"{opname}: input ({x.dtype}), weight ({w.dtype})"
                           + (f" and bias ({b.dtype})" if b is not None else "")
                           + " must have the same dtype")
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{opname}: expected a floating point input, got {x.dtype}")


def _conv_padding(opname, padding, nd, ksize, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{opname}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            tot = [d * (k - 1) for d, k in zip(dilation, ksize)]
            lo = tuple(t // 2 for t in tot)
            return lo, tuple(t - a for t, a in zip(tot, lo))
        raise ValueError(f"{opname}: invalid padding string {padding!r}, should be one of "
                         "'valid' or 'same'")
    p = ntuple(padding, nd, "padding", opname)
    if any(v < 0 for v in p):
        raise ValueError(f"{opname}: padding must be non-negative, got {padding!r}")
    return p, p


def _positive(opname, name, value, nd):
    t = ntuple(value, nd, name, opname)
    if any(v < 1 for v in t):
        raise ValueError(f"{opname}: {name} must be positive, got {value!r}")
    return t


def _unbatch(x, nd):
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    return x, False


def _convnd(nd, x, weight, bias, stride, padding, dilation, groups):
    opname = f"conv{nd}d"
    _check_common(opname, x, weight, bias, nd, groups)
    stride = _positive(opname, "stride", stride, nd)
    dilation = _positive(opname, "dilation", dilation, nd)
    ksize = tuple(weight.shape[2:])
    plo, phi = _conv_padding(opname, padding, nd, ksize, stride, dilation)
    x, unb = _unbatch(x, nd)
    o, cg = weight.shape[:2]
    if o % groups:
        raise RuntimeError(f"{opname}: out_channels of weight of shape {tuple(weight.shape)} "
                           f"must be divisible by groups={groups}")
    if x.shape[1] != cg * groups:
        raise RuntimeError(f"{opname}: expected input{_shape(x)} to have {cg * groups} channels "
                           f"(weight of shape {tuple(weight.shape)}, groups={groups}), got "
                           f"{x.shape[1]}")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{opname}: expected bias of shape ({o},), got {tuple(bias.shape)}")
    padded = tuple(s + a + b for s, a, b in zip(x.shape[2:], plo, phi))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, ksize))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"{opname}: kernel size {ksize} (dilated: {eff}) can't be greater "
                           f"than the padded input size {padded} (input{_shape(x)}, padding "
                           f"{padding!r})")
    y = _ConvNd.apply(x, weight, bias, stride=stride, plo=plo, phi=phi, dilation=dilation,
                      groups=groups, opname=opname)
    return y.squeeze(0) if unb else y


def _conv_transposend(nd, x, weight, bias, stride, padding, output_padding, groups, dilation,
                      output_size=None):
    opname = f"conv_transpose{nd}d"
    _check_common(opname, x, weight, bias, nd, groups)
    stride = _positive(opname, "stride", stride, nd)
    dilation = _positive(opname, "dilation", dilation, nd)
    if isinstance(padding, str):
        raise ValueError(f"{opname}: padding must be an int or a tuple, got {padding!r}")
    pad = ntuple(padding, nd, "padding", opname)
    if any(v < 0 for v in pad):
        raise ValueError(f"{opname}: padding must be non-negative, got {padding!r}")
    opad = ntuple(output_padding, nd, "output_padding", opname)
    for op_, s, d in zip(opad, stride, dilation):
        if op_ < 0 or op_ >= max(s, d):
            raise ValueError(f"{opname}: output_padding {opad} must be smaller than either "
                             f"stride {stride} or dilation {dilation}")
    x, unb = _unbatch(x, nd)
    cin, og = weight.shape[:2]
    if cin % groups:
        raise RuntimeError(f"{opname}: in_channels of weight of shape {tuple(weight.shape)} "
                           f"must be divisible by groups={groups}")
    if x.shape[1] != cin:
        raise RuntimeError(f"{opname}: expected input{_shape(x)} to have {cin} channels "
                           f"(weight of shape {tuple(weight.shape)}), got {x.shape[1]}")
    c = og * groups
    if bias is not None and tuple(bias.shape) != (c,):
        raise RuntimeError(f"{opname}: expected bias of shape ({c},), got {tuple(bias.shape)}")
    ksize = tuple(weight.shape[2:])
    insz = x.shape[2:]
    size = tuple((i - 1) * s - 2 * p + d * (k - 1) + op_ + 1 for i, s, p, d, k, op_
                 in zip(insz, stride, pad, dilation, ksize, opad))
    if output_size is not None:
        want = tuple(int(v) for v in output_size)[-nd:]
        if len(want) != nd:
            raise ValueError(f"{opname}: output_size must have {nd} or {nd + 2} elements, "
                             f"got {output_size!r}")
        for wv, sv, s, d in zip(want, size, stride, dilation):
            if not sv <= wv < sv + max(s, d):
                raise ValueError(f"{opname}: requested an output size of {want}, but valid "
                                 f"sizes range from {size} to "
                                 f"{tuple(v + max(s, d) - 1 for v, s, d in zip(size, stride, dilation))}"
                                 f" (for an input of {tuple(insz)})")
        size = want
    if any(v < 1 for v in size):
        raise RuntimeError(f"{opname}: computed output size {size} is too small (input"
                           f"{_shape(x)}, weight {tuple(weight.shape)}, padding {pad})")
    y = _ConvInput.apply(x, weight, bias, in_size=size, stride=stride, plo=pad, phi=pad,
                         dilation=dilation, groups=groups, opname=opname)
    return y.squeeze(0) if unb else y


# ---------------------------------------------------------------- public functions
_CONV_DOC = """Applies a {nd}-D convolution over an input of several planes (cross-correlation,
as in PyTorch).

Args:
    input: ``(N, C_in, {dims})`` or unbatched ``(C_in, {dims})``.
    weight: ``(C_out, C_in / groups, {kdims})``.
    bias: optional ``(C_out,)``.
    stride: int or tuple. Default 1.
    padding: int, tuple, ``'valid'`` (no padding) or ``'same'`` (output as large as the
        input; stride must be 1; odd total padding puts the extra element at the end).
        Zero padding. Default 0.
    dilation: spacing between kernel elements. Default 1.
    groups: split input and output channels into this many groups. Default 1.

Shape:
    Output ``(N, C_out, {odims})`` with ``O = floor((S + 2p - d(k-1) - 1)/s) + 1``.

Example:
    >>> x = ember.randn(8, 3, {ex})
    >>> w = ember.randn(16, 3, {kex})
    >>> F.conv{nd}d(x, w, padding=1).shape
"""

_CONVT_DOC = """Applies a {nd}-D transposed convolution (the gradient of conv{nd}d with
respect to its input; sometimes called "deconvolution").

Args:
    input: ``(N, C_in, {dims})`` or unbatched.
    weight: ``(C_in, C_out / groups, {kdims})``.
    bias: optional ``(C_out,)``.
    stride, padding, dilation, groups: as for the matching convolution.
    output_padding: extra size added on one side of each output dim (< stride or dilation).

Shape:
    Output ``(N, C_out, {odims})`` with ``O = (S - 1)s - 2p + d(k-1) + output_padding + 1``.

Example:
    >>> x = ember.randn(8, 16, {ex})
    >>> w = ember.randn(16, 3, {kex})
    >>> F.conv_transpose{nd}d(x, w, stride=2, padding=1, output_padding=1).shape
"""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


_EX = {1: ("L", "kL", "L_out", "32", "3"), 2: ("H, W", "kH, kW", "H_out, W_out", "32, 32", "3, 3"),
       3: ("D, H, W", "kD, kH, kW", "D_out, H_out, W_out", "8, 16, 16", "3, 3, 3")}
for _nd, _f in ((1, conv1d), (2, conv2d), (3, conv3d)):
    _d = _EX[_nd]
    _f.__doc__ = _CONV_DOC.format(nd=_nd, dims=_d[0], kdims=_d[1], odims=_d[2], ex=_d[3],
                                  kex=_d[4])
for _nd, _f in ((1, conv_transpose1d), (2, conv_transpose2d), (3, conv_transpose3d)):
    _d = _EX[_nd]
    _f.__doc__ = _CONVT_DOC.format(nd=_nd, dims=_d[0], kdims=_d[1], odims=_d[2], ex=_d[3],
                                   kex=_d[4])


def pad_indexed(x, lo, hi, mode, opname="pad"):
    """Pad the last ``len(lo)`` dims with 'reflect', 'replicate' or 'circular' values (a
    per-dim index gather; differentiable). Used by convolutions' ``padding_mode``."""
    import numpy as np
    from .upsample import _Nearest
    nd = len(lo)
    idxs = []
    for i, (a, b) in enumerate(zip(lo, hi)):
        size = x.shape[x.ndim - nd + i]
        if a == 0 and b == 0:
            idxs.append(None)
            continue
        j = np.arange(-a, size + b)
        if mode == "reflect":
            if a >= size or b >= size:
                raise RuntimeError(f"{opname}: padding ({a}, {b}) should be smaller than the "
                                   f"input size {size} for reflect padding (input of shape "
                                   f"{tuple(x.shape)})")
            j = np.abs(j)
            j = np.where(j >= size, 2 * (size - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, size - 1)
        elif mode == "circular":
            if a > size or b > size:
                raise RuntimeError(f"{opname}: padding ({a}, {b}) must be at most the input "
                                   f"size {size} for circular padding")
            j = j % size
        else:
            raise ValueError(f"{opname}: unknown padding mode {mode!r}")
        idxs.append(j)
    if all(i is None for i in idxs):
        return x
    return _Nearest.apply(x, idxs=tuple(idxs))
