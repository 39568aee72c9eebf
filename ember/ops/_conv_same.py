"""Stride-1 "same" convolution (output grid = input grid) as one GEMM per chunk of
samples, with no padding and so no wasted outputs.

When the output has the input's spatial size (``3x3`` with padding 1, ``5x5`` with padding
2, ...), output position ``q`` and input position ``q`` share one flat layout: the chunk's
samples laid out ``(C, m, *S)`` with nothing between them. A kernel offset ``k`` reads
input position ``q + s(k)`` (``s_i = k_i * dilation_i - pad_i`` per dim), which in the flat
layout is a shift; a read that leaves its sample's box (the zero padding) lands on some
other sample's or row's data instead, so those positions are **zeroed** where they are
used rather than padded in. As in ``_conv_stacked`` (read its doc first), the kernel dims
are split in two groups:

- the leading dims ``k_col`` are expanded as **columns**: ``cols[(c, k_col), q] =
  x[c, q + s(k_col)]``, copied straight from ``x`` as one box per offset (the rest of the
  row set to zero);
- the trailing dims ``k_stack`` are **stacked** on the GEMM's rows: ``Z = W_stacked
  (KS*O, C*K_col) @ cols`` and ``y[o, q] = sum_i Z_i[o, q + s_i]``. Each block ``Z_i`` is
  first zeroed where its read would cross a box edge (a position ``r`` is read by output
  ``r - s_i`` only, so the positions to zero are those where ``r - s_i`` leaves the box:
  slabs along the stacked dims), then added as one 1-D shifted range.

The weight gradient is one GEMM per chunk, ``G (KS*O, L) @ cols.T``, with ``G_i[o, r] =
gy[o, r - s_i]`` inside the box and zero outside. The chunks depend on the shapes only and
their partial sums are added in chunk order, so the result does not depend on the thread
count.

Against the padded layout of ``_conv_stacked`` this computes no output twice (the CNN's 3x3
on 14x14 wasted 22%, a 5x5 on 14x14 29%, ResNet's 8x8 stage 38%) and the output is read
back as whole planes. Measurements: benchmarks/PROFILE_CONV.md.
"""
import math

from ._im2col import batch_chunks, kernel_offsets, split_over_threads
from ._conv_stacked import stacked_weight_matrix, unstack_weight_grad

__all__ = ["same_plan", "SamePlan"]

# as in _conv_stacked: expand columns over more kernel dims while the GEMM's inner dimension
# C*K_col is below MIN_GEMM_K; below MIN_STACKED_K (a 1- or 3-channel input) the GEMMs are
# too thin and conv.py's per-sample kernels run the layer
MIN_GEMM_K = 64
MIN_STACKED_K = 64


def _box(s, size):
    """Positions ``[lo, hi)`` along one dim whose read ``q + s`` stays inside ``[0, size)``."""
    return max(0, -s), max(0, min(size, size - s))


