"""Stride-1 convolution as one large GEMM per chunk of samples ("grid" kernel).

The chunk's samples are laid out flat, ``(C, m, *grid)`` with nothing between them, on a
grid that is the output's along the leading spatial dims and ``max(input, output)`` along
the trailing ones (the output's for "same" convolutions: ``3x3`` with padding 1, ``5x5``
with padding 2). Kernel offset ``k`` makes output ``q`` read input ``q + s(k)``, ``s_i =
k_i * dilation_i - pad_i``; reads outside the input (the zero padding) are zeros. The
kernel dims are split in two groups:

- the leading dims ``k_col`` (at least the first one) are expanded as **columns**:
  ``cols[(c, k_col), q] = x[c, q + s(k_col)]`` on the grid, copied from ``x`` as one
  strided box per offset (its rows stay contiguous), zero where the read leaves the input;
- the trailing dims ``k_stack`` (unless the channels are few: ``MIN_GEMM_K``) are
  **stacked** on the GEMM's rows: one GEMM ``Z = W_stacked (KS*O, C*K_col) @ cols (C*K_col,
  L)`` computes every partial sum, and ``y[q] = sum_i Z_i[q + s_i]``, where ``q + s_i`` is a
  flat shift of the layout. A read that crosses the end of a grid row (or of a sample)
  lands on another row's data, so each block ``Z_i`` is first zeroed where that happens (a
  position ``t`` is read by output ``t - s_i`` only: the slabs where ``t - s_i`` leaves the
  grid), then added as one contiguous 1-D range (a strided 2-D add runs NumPy's loop 2-4x
  slower).

For the CNN's 3x3 32->64 layer that is a 192x96 @ 96xL GEMM (OpenBLAS ~150 GFLOP/s on one
core here) over three column copies of the input instead of im2col's 64x288 @ 288xL over
nine. The weight gradient is one GEMM per chunk too, ``G (KS*O, L) @ cols.T``, with
``G_i[t] = gy[t - s_i]`` on the grid and zero elsewhere, so the chunk's samples and positions
are summed inside it. The chunks depend on the shapes only and their partial sums are added
in chunk order: the result does not depend on the number of threads.

With few input channels (a 1- or 3-channel first layer) every kernel dim goes into the
columns and the kernel runs in its **per-sample mode**: the columns laid out sample by
sample, one batched GEMM per chunk writing ``[W | b] @ [cols_n; 1]`` straight into ``y[n]``.

A "same" convolution computes no output it does not need; a valid 3x3 on 10x10 computes 10
columns for 8 (up to ``MAX_WASTE``). The first version of this kernel (session 3) padded every
sample instead and wasted 22% on the CNN's 3x3 on 14x14, 29% on a 5x5 on 14x14 and 38% on
ResNet's 8x8 stage. Everything goes through ``xp`` (NumPy or CuPy). Measurements:
benchmarks/PROFILE_CONV.md.
"""
import math

from ._im2col import batch_chunks, kernel_offsets, owned, split_over_threads
from ._gemm import matmul
from . import _conv_loops
from ..backend import _jit

__all__ = ["grid_plan", "GridPlan"]

