"""Pooling ops: max / average (1-d, 2-d, 3-d), adaptive average / max, max-unpooling.

Max and average pooling copy the windows once into contiguous ``(prod(K), N, C, *O)``
columns and reduce them with prod(K) vectorised passes (no Python loop over pixels). The
max pool keeps, per output, which kernel offset won (the first maximum, as PyTorch; a NaN
wins, the last one of its window as in PyTorch); its backward writes ``g * (arg == i)``
per kernel offset into the offset's strided view of the input gradient. Each op's backward is a
Op whose own backward is the forward map again (these maps are linear in the
gradient), so double backward works.

Adaptive average pooling (and average-based resizing) is a separable linear map: one small
averaging matrix per spatial dim. Adaptive max pooling gathers by flat input index.
"""
import math

import numpy as np

from ..autograd.op import Op
from ._im2col import (ntuple, pad_spatial, crop_spatial,
                      pool_cols, pool_uncols, fold_windows, fixed_parts, run_parts)

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "lp_pool1d", "lp_pool2d", "lp_pool3d"]

_HEAD = (slice(None), slice(None))


def _nonoverlap(ksize, stride, dilation):
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(ksize, stride, dilation))


# ---------------------------------------------------------------- geometry / arguments
def _geometry(opname, x, ksize, stride, padding, dilation, ceil_mode, nd):
    """Normalised (K, stride, plo, phi, dilation, osize) for a pooling over x's last nd dims."""
    k = ntuple(ksize, nd, "kernel_size", opname)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else ntuple(stride, nd, "stride", opname)
    p = ntuple(padding, nd, "padding", opname)
    d = ntuple(dilation, nd, "dilation", opname)
    if any(v < 1 for v in k + s + d):
        raise ValueError(f"{opname}: kernel_size, stride and dilation must be positive, got "
                         f"kernel_size={k}, stride={s}, dilation={d}")
    if any(pv < 0 or 2 * pv > dv * (kv - 1) + 1 for pv, kv, dv in zip(p, k, d)):
        raise ValueError(f"{opname}: pad should be non-negative and at most half of the "
                         f"effective kernel size, got padding={p}, kernel_size={k}, dilation={d}")
    size = x.shape[2:]
    osize, phi = [], []
    for sz, kv, sv, pv, dv in zip(size, k, s, p, d):
        eff = dv * (kv - 1) + 1
        num = sz + 2 * pv - eff
        o = (num + (sv - 1 if ceil_mode else 0)) // sv + 1
        if ceil_mode and (o - 1) * sv >= sz + pv:
            o -= 1
        if num < 0 or o < 1:
            raise RuntimeError(f"{opname}: kernel size {k} (dilation {d}) is greater than the "
                               f"padded input size (input{_shape(x)}, padding {p}); output "
                               f"size would be {o}")
        osize.append(o)
        phi.append(max(0, (o - 1) * sv + eff - sz - pv))
    return k, s, p, tuple(phi), d, tuple(osize)


def _shape(t):
    return "[" + ", ".join(str(v) for v in t.shape) + "]"


