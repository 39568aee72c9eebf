"""Batch norm's passes as loops, compiled by numba when the ``numba`` extra is installed
(ember/backend/_jit.py); ``ember/ops/norm.py`` runs its NumPy passes otherwise.

Every loop takes a C-contiguous ``(N, C, L)`` view of the activations and the row range
``[a, b)`` of one part (ember's threads run the parts side by side), and reads each
element once: the backward's sums read ``g`` and ``xc`` in one pass (NumPy: a column sum and
an ``einsum``), and its input gradient is one expression per element (NumPy: four
elementwise passes). Sums are accumulated per ``(n, c)`` row, then added to the part's
per-channel accumulator in row order, so they depend on the parts only.

Measured (one thread, 128x32x28x28 float32, this project's Xeon): the backward's sums 1.91
-> 0.93 ms, its input gradient 3.89 -> 1.39 ms (benchmarks/PROFILE_CONV.md, session 6).
"""

LOOPS = ("channel_sums", "centre_and_square_sums", "scale_shift", "grad_sums", "grad_input")


def channel_sums(x, a, b, out):
    """``out[c] += sum(x[a:b, c, :])``."""
    zero = out.dtype.type(0)
    for n in range(a, b):
        for c in range(x.shape[1]):
            t = zero
            for i in range(x.shape[2]):
                t += x[n, c, i]
            out[c] += t


def centre_and_square_sums(x, mean, a, b, xc, out):
    """``xc = x - mean[c]`` and ``out[c] += sum(xc ** 2)`` over rows ``a:b``."""
    zero = out.dtype.type(0)
    for n in range(a, b):
        for c in range(x.shape[1]):
            m = mean[c]
            t = zero
            for i in range(x.shape[2]):
                v = x[n, c, i] - m
                xc[n, c, i] = v
                t += v * v
            out[c] += t


def scale_shift(xc, scale, shift, a, b, y):
    """``y = xc * scale[c] + shift[c]`` over rows ``a:b``."""
    for n in range(a, b):
        for c in range(xc.shape[1]):
            s, h = scale[c], shift[c]
            for i in range(xc.shape[2]):
                y[n, c, i] = xc[n, c, i] * s + h


def grad_sums(g, xc, a, b, s1, s2):
    """``s1[c] += sum(g)`` and ``s2[c] += sum(g * xc)`` over rows ``a:b``."""
    zero = s1.dtype.type(0)
    for n in range(a, b):
        for c in range(g.shape[1]):
            t1 = zero
            t2 = zero
            for i in range(g.shape[2]):
                v = g[n, c, i]
                t1 += v
                t2 += v * xc[n, c, i]
            s1[c] += t1
            s2[c] += t2


def grad_input(g, xc, gain, k_xc, k_0, a, b, dx):
    """``dx = g * gain[c] - (xc * k_xc[c] + k_0[c])`` over rows ``a:b``."""
    for n in range(a, b):
        for c in range(g.shape[1]):
            p, r, q = gain[c], k_xc[c], k_0[c]
            for i in range(g.shape[2]):
                dx[n, c, i] = g[n, c, i] * p - (xc[n, c, i] * r + q)