# expand columns over more kernel dims while the GEMM's inner dimension C*K_col is below
# MIN_GEMM_K; below MIN_STACKED_K (a 1- or 3-channel input: 9) the one-GEMM-per-chunk form
# is too thin to win (2.6 vs 3.4 ms forward on 128x1x28x28): the per-sample mode runs the
# layer when its planes are big enough (MIN_PER_SAMPLE_P), else conv.py's kernels
MIN_GEMM_K = 64
MIN_STACKED_K = 64
# computed outputs per real output above which conv.py's other kernels run the layer (a
# valid 3x3 on 6x6, 64 channels, batch 64, computes 6 columns for 4 and still wins: 1.18
# against 1.59 ms forward, 2.05 against 2.90 input gradient)
MAX_WASTE = 1.6
# the weight gradient's GEMM sums over a chunk's positions (m*P); below this many it is too
# shallow (ResNet's 4x4 stage, batch 32: 128 positions, 23.9 ms against 20.5 for conv.py's
# one batch-wide GEMM) and conv.py's weight kernels run it
MIN_WEIGHT_POSITIONS = 256
# the per-sample forward (every kernel offset in the columns) needs this many outputs per
# sample for its GEMMs to run well
MIN_PER_SAMPLE_P = 128
# below this share of reads inside the input (the rest is padding) the GEMMs would mostly
# multiply zeros: a DCGAN generator's first layer, a 7x7 transposed conv of a 1x1 input,
# reads the input in 2% of its column entries (10.2 ms against 1.2 for conv.py's kernel)
MIN_DENSITY = 0.5
# chunks of at most this many samples build their columns with one window copy (few big
# NumPy calls: the CIFAR-10 net's 4x4 layer on 33x33, one sample a chunk, forward at two
# threads 41 -> 38 ms), bigger ones with a box copy per kernel offset
WINDOW_MAX_SAMPLES = 8
# wrapped positions in at most this many columns of the grid's last dim are zeroed one
# column at a time (``GridPlan._mask``)
MASK_COLUMN_VIEWS = 4
# with the numba extra, 2-D columns whose input planes are not the grid's are copied row by
# row (``_conv_loops.shifted_column_rows``) when the grid's rows have at least this many
# elements; shorter rows go faster through NumPy's window copy (one chunk, one thread: 33
# wide 0.049 against 0.065 ms, 17 wide 0.155 against 0.118, 10 wide 0.127 against 0.047)
MIN_ROW_LOOP = 32


def copy_shifted(dst, src, shift):
    """``dst[..., q] = src[..., q + shift]`` over the trailing spatial dims, zero where
    ``q + shift`` is outside ``src``. ``dst`` and ``src`` are ``(lead, m, *spatial)``,
    ``shift`` one int per spatial dim; the copy is one strided box (rows stay contiguous)
    and the zeros are slabs at the box's sides."""
    nd = len(shift)
    dbox, sbox = [], []
    for s, dn, sn in zip(shift, dst.shape[-nd:], src.shape[-nd:]):
        lo, hi = max(0, -s), min(dn, sn - s)
        if hi <= lo:                      # every read of this dim leaves src
            dst[...] = 0
            return
        dbox.append(slice(lo, hi))
        sbox.append(slice(lo + s, hi + s))
    head = (slice(None),) * (dst.ndim - nd)
    dst[head + tuple(dbox)] = src[head + tuple(sbox)]
    for i, b in enumerate(dbox):
        edge = head + (slice(None),) * i
        if b.start > 0:
            dst[edge + (slice(0, b.start),)] = 0
        if b.stop < dst.shape[dst.ndim - nd + i]:
            dst[edge + (slice(b.stop, None),)] = 0


def stacked_weight_matrix(xp, w, plan):
    """``W (O, C, *kcol, *stack)`` as the ``(KS*O, C*K_col)`` stacked GEMM operand."""
    o, c = w.shape[:2]
    nc = len(plan.kcol)
    if w.ndim - 2 - nc == 1:            # one stacked dim: one strided read per offset
        out = xp.empty((w.shape[-1],) + w.shape[:-1], dtype=w.dtype)
        for i in range(w.shape[-1]):
            out[i] = w[..., i]
        return out.reshape(plan.kl * o, plan.ck)
    axes = tuple(range(2 + nc, w.ndim)) + (0, 1) + tuple(range(2, 2 + nc))
    return xp.ascontiguousarray(w.transpose(axes)).reshape(plan.kl * o, plan.ck)


def unstack_weight_grad(xp, acc, plan, wshape):
    """The stacked ``(KS*O, C*K_col)`` weight gradient as ``(O, C, *kcol, *stack)``."""
    o = wshape[0]
    ns, nc = len(plan.stack), len(plan.kcol)
    acc = acc.reshape(plan.stack + (o, plan.c) + plan.kcol)
    if ns == 1:
        # one strided write per stacked offset: twice as fast as the transposing copy
        # (512x512x3x3: 1.3 against 2.4 ms)
        out = xp.empty(wshape, dtype=acc.dtype)
        for i in range(plan.stack[0]):
            out[..., i] = acc[i]
        return out
    axes = (ns, ns + 1) + tuple(range(ns + 2, ns + 2 + nc)) + tuple(range(ns))
    return owned(xp, acc.transpose(axes), wshape)


