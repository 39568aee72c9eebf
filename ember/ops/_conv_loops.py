"""The grid convolution's sums of shifted blocks as one loop, compiled by numba when the
``numba`` extra is installed (ember/backend/_jit.py); ``ember/ops/_conv_grid.py`` runs its
NumPy passes otherwise.

After the stacked GEMM, output ``t`` of a sample's channel plane is ``sum_i Z_i[t + s_i]``
over the stacked kernel offsets ``i``, where a read whose position wrapped onto another
row (``valid_i[t + s_i] == 0``) counts as zero. NumPy does that in passes over whole
blocks: zero the wrapped positions of each ``Z_i`` (strided writes touching every cache
line of the block), add it shifted into the unshifted block, then copy the result into
``y`` with samples and channels swapped. The loop below reads each block once and writes
``y`` once, plane by plane, adding the blocks in the same order as the NumPy passes (the
same bits, up to the sign of a zero).

Measured (fashion-cnn's 5x5 32->64 layer, one chunk of 16 samples, one thread): 0.19 ms
against 0.38 for the NumPy passes (benchmarks/PROFILE_CONV.md, session 6).
"""

LOOPS = ("shifted_plane_sums",)


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
                lo, hi = max(0, -s), p - max(0, s)
                # slices first, so the loop index starts at 0: numba then knows it is not
                # negative and drops the wraparound test that blocks vectorization (2x)
                acc, zi, ok = out[lo:hi], z[i, o, n, lo + s:hi + s], valid[i, lo + s:hi + s]
                for t in range(hi - lo):
                    acc[t] += zi[t] if ok[t] else zero
            if bias.shape[0]:
                b = bias[o]
                for t in range(p):
                    out[t] += b
