"""Stride-1 convolution as one large GEMM per chunk of samples ("stacked" kernel).

The chunk's samples are copied, zero-padded, into one flat buffer per channel,
``P[c, n * stride + flat(s)]`` (consecutive samples share their zero rows along the first
spatial dim, so ``stride`` is a little less than the padded plane's size). In that layout a kernel
offset ``k`` is a *shift* of the flat index: output ``q`` reads ``P[c, q + shift(k)]``, with
``shift(k) = sum_i k_i * dilation_i * sf_i`` (``sf`` the flat strides of the padded plane). So

    y[o, q] = sum_{c, k} W[o, c, k] * P[c, q + shift(k)]

and the kernel dims are split in two groups:

- the leading dims ``k_col`` (at least the first one) are expanded as **columns**,
  ``cols[(c, k_col), r] = P[c, r + shift(k_col)]``: each column row is ONE contiguous slice
  of ``P`` (a memcpy, not the strided copy of an im2col);
- the trailing dims ``k_stack`` (at least the last one, unless the channels are few) are
  **stacked** on the GEMM's rows: one GEMM ``Z = W_stacked (KS*O, C*K_col) @ cols
  (C*K_col, N)`` computes every partial sum, and the output adds the ``KS`` row blocks of
  ``Z``, each read at its own shift: ``y[o, q] = sum_{k_stack} Z[k_stack, o, q +
  shift(k_stack)]``. The trailing dims have the smallest shifts (the last one's is
  ``k * dilation`` elements), so the GEMM computes only a few columns more than the
  outputs need.

For a 2-D 4x4 convolution with 64 channels that is a 256x256 @ 256xN GEMM (OpenBLAS ~175
GFLOP/s on one core here) instead of im2col's 64x1024 @ 1024xN (~145) over four times as
many column bytes. The outputs at padded positions (and between samples) are computed and
dropped: the plan is only used while that waste stays below ``MAX_WASTE``. Columns are
taken over more kernel dims when the channels are few (``MIN_GEMM_K``), up to a plain
flat im2col (``k_stack`` empty) for e.g. a 1-channel input.

The weight gradient uses the same columns: ``dW[o, c, k_col, k_stack] = sum_r gy[o, r] *
cols[(c, k_col), r + shift(k_stack)]``, one GEMM per stacked offset with the chunk's samples
summed inside it (gy is written into a zeroed copy of the flat layout, so padded positions
contribute nothing). The chunks depend on the shapes only, and their partial sums are added
in chunk order: the result does not depend on the number of threads.

Everything goes through ``xp`` (NumPy or CuPy). Measurements: benchmarks/PROFILE_CONV.md.
"""
import math

from ._im2col import batch_chunks, kernel_offsets, split_over_threads

__all__ = ["stacked_plan", "stacked_forward", "stacked_weight", "stacked_weight_matrix",
           "unstack_weight_grad"]

# computed outputs per real output (padding positions, rows between samples) above which the
# plain per-sample kernels of conv.py win
MAX_WASTE = 1.3
# expand columns over more kernel dims while the GEMM's inner dimension C*K_col is below this
MIN_GEMM_K = 64
# below this inner dimension (e.g. a 1-channel 3x3 input: 9) the GEMMs are too thin for the
# stacked kernel to win; conv.py's per-sample kernels run those
MIN_STACKED_K = 64
# one sample per chunk (when several would waste too much) only for output planes at least
# this big: below it the per-sample GEMMs are too narrow
MIN_SINGLE_P = 128


