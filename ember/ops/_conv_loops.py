"""The grid convolution's sums of shifted blocks as one loop, compiled by numba when the
``numba`` extra is installed (ember/backend/_jit.py); ``ember/ops/_conv_grid.py`` runs its
NumPy passes otherwise.

**Forward** (and the input gradient, a convolution of ``gy``). After the stacked GEMM, output ``t`` of a sample's channel plane is ``sum_i Z_i[t + s_i]``
over the stacked kernel offsets ``i``, where a read whose position wrapped onto another
row (``valid_i[t + s_i] == 0``) counts as zero. NumPy does that in passes over whole
blocks: zero the wrapped positions of each ``Z_i`` (strided writes touching every cache
line of the block), add it shifted into the unshifted block, then copy the result into
``y`` with samples and channels swapped. The loop below reads each block once and writes
``y`` once, plane by plane, adding the blocks in the same order as the NumPy passes (the
same bits, up to the sign of a zero).

**Weight gradient.** Its GEMM's left operand holds one shifted copy of ``gy`` per stacked
offset, ``G_i[t] = gy[t - s_i]`` where valid, else 0. NumPy copies ``gy`` onto the grid
(swapping samples and channels), moves that block by each flat shift, then zeroes the
wrapped positions; the loop writes each ``G_i`` once from ``gy``.

**Columns.** When the input's planes are the grid's, each column block is the input plane
moved by the kernel offset's flat shift, zero where the read leaves the input; the loop
writes it once (NumPy: one strided box copy per offset, rows of a few elements, plus zero
slabs). For 2-D inputs whose planes are not the grid's (a valid convolution, a growing
"same" one) the loop copies row by row.

Measured (fashion-cnn's 5x5 32->64 layer, one chunk of 16 samples, one thread): 0.19 ms
against 0.38 for the NumPy passes (benchmarks/PROFILE_CONV.md, session 6).
"""

LOOPS = ("shifted_plane_sums", "shifted_plane_copies", "shifted_column_copies",
         "shifted_column_rows")


def shifted_plane_sums(z, shifts, valid, base, bias, y):
    """``y[n, o, t] = Z_base[o, n, t] + sum_{i != base} (Z_i[o, n, t + s_i] if
    valid[i, t + s_i]) (+ bias[o])``.

    Args:
        z: the GEMM's output, ``(KS, O, M, P)``: stacked block, channel, sample, position.
        shifts: ``(KS,)`` flat shifts ``s_i`` of the blocks (int64).
        valid: ``(KS, P)`` uint8, 0 where block ``i``'s position was wrapped.
        base: the block read unshifted (it starts the sum), or -1 (the sum starts at 0).
        bias: ``(O,)`` added last, or an empty array for none.
        y: ``(M, O, P)`` output planes.
    """
    ks, n_out, m, p = z.shape
    zero = y.dtype.type(0)
    for o in range(n_out):
        for n in range(m):
            out = y[n, o]
            if base >= 0:
                src = z[base, o, n]
                for t in range(p):
                    out[t] = src[t]
            else:
                for t in range(p):
                    out[t] = zero
            for i in range(ks):
                if i == base:
                    continue
                s = shifts[i]
                lo = min(p, max(0, -s))       # shifts can exceed the plane (a kernel
                hi = max(lo, p - max(0, s))   # wider than the input): clamp, no reads
                # slices first, so the loop index starts at 0: numba then knows it is not
                # negative and drops the wraparound test that blocks vectorization (2x)
                acc, zi, ok = out[lo:hi], z[i, o, n, lo + s:hi + s], valid[i, lo + s:hi + s]
                for t in range(hi - lo):
                    acc[t] += zi[t] if ok[t] else zero
            if bias.shape[0]:
                b = bias[o]
                for t in range(p):
                    out[t] += b


def shifted_plane_copies(gy, shifts, valid, g):
    """``G[i, o, n, t] = gy[n, o, t - s_i]`` where ``valid[i, t]`` and ``t - s_i`` is on the
    plane, else 0: the weight gradient's stacked operand.

    Args:
        gy: ``(M, O, P)`` the output gradient's planes.
        shifts, valid: as for ``shifted_plane_sums``.
        g: ``(KS, O, M, P)`` written.
    """
    ks, n_out, m, p = g.shape
    zero = g.dtype.type(0)
    for o in range(n_out):
        for n in range(m):
            src = gy[n, o]
            for i in range(ks):
                s = shifts[i]
                lo = min(p, max(0, s))
                hi = max(lo, p + min(0, s))
                dst = g[i, o, n]
                head, tail = dst[:lo], dst[hi:]
                for t in range(lo):
                    head[t] = zero
                for t in range(p - hi):
                    tail[t] = zero
                out, part, ok = dst[lo:hi], src[lo - s:hi - s], valid[i, lo:hi]
                for t in range(hi - lo):
                    out[t] = part[t] if ok[t] else zero


def shifted_column_copies(x, shifts, valid, cols):
    """``cols[c, i, n, t] = x[n, c, t + s_i]`` where ``valid[i, t]``, else 0: the stacked
    GEMM's columns.

    Args:
        x: ``(M, C, P)`` the chunk's input planes.
        shifts: ``(K,)`` flat shifts of the column offsets (int64).
        valid: ``(K, P)`` uint8, 0 where offset ``i`` reads outside the input.
        cols: ``(C, K, M, P)`` written.
    """
    n_in, ks, m, p = cols.shape
    zero = cols.dtype.type(0)
    for c in range(n_in):
        for i in range(ks):
            s = shifts[i]
            lo = min(p, max(0, -s))       # shifts can exceed the plane (a kernel
            hi = max(lo, p - max(0, s))   # wider than the input): clamp, no reads
            ok = valid[i, lo:hi]
            for n in range(m):
                dst = cols[c, i, n]
                head, tail = dst[:lo], dst[hi:]
                for t in range(lo):
                    head[t] = zero
                for t in range(p - hi):
                    tail[t] = zero
                out, part = dst[lo:hi], x[n, c, lo + s:hi + s]
                for t in range(hi - lo):
                    out[t] = part[t] if ok[t] else zero


def shifted_column_rows(x, off_h, off_w, cols):
    """``cols[c, i, n, h, w] = x[n, c, h + off_h[i], w + off_w[i]]`` where that is inside
    ``x``, else 0: the columns of a 2-D convolution, row by row.

    Args:
        x: ``(M, C, H, W)`` the chunk's input.
        off_h, off_w: ``(K,)`` the column offsets (int64).
        cols: ``(C, K, M, GH, GW)`` written (the grid's planes).
    """
    n_in, ks, m, gh, gw = cols.shape
    h_in, w_in = x.shape[2], x.shape[3]
    zero = cols.dtype.type(0)
    for c in range(n_in):
        for i in range(ks):
            dh, dw = off_h[i], off_w[i]
            lo = min(gw, max(0, -dw))         # the row's columns read inside x
            hi = max(lo, min(gw, w_in - dw))
            for n in range(m):
                for r in range(gh):
                    dst = cols[c, i, n, r]
                    src_row = r + dh
                    if src_row < 0 or src_row >= h_in:
                        for t in range(gw):
                            dst[t] = zero
                        continue
                    head, tail = dst[:lo], dst[hi:]
                    for t in range(lo):
                        head[t] = zero
                    for t in range(gw - hi):
                        tail[t] = zero
                    out, part = dst[lo:hi], x[n, c, src_row, lo + dw:hi + dw]
                    for t in range(hi - lo):
                        out[t] = part[t]