def _batched(opname, x, nd):
    if not hasattr(x, "_data"):
        raise TypeError(f"{opname}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim == nd + 2:
        return x, False
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    raise RuntimeError(f"{opname}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                       f"input, got input of shape {tuple(x.shape)}")


def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    return np.iinfo(dtype).min


# ---------------------------------------------------------------- max pooling kernels
def _max_forward(xp, x, k, s, plo, phi, d, osize):
    """(y, arg): window maxima and the kernel offset of the first maximum (a NaN wins; the
    last NaN of a window, as PyTorch).

    The windows are copied once into contiguous ``(prod(K), N, C, *O)`` columns; the max is
    a chain of ``maximum`` calls and the first-max offset a running product of "not the
    max" masks (``arg = sum_i prod_{j<=i} (col_j != y)``): every pass is a contiguous
    vectorised loop (``copyto(where=)`` and ``argmax`` over axis 0 are several times
    slower)."""
    cols = pool_cols(xp, pad_spatial(xp, x, plo, phi, _lowest(x.dtype)), k, osize, s, d)
    nk = cols.shape[0]
    if nk == 1:
        return cols[0], xp.zeros(cols.shape[1:], dtype=np.uint8)
    y = xp.maximum(cols[0], cols[1])
    for i in range(2, nk):
        xp.maximum(y, cols[i], out=y)
    adt = np.uint8 if nk < 256 else np.int32
    arg = xp.zeros(y.shape, dtype=adt)
    run = xp.ones(y.shape, dtype=bool)          # no maximum among the offsets seen so far
    ne = xp.empty(y.shape, dtype=bool)
    for i in range(nk - 1):
        xp.not_equal(cols[i], y, out=ne)
        xp.logical_and(run, ne, out=run)
        if adt == np.uint8:
            xp.add(arg, run.view(np.uint8), out=arg)
        else:
            arg += run
    # a NaN anywhere in y makes its sum NaN (a false alarm from inf - inf only costs time)
    if x.dtype.kind == "f" and bool(xp.isnan(y.sum())) and bool(xp.isnan(y).any()):
        for i in range(nk):                  # the last NaN wins, as in PyTorch
            xp.copyto(arg, i, where=xp.isnan(cols[i]))
    return y, arg


def _by_samples(xp, x, fn):
    """``fn(x)`` -> ``(y, arg)``, run on parts of the batch over ember's threads when ``x``
    is big (every sample is pooled on its own)."""
    parts = fixed_parts(x.shape[0], x.size)
    if xp is not np or len(parts) < 2:
        return fn(x)
    outs = run_parts(xp, parts, lambda a, b: fn(x[a:b]))
    return (xp.concatenate([o[0] for o in outs]), xp.concatenate([o[1] for o in outs]))


def _max_scatter(xp, g, arg, k, s, plo, phi, d, in_size):
    """Adjoint of the arg-gather: route g to the winning input of each window (per kernel
    offset ``g * (arg == i)``, folded back with ``fold_windows``)."""
    osize = g.shape[2:]
    psize = tuple(sz + a + b for sz, a, b in zip(in_size, plo, phi))
    mask = xp.empty(g.shape, dtype=bool)
    tmp = []

    def emit(i, out):
        xp.equal(arg, i, out=mask)
        if out is None:
            if not tmp:
                tmp.append(xp.empty(g.shape, dtype=g.dtype))
            out = tmp[0]
        return xp.multiply(g, mask, out=out)
    gpad = fold_windows(xp, g.shape[:2], psize, k, osize, s, d, g.dtype, emit)
    if not any(plo) and not any(phi):
        return gpad
    return xp.ascontiguousarray(crop_spatial(gpad, plo, in_size))


def _max_gather(xp, x, arg, k, s, plo, phi, d):
    """y[o] = x[window(o)][arg[o]] (zero padding: padded cells never win for finite x)."""
    cols = pool_cols(xp, pad_spatial(xp, x, plo, phi), k, arg.shape[2:], s, d)
    return xp.take_along_axis(cols, arg[None].astype(np.intp), axis=0)[0]


def _flat_indices(xp, arg, k, s, plo, d, in_size):
    """Flat index into each input plane (PyTorch's return_indices convention)."""
    offs = xp.unravel_index(arg, k)
    nd = len(k)
    idx = None
    for i in range(nd):
        shape = [1] * (nd + 2)
        shape[2 + i] = arg.shape[2 + i]
        base = (xp.arange(arg.shape[2 + i], dtype=np.int64) * s[i] - plo[i]).reshape(shape)
        pos = base + offs[i].astype(np.int64) * d[i]
        idx = pos if idx is None else idx * in_size[i] + pos
    return idx


class _MaxPoolNd(Op):
    """Params: k, s, plo, phi, d, osize, box (dict receiving 'arg')."""
    torch_name = "MaxPoolWithIndices"

    def forward(self, x):
        y, arg = _by_samples(self.xp, x, lambda xs: _max_forward(
            self.xp, xs, self.k, self.s, self.plo, self.phi, self.d, self.osize))
        self.arg = arg
        self.box["arg"] = arg
        self.in_size = x.shape[2:]
        return y

    def backward(self, g):
        return _MaxScatter.apply(g, arg=self.arg, k=self.k, s=self.s, plo=self.plo, phi=self.phi,
                                 d=self.d, in_size=self.in_size)

    def name(self):
        return "MaxPoolBackward0"


class _MaxScatter(Op):
    def forward(self, g):
        xp, arg = self.xp, self.arg
        parts = fixed_parts(g.shape[0], g.size * math.prod(self.k))
        if xp is not np or len(parts) < 2:
            return _max_scatter(xp, g, arg, self.k, self.s, self.plo, self.phi, self.d,
                                self.in_size)
        gx = xp.empty(g.shape[:2] + tuple(self.in_size), dtype=g.dtype)

        def samples(a, b):
            gx[a:b] = _max_scatter(xp, g[a:b], arg[a:b], self.k, self.s, self.plo, self.phi,
                                   self.d, self.in_size)
        run_parts(xp, parts, samples)
        return gx

    def backward(self, gg):
        return _MaxGather.apply(gg, arg=self.arg, k=self.k, s=self.s, plo=self.plo,
                                phi=self.phi, d=self.d, in_size=self.in_size)

    def name(self):
        return "MaxPoolBackwardBackward0"


class _MaxGather(Op):
    def forward(self, x):
        return _max_gather(self.xp, x, self.arg, self.k, self.s, self.plo, self.phi, self.d)

    def backward(self, g):
        return _MaxScatter.apply(g, arg=self.arg, k=self.k, s=self.s, plo=self.plo,
                                 phi=self.phi, d=self.d, in_size=self.in_size)

    def name(self):
        return "MaxPoolBackward0"


def _max_poolnd(nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    opname = f"max_pool{nd}d"
    x, unb = _batched(opname, x, nd)
    k, s, p, phi, d, osize = _geometry(opname, x, kernel_size, stride, padding, dilation,
                                       ceil_mode, nd)
    box = {}
    y = _MaxPoolNd.apply(x, k=k, s=s, plo=p, phi=phi, d=d, osize=osize, box=box)
    if unb:
        y = y.squeeze(0)
    if not return_indices:
        return y
    from ..tensor import Tensor
    idx = Tensor._wrap(_flat_indices(_xp(x), box["arg"], k, s, p, d, x.shape[2:]))
    return y, (idx.squeeze(0) if unb else idx)


def _xp(t):
    from ..backend import get_array_module
    return get_array_module(t._data)


# ---------------------------------------------------------------- average pooling
def _avg_divisor(xp, in_size, k, s, p, osize, count_include_pad, divisor_override, dtype):
    if divisor_override is not None:
        return dtype.type(divisor_override)
    div = None
    for i, (sz, kv, sv, pv, o) in enumerate(zip(in_size, k, s, p, osize)):
        start = np.arange(o) * sv - pv
        end = np.minimum(start + kv, sz + pv)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = np.minimum(end, sz) - np.maximum(start, 0)
        shape = [1] * len(k)
        shape[i] = o
        cnt = cnt.reshape(shape)
        div = cnt if div is None else div * cnt
    if np.all(div == div.flat[0]):
        return dtype.type(div.flat[0])
    return xp.asarray(div.astype(dtype))


class _AvgPoolNd(Op):
    """Params: k, s, plo, phi, osize, div (scalar or array over output positions)."""
    torch_name = "AvgPool"

    def forward(self, x):
        xp = self.xp
        self.in_size = x.shape[2:]
        ones = (1,) * len(self.k)
        cols = pool_cols(xp, pad_spatial(xp, x, self.plo, self.phi), self.k, self.osize,
                         self.s, ones)
        y = cols.sum(axis=0)
        y /= self.div
        return y

    def backward(self, g):
        return _AvgPoolAdjoint.apply(g, k=self.k, s=self.s, plo=self.plo, phi=self.phi,
                                     osize=self.osize, div=self.div, in_size=self.in_size)

    def name(self):
        return "AvgPoolBackward0"


class _AvgPoolAdjoint(Op):
    def forward(self, g):
        xp = self.xp
        gd = g / self.div
        nk = math.prod(self.k)
        pshape = g.shape[:2] + tuple(a + b + c for a, b, c in zip(self.in_size, self.plo, self.phi))
        cols = xp.broadcast_to(gd[None], (nk,) + gd.shape)
        gpad = pool_uncols(xp, cols, pshape, self.k, self.s, (1,) * len(self.k))
        return xp.ascontiguousarray(crop_spatial(gpad, self.plo, self.in_size))

    def backward(self, gg):
        return _AvgPoolNd.apply(gg, k=self.k, s=self.s, plo=self.plo, phi=self.phi,
                                osize=self.osize, div=self.div)

    def name(self):
        return "AvgPoolBackwardBackward0"


def _avg_poolnd(nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    opname = f"avg_pool{nd}d"
    x, unb = _batched(opname, x, nd)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{opname}: expected a floating point input, got {x.dtype}")
    k, s, p, phi, _, osize = _geometry(opname, x, kernel_size, stride, padding, 1, ceil_mode, nd)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{opname}: divisor_override must be non-zero")
    div = _avg_divisor(_xp(x), x.shape[2:], k, s, p, osize, count_include_pad,
                       divisor_override, x._data.dtype)
    y = _AvgPoolNd.apply(x, k=k, s=s, plo=p, phi=phi, osize=osize, div=div)
    return y.squeeze(0) if unb else y


# ---------------------------------------------------------------- adaptive pooling
def _adaptive_bounds(size, out):
    o = np.arange(out)
    return (o * size) // out, -((-(o + 1) * size) // out)


def _avg_matrix(size, out, dtype):
    start, end = _adaptive_bounds(size, out)
    j = np.arange(size)
    m = ((j >= start[:, None]) & (j < end[:, None])).astype(dtype)
    return m / (end - start)[:, None].astype(dtype)


def apply_separable(xp, x, mats):
    """Apply matrix mats[i] (out_i, in_i) along spatial dim i (None = identity)."""
    nd = len(mats)
    for i, m in enumerate(mats):
        if m is None:
            continue
        ax = x.ndim - nd + i
        if ax == x.ndim - 1:
            x = x @ m.T
        else:
            x = xp.moveaxis(xp.tensordot(x, m, axes=([ax], [1])), -1, ax)
    return xp.ascontiguousarray(x)


class SeparableLinear(Op):
    """y = x transformed along each spatial dim by a fixed matrix. Params: mats (arrays)."""

    def forward(self, x):
        self.mats = tuple(None if m is None else self.xp.asarray(m, dtype=x.dtype)
                          for m in self.mats)
        return apply_separable(self.xp, x, self.mats)

    def backward(self, g):
        return SeparableLinear.apply(g, mats=tuple(None if m is None else m.T for m in self.mats))

    def name(self):
        return "SeparableLinearBackward0"


def _out_size(opname, output_size, x, nd):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise ValueError(f"{opname}: output_size must be an int or a tuple of {nd} ints "
                             f"(None keeps the input size), got {output_size!r}")
        out = tuple(x.shape[2 + i] if v is None else int(v) for i, v in enumerate(output_size))
    else:
        out = (int(output_size),) * nd
    if any(v < 1 for v in out):
        raise ValueError(f"{opname}: output_size must be positive, got {output_size!r}")
    if any(v < 1 for v in x.shape[2:]):
        raise RuntimeError(f"{opname}: empty spatial input of shape {tuple(x.shape)}")
    return out


def _adaptive_avgnd(nd, x, output_size):
    opname = f"adaptive_avg_pool{nd}d"
    x, unb = _batched(opname, x, nd)
    out = _out_size(opname, output_size, x, nd)
    size = x.shape[2:]
    if all(s % o == 0 for s, o in zip(size, out)):
        k = tuple(s // o for s, o in zip(size, out))
        y = _AvgPoolNd.apply(x, k=k, s=k, plo=(0,) * nd, phi=(0,) * nd, osize=out,
                             div=x._data.dtype.type(math.prod(k)))
    else:
        dt = x._data.dtype
        mats = tuple(None if s == o else _avg_matrix(s, o, dt) for s, o in zip(size, out))
        y = SeparableLinear.apply(x, mats=mats)
    return y.squeeze(0) if unb else y


class IndexGather(Op):
    """y = x.reshape(N, C, -1) gathered at flat indices idx (N, C, *O). Params: idx."""

    def forward(self, x):
        n, c = x.shape[:2]
        self.in_shape = x.shape
        flat = x.reshape(n, c, -1)
        idx = self.idx.reshape(n, c, -1)
        return self.xp.take_along_axis(flat, idx, axis=2).reshape(self.idx.shape)

    def backward(self, g):
        return IndexScatter.apply(g, idx=self.idx, out_shape=self.in_shape)

    def name(self):
        return "GatherBackward0"


class IndexScatter(Op):
    """Sum g into zeros(out_shape) at flat per-plane indices idx (duplicates add)."""

    def forward(self, g):
        xp = self.xp
        n, c = self.out_shape[:2]
        plane = math.prod(self.out_shape[2:])
        idx = self.idx.reshape(n * c, -1) + (xp.arange(n * c) * plane)[:, None]
        out = xp.bincount(idx.ravel(), weights=g.ravel(), minlength=n * c * plane)
        return out.astype(g.dtype, copy=False).reshape(self.out_shape)

    def backward(self, gg):
        return IndexGather.apply(gg, idx=self.idx)

    def name(self):
        return "ScatterAddBackward0"


class IndexPut(Op):
    """zeros(out_shape) with g written at flat per-plane indices idx (max_unpool: on duplicate
    indices one value wins, as PyTorch); the backward gathers."""

    def forward(self, g):
        xp = self.xp
        n, c = self.out_shape[:2]
        out = xp.zeros((n, c, math.prod(self.out_shape[2:])), dtype=g.dtype)
        xp.put_along_axis(out, self.idx.reshape(n, c, -1), g.reshape(n, c, -1), axis=2)
        return out.reshape(self.out_shape)

    def backward(self, gg):
        return IndexGather.apply(gg, idx=self.idx)

    def name(self):
        return "MaxUnpoolBackward0"


def _adaptive_max_indices(xp, x, out):
    """Flat input index of the (first) maximum of every adaptive window."""
    nd = len(out)
    size = x.shape[2:]
    w = x
    idxs = []
    for i, (s, o) in enumerate(zip(size, out)):
        start, end = _adaptive_bounds(s, o)
        kmax = int((end - start).max())
        idx = np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)   # (o, kmax)
        idxs.append(idx)
        ax = 2 + 2 * i
        w = xp.take(w, xp.asarray(idx.ravel()), axis=ax)
        w = w.reshape(w.shape[:ax] + (o, kmax) + w.shape[ax + 1:])
    # w: (N, C, o1, k1, o2, k2, ...) -> (N, C, o1, o2, ..., k1*k2*...)
    perm = [0, 1] + [2 + 2 * i for i in range(nd)] + [3 + 2 * i for i in range(nd)]
    w = w.transpose(perm)
    ks = w.shape[2 + nd:]
    w = w.reshape(w.shape[:2 + nd] + (-1,))
    if w.dtype.kind == "f":
        nanm = xp.isnan(w)
        if nanm.any():   # NaN wins, as in PyTorch
            w = xp.where(nanm, np.inf, w)
    local = xp.argmax(w, axis=-1)
    offs = xp.unravel_index(local, ks)
    flat = None
    for i, idx in enumerate(idxs):
        shape = [1] * (nd + 2)
        shape[2 + i] = out[i]
        rows = xp.asarray(idx)[xp.arange(out[i]).reshape(shape), offs[i]]
        flat = rows if flat is None else flat * size[i] + rows
    return flat.astype(np.int64)


def _adaptive_maxnd(nd, x, output_size, return_indices):
    opname = f"adaptive_max_pool{nd}d"
    x, unb = _batched(opname, x, nd)
    out = _out_size(opname, output_size, x, nd)
    size = x.shape[2:]
    if all(s % o == 0 for s, o in zip(size, out)):
        k = tuple(s // o for s, o in zip(size, out))
        return _max_poolnd(nd, x.squeeze(0) if unb else x, k, k, 0, 1, False, return_indices)
    from ..tensor import Tensor
    idx = _adaptive_max_indices(_xp(x), x._data, out)
    y = IndexGather.apply(x, idx=idx)
    if unb:
        y = y.squeeze(0)
    if not return_indices:
        return y
    it = Tensor._wrap(idx)
    return y, (it.squeeze(0) if unb else it)


def _max_unpoolnd(nd, x, indices, kernel_size, stride, padding, output_size):
    xp = _xp(x)
    opname = f"max_unpool{nd}d"
    x, unb = _batched(opname, x, nd)
    ind = indices._data if hasattr(indices, "_data") else xp.asarray(indices)
    if unb:
        ind = ind[None]
    if tuple(ind.shape) != tuple(x.shape):
        raise RuntimeError(f"{opname}: indices of shape {tuple(ind.shape)} must match the input "
                           f"of shape {tuple(x.shape)}")
    k = ntuple(kernel_size, nd, "kernel_size", opname)
    s = k if stride is None else ntuple(stride, nd, "stride", opname)
    p = ntuple(padding, nd, "padding", opname)
    default = tuple((i - 1) * sv - 2 * pv + kv for i, sv, pv, kv in zip(x.shape[2:], s, p, k))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-nd:]
        for sz, dv, sv in zip(size, default, s):
            if not dv - sv < sz < dv + sv:
                raise ValueError(f"{opname}: output_size {size} must be within a stride of the "
                                 f"default size {default}")
    plane = math.prod(size)
    if ind.size and (int(ind.min()) < 0 or int(ind.max()) >= plane):
        raise RuntimeError(f"{opname}: found an index out of range [0, {plane}) for an output "
                           f"of spatial size {size}")
    y = IndexPut.apply(x, idx=ind.astype(np.int64, copy=False),
                           out_shape=tuple(x.shape[:2]) + size)
    return y.squeeze(0) if unb else y


# ---------------------------------------------------------------- public functions
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling; see ``max_pool2d``. Input ``(N, C, L)`` or ``(C, L)``."""
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` (or unbatched ``(C, H, W)``).

    Args:
        kernel_size: window size (int or tuple).
        stride: window step; default ``kernel_size``.
        padding: implicit -inf padding on both sides (at most half the kernel).
        dilation: spacing between window elements.
        ceil_mode: use ceil instead of floor for the output size (the last window may hang
            over the edge but must start inside the input or left padding).
        return_indices: also return the flat index (into each input plane ``H*W``) of every
            maximum, for ``max_unpool2d``. Ties pick the first maximum, as PyTorch.

    Shape:
        Output ``(N, C, H_out, W_out)``, ``H_out = floor((H + 2p - d(k-1) - 1)/s) + 1``.

    Example:
        >>> F.max_pool2d(ember.randn(8, 16, 32, 32), 2).shape   # (8, 16, 16, 16)
    """
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling; see ``max_pool2d``. Input ``(N, C, D, H, W)`` or unbatched."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling; see ``avg_pool2d``."""
    return _avg_poolnd(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over ``(N, C, H, W)`` (or unbatched ``(C, H, W)``).

    Args:
        kernel_size, stride (default ``kernel_size``), padding (zeros), ceil_mode: as
            ``max_pool2d``.
        count_include_pad: count the zero padding in the divisor (default True). Cells of a
            ceil_mode window beyond the padding are never counted.
        divisor_override: divide every window sum by this instead.

    Example:
        >>> F.avg_pool2d(ember.randn(8, 16, 32, 32), 2).shape   # (8, 16, 16, 16)
    """
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling; see ``avg_pool2d``."""
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length; see ``adaptive_avg_pool2d``."""
    return _adaptive_avgnd(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (window i covers
    ``[floor(i*H/H_out), ceil((i+1)*H/H_out))``, as PyTorch).

    Args:
        output_size: int or ``(H_out, W_out)``; ``None`` entries keep the input size.

    Example:
        >>> F.adaptive_avg_pool2d(ember.randn(8, 512, 7, 7), 1).shape   # (8, 512, 1, 1)
    """
    return _adaptive_avgnd(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling; see ``adaptive_avg_pool2d``."""
    return _adaptive_avgnd(3, input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive 1-D max pooling; see ``adaptive_max_pool2d``."""
    return _adaptive_maxnd(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (windows as ``adaptive_avg_pool2d``).

    Example:
        >>> F.adaptive_max_pool2d(ember.randn(2, 8, 9, 9), (4, 4)).shape
    """
    return _adaptive_maxnd(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive 3-D max pooling; see ``adaptive_max_pool2d``."""
    return _adaptive_maxnd(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _adaptive_maxnd(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_maxnd(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return _adaptive_maxnd(3, input, output_size, True)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of ``max_pool1d``; see ``max_unpool2d``."""
    return _max_unpoolnd(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool2d``: puts each value at its ``indices`` position in a
    zero plane of size ``(H-1)*stride - 2*padding + kernel_size`` (or ``output_size``).

    Example:
        >>> y, i = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).shape == x.shape
    """
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of ``max_pool3d``; see ``max_unpool2d``."""
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)


def _lp_poolnd(nd, x, norm_type, kernel_size, stride, ceil_mode):
    k = ntuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d")
    p = float(norm_type)
    if p == math.inf:
        return _max_poolnd(nd, x, k, stride, 0, 1, ceil_mode, False)
    s = _avg_poolnd(nd, x ** p, k, stride, 0, ceil_mode, True, None)
    s = s.sign() * s.abs().relu()
    return (s * math.prod(k)) ** (1.0 / p)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum x^p)^(1/p)`` over windows (PyTorch's lp_pool1d)."""
    return _lp_poolnd(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 2-D windows (PyTorch's lp_pool2d).

    Example:
        >>> F.lp_pool2d(ember.randn(1, 3, 8, 8), 2, 2).shape
    """
    return _lp_poolnd(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 3-D windows (PyTorch's lp_pool3d)."""
    return _lp_poolnd(3, input, norm_type, kernel_size, stride, ceil_mode)