class SamePlan:
    """Layout of the same-size kernel for one convolution shape (see the module doc)."""

    def __init__(self, xshape, ksize, plo, dilation, itemsize):
        n, c = xshape[:2]
        nd = len(ksize)
        self.c = c
        self.size = size = tuple(xshape[2:])
        self.p = math.prod(size)
        j = 1               # columns over kernel dims [0, j), stacked over [j, nd)
        while j < nd and c * math.prod(ksize[:j]) < MIN_GEMM_K:
            j += 1
        self.j = j
        self.kcol = tuple(ksize[:j])
        self.stack = tuple(ksize[j:])
        shift = [[k * d - p for k in range(kk)] for kk, d, p in zip(ksize, dilation, plo)]
        self.col_offsets = [tuple(shift[i][k] for i, k in enumerate(off))
                            for off in kernel_offsets(self.kcol)]
        self.stack_offsets = [tuple(shift[j + i][k] for i, k in enumerate(off))
                              for off in kernel_offsets(self.stack)]
        sf = [math.prod(size[i + 1:]) for i in range(nd)]
        self.flat = [sum(s * f for s, f in zip(off, sf[j:])) for off in self.stack_offsets]
        self.kl = len(self.stack_offsets)
        self.ck = c * math.prod(self.kcol)
        # the stacked block read without a shift accumulates the others in place
        zero = (0,) * len(self.stack)
        self.base = self.stack_offsets.index(zero) if zero in self.stack_offsets else None
        self.chunks = batch_chunks(n, self.ck * self.p * itemsize)
        self.m = max(e - a for a, e in self.chunks)

    def columns(self, xp, cbuf, x, a, e):
        """The ``(C*K_col, m*P)`` columns of samples ``a:e`` of ``x``."""
        m = e - a
        cols = cbuf[:self.ck * m * self.p].reshape(
            (self.c, len(self.col_offsets), m) + self.size)
        src = x[a:e].swapaxes(0, 1)
        for i, off in enumerate(self.col_offsets):
            self._shifted_box(cols[:, i], src, off, 0)
        return cols.reshape(self.ck, m * self.p)

    def _shifted_box(self, dst, src, off, first):
        """``dst[..., q] = src[..., q + off]`` over the spatial dims ``first..`` (``dst``
        and ``src`` are ``(lead, m, *S)``), zero where ``q + off`` leaves the box."""
        lead = (slice(None), slice(None))
        dbox, sbox = [], []
        for i, s in enumerate(off):
            lo, hi = _box(s, self.size[first + i])
            dbox.append(slice(lo, hi))
            sbox.append(slice(lo + s, hi + s))
        full = (slice(None),) * (len(self.size) - first - len(off))
        head = lead + (slice(None),) * first
        if any(b.stop <= b.start for b in dbox):     # every read leaves the box
            dst[...] = 0
            return
        dst[head + tuple(dbox) + full] = src[head + tuple(sbox) + full]
        for i, b in enumerate(dbox):
            edge = head + (slice(None),) * i
            if b.start > 0:
                dst[edge + (slice(0, b.start),)] = 0
            if b.stop < self.size[first + i]:
                dst[edge + (slice(b.stop, None),)] = 0

    def _mask(self, z, off):
        """Zero the positions of a stacked block ``z (O, m, *S)`` whose reader ``r - off``
        leaves the box (they would carry another row's or sample's data)."""
        head = (slice(None), slice(None)) + (slice(None),) * self.j
        for i, s in enumerate(off):
            size = self.size[self.j + i]
            lo, hi = max(0, s), min(size, size + s)
            edge = head + (slice(None),) * i
            if hi <= lo:
                z[edge + (slice(None),)] = 0
                continue
            if lo > 0:
                z[edge + (slice(0, lo),)] = 0
            if hi < size:
                z[edge + (slice(hi, None),)] = 0

    def forward(self, xp, x, w, b):
        """``y = conv(x, w) + b``."""
        n = x.shape[0]
        o = w.shape[0]
        wst = stacked_weight_matrix(xp, w, self)
        y = xp.empty((n, o) + self.size, dtype=x.dtype)
        bias = None if b is None else b.reshape(o, 1)
        kl, p = self.kl, self.p

        def run(chunks):
            cbuf = xp.empty(self.ck * self.m * p, dtype=x.dtype)
            zbuf = xp.empty(kl * o * self.m * p, dtype=x.dtype)
            abuf = None if self.base is not None else xp.empty(o * self.m * p, dtype=x.dtype)
            for a, e in chunks:
                m = e - a
                blk = o * m * p
                z = zbuf[:kl * blk]
                xp.matmul(wst, self.columns(xp, cbuf, x, a, e), out=z.reshape(kl * o, m * p))
                if self.base is None:
                    acc = abuf[:blk]
                    acc[...] = 0
                else:
                    acc = z[self.base * blk:(self.base + 1) * blk]
                for i, (off, s) in enumerate(zip(self.stack_offsets, self.flat)):
                    if i == self.base:
                        continue
                    zi = z[i * blk:(i + 1) * blk]
                    self._mask(zi.reshape((o, m) + self.size), off)
                    # acc[r] += zi[r + s]: one contiguous 1-D range (the reads that cross a
                    # row's end fall on masked zeros)
                    acc[max(0, -s):blk - max(0, s)] += zi[max(0, s):blk + min(0, s)]
                out = acc.reshape(o, m, p).swapaxes(0, 1)
                dst = y[a:e].reshape(m, o, p)
                if bias is None:
                    dst[...] = out
                else:
                    xp.add(out, bias, out=dst)
        split_over_threads(xp, self.chunks, run)
        return y

    def weight(self, xp, x, gy, wshape):
        """``dL/dw`` of ``conv(x, w)`` given ``gy``: ``G (KS*O, L) @ cols.T`` per chunk,
        the chunks' sums added in chunk order."""
        o = wshape[0]
        kl, p = self.kl, self.p

        def run(chunks):
            cbuf = xp.empty(self.ck * self.m * p, dtype=x.dtype)
            gbuf = xp.empty(kl * o * self.m * p, dtype=gy.dtype)
            sums = []
            for a, e in chunks:
                m = e - a
                cols = self.columns(xp, cbuf, x, a, e)
                g = gbuf[:kl * o * m * p].reshape((kl, o, m) + self.size)
                src = gy[a:e].swapaxes(0, 1)
                for i, off in enumerate(self.stack_offsets):
                    # G_i[r] = gy[r - off]
                    self._shifted_box(g[i], src, tuple(-s for s in off), self.j)
                sums.append(xp.matmul(g.reshape(kl * o, m * p), cols.T))
            return sums
        sums = [s for part in split_over_threads(xp, self.chunks, run) for s in part]
        acc = sums[0]
        for more in sums[1:]:
            acc += more
        return unstack_weight_grad(xp, acc, self, wshape)


def same_plan(xshape, ksize, plo, stride, dilation, groups, osize, itemsize):
    """A ``SamePlan`` when the same-size kernel applies (stride 1, one group, output size =
    input size, a GEMM inner dimension of at least ``MIN_STACKED_K``), else None."""
    if groups != 1 or any(s != 1 for s in stride) or len(ksize) == 0:
        return None
    if tuple(osize) != tuple(xshape[2:]) or min(tuple(xshape)) < 1:
        return None
    plan = SamePlan(xshape, ksize, plo, dilation, itemsize)
    return plan if plan.ck >= MIN_STACKED_K else None