class StackedPlan:
    """Layout of the stacked kernel for one convolution shape (see the module doc)."""

    def __init__(self, xshape, ksize, plo, phi, dilation, osize, itemsize):
        n, c = xshape[:2]
        nd = len(ksize)
        self.c = c
        self.psize = psize = tuple(s + a + b for s, a, b in zip(xshape[2:], plo, phi))
        self.insize = tuple(xshape[2:])
        self.plo = tuple(plo)
        self.osize = tuple(osize)
        self.plane = math.prod(psize)
        self.sf = sf = [math.prod(psize[i + 1:]) for i in range(nd)]
        # consecutive samples share their zero rows along the first spatial dim: sample n
        # starts sstride elements after sample n-1, max(pad) rows apart instead of 2 pads
        self.sstride = (xshape[2] + max(plo[0], phi[0])) * sf[0]
        j = 1               # columns over kernel dims [0, j), stacked over [j, nd)
        while j < nd and c * math.prod(ksize[:j]) < MIN_GEMM_K:
            j += 1
        self.kcol = tuple(ksize[:j])
        self.stack = tuple(ksize[j:])
        self.col_steps = tuple(d * f for d, f in zip(dilation[:j], sf[:j]))
        self.shifts = [sum(k * d * f for k, d, f in zip(off, dilation[j:], sf[j:]))
                       for off in kernel_offsets(self.stack)]
        self.kl = len(self.shifts)
        self.ck = c * math.prod(self.kcol)
        self.last = sum((o - 1) * f for o, f in zip(osize, sf))   # flat index of the last output
        self.chunks = batch_chunks(n, self.ck * self.sstride * itemsize)
        self.m = self.chunks[0][1]
        p = math.prod(osize)
        self.waste = self.width(self.m) / (self.m * p)
        if self.waste > MAX_WASTE and self.m > 1 and p >= MIN_SINGLE_P:
            # the padding rows between samples cost too much (a 5x5 kernel on 14x14):
            # one sample per chunk wastes only the padded width
            self.chunks = [(a, a + 1) for a in range(n)]
            self.m = 1
            self.waste = self.width(1) / p

    def forward(self, xp, x, w, b):
        return stacked_forward(xp, x, w, b, self)

    def weight(self, xp, x, gy, wshape):
        return stacked_weight(xp, x, gy, wshape, self)

    def reach(self, m):
        """Flat positions of a chunk of ``m`` samples that hold real outputs: ``[0, reach)``."""
        return (m - 1) * self.sstride + self.last + 1

    def width(self, m):
        """Columns of the chunk's GEMM (the reach plus the largest stacked shift)."""
        return self.reach(m) + self.shifts[-1]

    def buffers(self, xp, dtype):
        """Per-thread buffers: the zero-bordered flat input and the columns."""
        pbuf = xp.zeros((self.c, (self.m - 1) * self.sstride + self.plane), dtype=dtype)
        cbuf = xp.empty(self.ck * self.width(self.m), dtype=dtype)
        return pbuf, cbuf

    def columns(self, xp, bufs, x, a, e):
        """The ``(C*K_col, width)`` columns of samples ``a:e`` of ``x``."""
        pbuf, cbuf = bufs
        m = e - a
        it = pbuf.itemsize
        start = sum(p * f for p, f in zip(self.plo, self.sf))
        inner = xp.lib.stride_tricks.as_strided(
            pbuf[:, start:], shape=(self.c, m) + self.insize,
            strides=(pbuf.strides[0], self.sstride * it) + tuple(f * it for f in self.sf))
        inner[...] = x[a:e].swapaxes(0, 1)
        wd = self.width(m)
        view = xp.lib.stride_tricks.as_strided(
            pbuf, shape=(self.c,) + self.kcol + (wd,),
            strides=(pbuf.strides[0],) + tuple(s * it for s in self.col_steps) + (it,))
        cols = cbuf[:self.ck * wd].reshape(view.shape)
        cols[...] = view
        return cols.reshape(self.ck, wd)

    def real(self, xp, flat, start, row, m, rows):
        """View ``(m, rows) + osize`` of the real outputs in a flat array whose rows (``row``
        elements apart) hold the chunk's flat layout, starting at element ``start``."""
        it = flat.itemsize
        return xp.lib.stride_tricks.as_strided(
            flat[start:], shape=(m, rows) + self.osize,
            strides=(self.sstride * it, row * it) + tuple(f * it for f in self.sf))


def stacked_plan(xshape, ksize, plo, phi, stride, dilation, groups, osize, itemsize):
    """A ``StackedPlan`` when the stacked kernel applies (stride 1, one group, little
    waste), else None."""
    if groups != 1 or any(s != 1 for s in stride) or len(ksize) == 0:
        return None
    if min(tuple(osize) + tuple(xshape[:2])) < 1:
        return None
    plan = StackedPlan(xshape, ksize, plo, phi, dilation, osize, itemsize)
    return plan if plan.waste <= MAX_WASTE and plan.ck >= MIN_STACKED_K else None


