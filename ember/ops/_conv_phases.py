"""The input gradient of a strided convolution (= a strided transposed convolution) as a
few stride-1 convolutions, one per output phase, each run by the grid kernel.

For ``y[q] = sum_k x[q*s + k - p] w[k]`` (one spatial dim shown; stride ``s``, padding
``p``, no dilation) the input gradient is ``gx[i] = sum_{q, k: q*s + k - p = i} gy[q] w[k]``.
An input position ``i`` only meets the taps ``k = r + s*t`` of its phase ``r = (i + p) mod
s``, at ``q = I - t`` with ``I = (i + p - r) / s``; so the positions of one phase form a
stride-1 convolution of ``gy`` with the sub-kernel ``w[r::s]`` (flipped: ``gy`` is read at
``I - t``), and the phases interleave. A 4x4 stride-2 kernel gives four 2x2 convolutions,
a 3x3 one a 2x2, two 2x1 and a 1x1; together they do the same multiply-adds as the
direct computation, none wasted, as GEMMs of the grid kernel instead of a per-sample GEMM
and a col2im that adds every kernel offset's block into the output.
"""
import math

from ._conv_grid import grid_plan
from ._im2col import kernel_offsets, run_parts

__all__ = ["phase_input_gradient"]


def _phase(r, s, k, p, size):
    """For one dim: the phase's taps ``T``, first input index ``i0``, number of input
    positions ``U``, and the padding ``plo`` of its stride-1 convolution (its output index
    ``u`` reads ``gy[I0 + u - t]`` = ``gy[u + kk - plo]`` with ``kk = T - 1 - t``)."""
    taps = k // s                                 # k = r, r + s, ... < k (s divides k)
    first = -(-(p - r) // s)                      # I0: the first I with i = I*s + r - p >= 0
    i0 = first * s + r - p
    count = max(0, -(-(size - i0) // s))
    return taps, i0, count, taps - 1 - first


def phase_input_gradient(xp, gy, w, in_size, stride, plo):
    """``dL/dx`` of ``conv(x, w, stride, plo)`` (one group, no dilation) given ``gy``, phase
    by phase with the grid kernel; None when some phase's convolution does not suit it
    (conv.py then runs its own kernels)."""
    n = gy.shape[0]
    c = w.shape[1]
    ksize = tuple(w.shape[2:])
    if any(k % s for k, s in zip(ksize, stride)):
        # phases with unequal taps (a 3x3 kernel, stride 2: a 2x2, two 2x1 and a 1x1 phase)
        # did not pay: ResNet-18's step at two threads 782-851 ms with them for its three
        # downsampling layers, 749-786 without (the 1x1 phase's GEMM is thin)
        return None
    nd = len(ksize)
    phases = []
    for r in kernel_offsets(stride):
        dims = [_phase(ri, s, k, p, size)
                for ri, s, k, p, size in zip(r, stride, ksize, plo, in_size)]
        if any(cnt == 0 for _, _, cnt, _ in dims):
            continue                              # no input position in this phase
        if any(pl < 0 for _, _, _, pl in dims):
            return None
        sub = tuple(t for t, _, _, _ in dims)
        out = tuple(cnt for _, _, cnt, _ in dims)
        plan = grid_plan(gy.shape, sub, tuple(pl for _, _, _, pl in dims), (1,) * nd,
                         (1,) * nd, 1, out, gy.itemsize)
        if plan is None:
            return None
        phases.append((r, dims, plan))
    gx = xp.empty((n, c) + tuple(in_size), dtype=gy.dtype)
    covered = sum(math.prod(cnt for _, _, cnt, _ in dims) for _, dims, _ in phases)
    assert covered == math.prod(in_size), "phases must cover every input position"

    def run(phase):
        r, dims, plan = phase
        where = (slice(None), slice(None)) + tuple(
            slice(i0, i0 + (cnt - 1) * s + 1, s) for (_, i0, cnt, _), s in zip(dims, stride))
        # the phase's kernel as a forward conv weight (C, O, *T): w[o, c, r + s*t], t flipped
        taps = (slice(None), slice(None)) + tuple(slice(ri, None, s) for ri, s in zip(r, stride))
        flip = (slice(None), slice(None)) + (slice(None, None, -1),) * nd
        sub = xp.ascontiguousarray(w[taps][flip].swapaxes(0, 1))
        plan.forward(xp, gy, sub, None, out=gx[where])    # each chunk writes its phase
    # the phases write disjoint positions: they share the threads (a phase's own chunks are
    # often one: a 4x4 stride-2 kernel on 8x8 planes, batch 64)
    run_parts(xp, [(ph, None) for ph in phases], lambda ph, _: run(ph))
    return gx