class GridPlan:
    """Layout of the grid kernel for one convolution shape (see the module doc)."""

    def __init__(self, xshape, ksize, plo, dilation, osize, itemsize):
        n, c = xshape[:2]
        nd = len(ksize)
        self.c = c
        self.osize = osize = tuple(osize)
        j = 1               # columns over kernel dims [0, j), stacked over [j, nd)
        while j < nd and c * math.prod(ksize[:j]) < MIN_GEMM_K:
            j += 1
        self.j = j
        self.kcol = tuple(ksize[:j])
        self.stack = tuple(ksize[j:])
        self.grid = grid = osize[:j] + tuple(max(a, b) for a, b in zip(xshape[2 + j:], osize[j:]))
        self.p = math.prod(grid)
        self.waste = self.p / math.prod(osize)
        shift = [[k * d - p for k in range(kk)] for kk, d, p in zip(ksize, dilation, plo)]
        # the share of (output, kernel offset) pairs that read the input, not its padding
        self.density = math.prod(
            sum(max(0, min(o, sz - s) - max(0, -s)) for s in sh) / (len(sh) * o)
            for sh, o, sz in zip(shift, osize, xshape[2:]))
        self.col_offsets = [tuple(shift[i][k] for i, k in enumerate(off)) + (0,) * (nd - j)
                            for off in kernel_offsets(self.kcol)]
        self.stack_offsets = [tuple(shift[j + i][k] for i, k in enumerate(off))
                              for off in kernel_offsets(self.stack)]
        # elements per step along each grid dim: an offset's flat shift on the grid
        self.grid_strides = sf = [math.prod(grid[i + 1:]) for i in range(nd)]
        self.flat = [sum(s * f for s, f in zip(off, sf[j:])) for off in self.stack_offsets]
        self.kl = len(self.stack_offsets)
        self.ck = c * math.prod(self.kcol)
        # the stacked block read without a shift accumulates the others in place
        zero = (0,) * len(self.stack)
        self.base = self.stack_offsets.index(zero) if zero in self.stack_offsets else None
        self.chunks = batch_chunks(n, self.ck * self.p * itemsize)
        self.m = max(e - a for a, e in self.chunks)
        self.weight_pays = self.m * self.p >= MIN_WEIGHT_POSITIONS
        # every kernel offset in the columns (few channels): one GEMM per sample, written
        # straight into y[n], the bias a row of ones in the columns
        self.per_sample = self.kl == 1 and self.p >= MIN_PER_SAMPLE_P

    def _mask(self, z, off):
        """Zero the positions ``t`` of a stacked block ``z (O, m, *grid)`` (C-contiguous)
        whose reader ``t - off`` leaves the grid (a flat shift wrapped it onto another row or
        sample)."""
        head = (slice(None),) * (2 + self.j)
        last = len(off) - 1
        for i, s in enumerate(off):
            size = self.grid[self.j + i]
            lo, hi = max(0, s), min(size, size + s)
            edge = head + (slice(None),) * i
            if hi <= lo:
                z[edge] = 0
                return
            if i == last and lo + size - hi <= MASK_COLUMN_VIEWS:
                # a few columns of the last dim: one long strided 1-D view per column (the
                # (rows, 1 or 2) box runs NumPy's inner loop for 1-2 elements a row: 37
                # against 27 us on a 64x16x14x14 block)
                flat = z.reshape(-1)
                for col in tuple(range(lo)) + tuple(range(hi, size)):
                    flat[col::size] = 0
                continue
            if lo > 0:
                z[edge + (slice(0, lo),)] = 0
            if hi < size:
                z[edge + (slice(hi, None),)] = 0

    def flipped_weight_matrix(self, xp, w):
        """The stacked GEMM operand of the convolution with ``w (O, C, *k)`` flipped and
        transposed (the input gradient of ``conv(., w)``, a convolution of ``gy``):
        ``A[(k_stack, c), (o, k_col)] = w[o, c, flipped k]``, as the transposed view of a
        copy of ``w`` that only moves ``c`` last within each ``o`` (cache-friendly: 0.9 ms
        for 512x512x3x3, where flipping and transposing ``w`` first took 6.2)."""
        o, c = w.shape[:2]
        nd = w.ndim - 2
        flip = (slice(None),) * 2 + (slice(None, None, -1),) * nd
        m = xp.ascontiguousarray(w[flip].transpose((0,) + tuple(range(2, 2 + nd)) + (1,)))
        return m.reshape(o * math.prod(self.kcol), self.kl * c).T

    def forward(self, xp, x, w, b, wst=None, out=None):
        """``y = conv(x, w) + b`` (``wst``: the stacked GEMM operand, made from ``w`` when
        not given), written into ``out`` (any strides, e.g. one phase of a bigger array)
        when given."""
        n = x.shape[0]
        if wst is None:
            wst = stacked_weight_matrix(xp, w, self)
        o = wst.shape[0] // self.kl
        if self.per_sample:
            return self._forward_per_sample(xp, x, wst, b, o, out)
        y = xp.empty((n, o) + self.osize, dtype=x.dtype) if out is None else out
        kl, p = self.kl, self.p
        # the bias rides in the GEMM when one stacked block is added unshifted: a column of
        # b beside that block's rows of W and a row of ones under the columns (a broadcast
        # add of b over the output cost more than the GEMM's extra inner row: fashion-cnn's
        # 32->64 5x5 layer, one thread, 2.0 against 0.2 ms)
        ones = b is not None and self.base is not None
        bias = None if b is None or ones else b.reshape((o,) + (1,) * len(self.osize))
        if ones:
            bcol = xp.zeros((kl, o, 1), dtype=wst.dtype)
            bcol[self.base, :, 0] = b
            wst = xp.concatenate([wst, bcol.reshape(kl * o, 1)], 1)
        crop = (slice(None), slice(None)) + tuple(slice(0, s) for s in self.osize)
        # one compiled pass for the shifted sums, straight into y when its planes are the
        # grid's, else into a grid-shaped buffer cropped into y (valid convolutions, strided
        # outputs)
        loops = _jit.loops_for(_conv_loops, x, wst, y, contiguous=False)
        if loops is not None:
            shifts, valid = self._loop_tables(xp)
            bvec = xp.zeros(0, dtype=y.dtype) if bias is None else b.astype(y.dtype, copy=False)
            base = -1 if self.base is None else self.base
            direct = self.grid == self.osize and y.flags.c_contiguous

        def run(chunks):
            fill = self._columns(xp, x, ones)
            zbuf = xp.empty(kl * o * self.m * p, dtype=x.dtype)
            abuf = None if self.base is not None else xp.empty(o * self.m * p, dtype=x.dtype)
            ybuf = None if loops is None or direct else \
                xp.empty((self.m, o, p), dtype=x.dtype)
            for a, e in chunks:
                m = e - a
                blk = o * m * p
                z = zbuf[:kl * blk]
                matmul(xp, wst, fill(a, e), out=z.reshape(kl * o, m * p))
                if loops is not None:
                    planes = y[a:e].reshape(m, o, p) if direct else ybuf[:m]
                    loops.shifted_plane_sums(z.reshape(kl, o, m, p), shifts, valid, base, bvec,
                                             planes)
                    if not direct:
                        y[a:e] = planes.reshape((m, o) + self.grid)[crop]
                    continue
                if self.base is None:
                    acc = abuf[:blk]
                    acc[...] = 0
                else:
                    acc = z[self.base * blk:(self.base + 1) * blk]
                for i, (off, s) in enumerate(zip(self.stack_offsets, self.flat)):
                    if i == self.base:
                        continue
                    zi = z[i * blk:(i + 1) * blk]
                    self._mask(zi.reshape((o, m) + self.grid), off)
                    # acc[t] += zi[t + s]: one contiguous 1-D range (the reads that cross a
                    # row's end fall on masked zeros)
                    acc[max(0, -s):blk - max(0, s)] += zi[max(0, s):blk + min(0, s)]
                out = acc.reshape((o, m) + self.grid)[crop].swapaxes(0, 1)
                if bias is None:
                    y[a:e] = out
                else:
                    xp.add(out, bias, out=y[a:e])
        split_over_threads(xp, self.chunks, run)
        return y

    def _loop_tables(self, xp):
        """The compiled sums' tables (``_conv_loops.shifted_plane_sums``): the blocks' flat
        shifts, and per block a 0/1 map of the grid positions ``_mask`` zeroes."""
        shifts = xp.asarray(self.flat, dtype=xp.int64)
        valid = xp.ones((self.kl, 1, 1) + self.grid, dtype=xp.uint8)
        for i, off in enumerate(self.stack_offsets):
            if i != self.base:
                self._mask(valid[i], off)
        return shifts, valid.reshape(self.kl, self.p)

    def _loop_columns(self, xp, x, loops, ones=False):
        """``fill(a, e)`` as ``_box_columns``, by ``_conv_loops.shifted_column_copies``
        (the input's planes are the grid's) or ``shifted_column_rows`` (2-D)."""
        rows, k = self.ck + ones, len(self.col_offsets)
        cbuf = xp.empty(rows * self.m * self.p, dtype=x.dtype)
        if x.shape[2:] != self.grid:
            off_h, off_w = (xp.asarray(v, dtype=xp.int64) for v in zip(*self.col_offsets))

            def fill_rows(a, e):
                m = e - a
                size = self.ck * m * self.p
                loops.shifted_column_rows(x[a:e], off_h, off_w,
                                          cbuf[:size].reshape((self.c, k, m) + self.grid))
                if ones:
                    cbuf[size:size + m * self.p] = 1
                return cbuf[:rows * m * self.p].reshape(rows, m * self.p)
            return fill_rows
        shifts = xp.asarray([sum(o * f for o, f in zip(off, self.grid_strides))
                             for off in self.col_offsets],
                            dtype=xp.int64)
        valid = xp.empty((k, 1, 1) + self.grid, dtype=xp.uint8)
        inside = xp.ones((1, 1) + self.grid, dtype=xp.uint8)
        for i, off in enumerate(self.col_offsets):
            copy_shifted(valid[i], inside, off)
        valid = valid.reshape(k, self.p)

        def fill(a, e):
            m = e - a
            size = self.ck * m * self.p
            loops.shifted_column_copies(x[a:e].reshape(m, self.c, self.p), shifts, valid,
                                        cbuf[:size].reshape(self.c, k, m, self.p))
            if ones:
                cbuf[size:size + m * self.p] = 1
            return cbuf[:rows * m * self.p].reshape(rows, m * self.p)
        return fill

    def _box_columns(self, xp, x, ones=False):
        """``fill(a, e)``: the ``(C*K_col, m*P)`` columns of samples ``a:e`` (with a last
        row of ones when ``ones``), one strided box copy from ``x`` per column offset (its
        rows stay contiguous) plus zero slabs: the faster form for chunks of many samples
        (the CNN's 3x3 layer on 14x14, 16 samples a chunk: 5.0 against 5.6 ms forward at two
        threads)."""
        rows = self.ck + ones
        cbuf = xp.empty(rows * self.m * self.p, dtype=x.dtype)

        def fill(a, e):
            m = e - a
            size = self.ck * m * self.p
            cols = cbuf[:size].reshape((self.c, len(self.col_offsets), m) + self.grid)
            src = x[a:e].swapaxes(0, 1)
            for i, off in enumerate(self.col_offsets):
                copy_shifted(cols[:, i], src, off)
            if ones:
                cbuf[size:size + m * self.p] = 1
            return cbuf[:rows * m * self.p].reshape(rows, m * self.p)
        return fill

    def _columns(self, xp, x, ones=False):
        """The column builder for the stacked GEMM (a last row of ones when ``ones``): the
        compiled copies when the input's planes are the grid's; else box copies for chunks
        of many samples, one window copy per chunk for few (fewer, bigger NumPy calls)."""
        if x.shape[2:] == self.grid or (len(self.grid) == 2 and self.grid[1] >= MIN_ROW_LOOP):
            loops = _jit.loops_for(_conv_loops, x)
            if loops is not None:
                return self._loop_columns(xp, x, loops, ones)
        if self.m > WINDOW_MAX_SAMPLES:
            return self._box_columns(xp, x, ones)
        return self._window_columns(xp, x, ones=ones)

    def _window_columns(self, xp, x, rows=None, ones=False):
        """``fill(a, e)``: the columns of samples ``a:e``, laid out ``(C*K_col, m*P)`` (the
        stacked GEMM's operand, with a last row of ones when ``ones``) or, given ``rows >=
        C*K``, ``(m, rows, P)`` sample by sample (the per-sample mode; the rows past C*K are
        the caller's). The columns are ONE strided copy from a zero-bordered copy of the
        chunk's samples (borders along the column dims only): a box copy per kernel offset
        plus its zero slabs made 12 NumPy calls per chunk for a 4x4 kernel, 40 ms of a
        CIFAR-10 step at two threads, where two threads making many small calls queue on the
        GIL."""
        c = x.shape[1]
        j = self.j
        offs = [sorted(set(sh)) for sh in zip(*self.col_offsets)]   # per dim: the shifts
        lo = [-sh[0] for sh in offs]                    # >= 0: the padding before
        psize = tuple(g + sh[-1] - sh[0] for g, sh in zip(self.grid, offs))
        step = [sh[1] - sh[0] if len(sh) > 1 else 0 for sh in offs[:j]]   # the dilation
        keep = tuple(slice(0, min(sz, ps - l)) for sz, ps, l in zip(x.shape[2:], psize, lo))
        inner = tuple(slice(l, l + k_.stop) for l, k_ in zip(lo, keep))
        pbuf = xp.zeros((self.m, c) + psize, dtype=x.dtype)
        st = pbuf.strides
        nd = len(self.grid)
        if rows is None:
            cbuf = xp.empty((self.ck + ones) * self.m * self.p, dtype=x.dtype)
            order = (1,) + tuple(range(2, 2 + j)) + (0,) + tuple(range(2 + j, 2 + j + nd))
        else:
            cbuf = xp.empty((self.m, rows, self.p), dtype=x.dtype)

        def fill(a, e):
            m = e - a
            pbuf[(slice(0, m), slice(None)) + inner] = x[(slice(a, e), slice(None)) + keep]
            view = xp.lib.stride_tricks.as_strided(
                pbuf, shape=(m, c) + self.kcol + self.grid,
                strides=st[:2] + tuple(d * s_ for d, s_ in zip(step, st[2:])) + st[2:])
            if rows is None:
                size = self.ck * m * self.p
                cols = cbuf[:size].reshape((c,) + self.kcol + (m,) + self.grid)
                cols[...] = view.transpose(order)
                if ones:
                    cbuf[size:size + m * self.p] = 1
                return cbuf[:size + ones * m * self.p].reshape(self.ck + ones, m * self.p)
            cbuf[:m, :self.ck].reshape(view.shape)[...] = view
            return cbuf[:m]
        return fill

    def _forward_per_sample(self, xp, x, wmat, b, o, out=None):
        """The forward with every kernel offset in the columns: ``y[n] = [W | b] @ [cols_n;
        1]``, one batched GEMM per chunk into ``y`` (the grid is the output's): no
        transposing copy of the result, no separate bias pass (fashion-cnn's first 1->32
        5x5 layer, batch 128: 1.9 against 4.2 ms for conv.py's per-sample kernel)."""
        n = x.shape[0]
        p, ck = self.p, self.ck
        y = xp.empty((n, o) + self.osize, dtype=x.dtype) if out is None else out
        y3 = y.reshape(n, o, p) if out is None else None
        k = ck if b is None else ck + 1
        if b is not None:
            wmat = xp.concatenate([wmat, b.reshape(o, 1).astype(wmat.dtype, copy=False)], 1)

        def run(chunks):
            fill = self._window_columns(xp, x, k)
            for a, e in chunks:
                cols = fill(a, e)
                if b is not None:
                    cols[:, ck] = 1
                # one batched call: NumPy runs the samples' GEMMs without taking the GIL
                # between them (a Python loop of 13-us GEMMs on two threads did not scale)
                if y3 is not None:
                    matmul(xp, wmat, cols, out=y3[a:e])
                else:
                    y[a:e] = matmul(xp, wmat, cols).reshape((e - a, o) + self.osize)
        split_over_threads(xp, self.chunks, run)
        return y

    def _weight_per_sample(self, xp, x, gy, wshape):
        """The weight gradient in the per-sample mode: ``sum_n cols_n @ gy_n.T`` per chunk
        (one batched GEMM), the chunks' sums added in chunk order."""
        n, o = gy.shape[:2]
        g3 = gy.reshape(n, o, self.p).swapaxes(1, 2)          # (N, P, O), a view

        def run(chunks):
            fill = self._window_columns(xp, x, self.ck)
            tmp = xp.empty((self.m, self.ck, o), dtype=gy.dtype)
            sums = []
            for a, e in chunks:
                m = e - a
                t = matmul(xp, fill(a, e), g3[a:e], out=tmp[:m])
                sums.append(t[0].copy() if m == 1 else t.sum(axis=0))
            return sums
        sums = [s for part in split_over_threads(xp, self.chunks, run) for s in part]
        acc = sums[0]
        for more in sums[1:]:
            acc += more
        return owned(xp, acc.T, wshape)

    def weight(self, xp, x, gy, wshape):
        """``dL/dw`` of ``conv(x, w)`` given ``gy``: ``G (KS*O, L) @ cols.T`` per chunk,
        the chunks' sums added in chunk order."""
        if self.per_sample:
            return self._weight_per_sample(xp, x, gy, wshape)
        o = wshape[0]
        kl, p = self.kl, self.p
        lead = (0,) * self.j
        # one compiled pass writes the G_i, from gy's planes when they are the grid's, else
        # from gy copied onto a zero grid (the copies then read zeros off gy)
        loops = _jit.loops_for(_conv_loops, x, gy, contiguous=False)
        if loops is not None:
            shifts, valid = self._loop_tables(xp)
            direct = self.grid == self.osize and gy.flags.c_contiguous
            crop = (slice(None), slice(None)) + tuple(slice(0, s) for s in self.osize)

        def run(chunks):
            fill = self._columns(xp, x)
            gbuf = xp.empty(kl * o * self.m * p, dtype=gy.dtype)
            gpad = None if loops is None or direct else \
                xp.zeros((self.m, o) + self.grid, dtype=gy.dtype)
            sums = []
            for a, e in chunks:
                m = e - a
                cols = fill(a, e)
                g = gbuf[:kl * o * m * p].reshape((kl, o, m) + self.grid)
                src = gy[a:e].swapaxes(0, 1)
                if loops is not None:
                    if not direct:      # (the zeros outside gy's box are written once)
                        gpad[:m][crop] = gy[a:e]
                    planes = gy[a:e].reshape(m, o, p) if direct else gpad[:m].reshape(m, o, p)
                    loops.shifted_plane_copies(planes, shifts, valid, g.reshape(kl, o, m, p))
                elif self.base is None:
                    for i, off in enumerate(self.stack_offsets):
                        # G_i[t] = gy[t - off]
                        copy_shifted(g[i], src, lead + tuple(-s for s in off))
                else:
                    # gy copied onto the grid once; every other G_i is that block moved by
                    # its flat shift (one contiguous copy: the strided box copies cost 20%
                    # of the CNN layer's weight gradient) with the wrapped positions zeroed
                    g0 = g[self.base]
                    copy_shifted(g0, src, lead + (0,) * len(self.stack))
                    g0 = g0.reshape(-1)
                    n = g0.size
                    for i, (off, s) in enumerate(zip(self.stack_offsets, self.flat)):
                        if i == self.base:
                            continue
                        gi = g[i].reshape(-1)
                        if s >= 0:
                            gi[s:] = g0[:n - s]
                            gi[:s] = 0
                        else:
                            gi[:n + s] = g0[-s:]
                            gi[n + s:] = 0
                        self._mask(g[i], off)
                sums.append(matmul(xp, g.reshape(kl * o, m * p), cols.T))
            return sums
        sums = [s for part in split_over_threads(xp, self.chunks, run) for s in part]
        acc = sums[0]
        for more in sums[1:]:
            acc += more
        return unstack_weight_grad(xp, acc, self, wshape)


def grid_plan(xshape, ksize, plo, stride, dilation, groups, osize, itemsize):
    """A ``GridPlan`` when the grid kernel applies (stride 1, one group, a GEMM inner
    dimension of at least ``MIN_STACKED_K``, at most ``MAX_WASTE``), else None."""
    if groups != 1 or any(s != 1 for s in stride) or len(ksize) == 0:
        return None
    if min(tuple(xshape) + tuple(osize)) < 1:
        return None
    plan = GridPlan(xshape, ksize, plo, dilation, osize, itemsize)
    return plan if (plan.ck >= MIN_STACKED_K or plan.per_sample) and \
        plan.waste <= MAX_WASTE and plan.density >= MIN_DENSITY else None