def stacked_weight_matrix(xp, w, plan):
    """``W (O, C, *kcol, *stack)`` as the ``(KS*O, C*K_col)`` stacked GEMM operand."""
    o, c = w.shape[:2]
    nc = len(plan.kcol)
    axes = tuple(range(2 + nc, w.ndim)) + (0, 1) + tuple(range(2, 2 + nc))
    return xp.ascontiguousarray(w.transpose(axes)).reshape(plan.kl * o, plan.ck)


def stacked_forward(xp, x, w, b, plan):
    """``y = conv(x, w) + b`` (stride 1, one group) with the stacked kernel."""
    n = x.shape[0]
    o = w.shape[0]
    wst = stacked_weight_matrix(xp, w, plan)
    y = xp.empty((n, o) + plan.osize, dtype=x.dtype)
    bias = None if b is None else b.reshape((o,) + (1,) * len(plan.osize))

    def run(chunks):
        bufs = plan.buffers(xp, x.dtype)
        zbuf = xp.empty(plan.kl * o * plan.width(plan.m), dtype=x.dtype)
        for a, e in chunks:
            m = e - a
            wd = plan.width(m)
            z = zbuf[:plan.kl * o * wd]
            xp.matmul(wst, plan.columns(xp, bufs, x, a, e), out=z.reshape(plan.kl * o, wd))
            # add the shifted row blocks as 1-D ranges: block i moved left by its shift
            # lands every real position r < reach(m) of a row on the same r of block 0
            # (the positions past the reach get garbage, never read); contiguous 1-D adds
            # run ~4x faster than the same adds as 2-D views with a row stride
            blk = o * wd
            for i, s in enumerate(plan.shifts[1:], 1):
                z[:blk - s] += z[i * blk + s:(i + 1) * blk]
            real = plan.real(xp, z, 0, wd, m, o)
            if bias is None:
                y[a:e] = real
            else:
                xp.add(real, bias, out=y[a:e])
    split_over_threads(xp, plan.chunks, run)
    return y


def stacked_weight(xp, x, gy, wshape, plan):
    """``dL/dw`` of ``conv(x, w)`` (stride 1, one group) given ``gy``, with the stacked
    kernel: ``G (KS*O, N) @ cols.T`` where row block ``i`` of ``G`` is ``gy`` in the chunk's
    flat layout moved right by the stacked shift ``i`` (zero at padded positions), so one
    GEMM sums over the chunk's samples and positions for every stacked offset at once. The
    per-chunk partial sums are added in chunk order (thread-count independent)."""
    o = wshape[0]

    def run(chunks):
        bufs = plan.buffers(xp, x.dtype)
        gbuf = xp.zeros(plan.kl * o * plan.width(plan.m), dtype=gy.dtype)
        sums = []
        for a, e in chunks:
            m = e - a
            wd = plan.width(m)
            blk = o * wd
            cols = plan.columns(xp, bufs, x, a, e)
            if m != plan.m:          # a shorter last chunk: its rows are laid out anew
                gbuf[:blk] = 0
            plan.real(xp, gbuf, 0, wd, m, o)[...] = gy[a:e]
            for i, s in enumerate(plan.shifts[1:], 1):
                gbuf[i * blk:i * blk + s] = 0
                gbuf[i * blk + s:(i + 1) * blk] = gbuf[:blk - s]
            sums.append(xp.matmul(gbuf[:plan.kl * blk].reshape(plan.kl * o, wd), cols.T))
        return sums
    sums = [s for part in split_over_threads(xp, plan.chunks, run) for s in part]
    acc = sums[0]
    for more in sums[1:]:
        acc += more
    return unstack_weight_grad(xp, acc, plan, wshape)


def unstack_weight_grad(xp, acc, plan, wshape):
    """The stacked ``(KS*O, C*K_col)`` weight gradient as ``(O, C, *kcol, *stack)``."""
    o = wshape[0]
    ns, nc = len(plan.stack), len(plan.kcol)
    acc = acc.reshape(plan.stack + (o, plan.c) + plan.kcol)
    axes = (ns, ns + 1) + tuple(range(ns + 2, ns + 2 + nc)) + tuple(range(ns))
    return xp.ascontiguousarray(acc.transpose(axes)).reshape(wshape)
