"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area) over 1-3 spatial dims, with PyTorch's coordinate conventions.

Every mode is separable: along each spatial dim the output is a fixed linear map of the
input. Linear-type modes build one small interpolation matrix per dim (2 or 4 taps per
row) and apply it with a GEMM (``SeparableLinear``, whose backward applies the transposes);
nearest modes gather with ``take`` and scatter back with a reshape-sum (integer factors)
or the transposed one-hot matrix.
"""
import math

import numpy as np

from ..autograd.op import Op
from .pool import SeparableLinear, apply_separable, _adaptive_avgnd

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _scale_value(scale, insz, outsz, dtype):
    """PyTorch's compute_scales_value: 1/scale_factor when given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(insz) / dtype(outsz)


def _nearest_index(insz, outsz, scale, exact):
    """Source index of every output element (float32 arithmetic, as PyTorch)."""
    dst = np.arange(outsz)
    if not exact:
        if outsz == insz:
            return dst
        if outsz == 2 * insz:
            return dst >> 1
    f = _scale_value(scale, insz, outsz, np.float32)
    off = np.float32(0.5) if exact else np.float32(0.0)
    src = np.floor((dst.astype(np.float32) + off) * f).astype(np.int64)
    return np.minimum(src, insz - 1)


def _linear_matrix(insz, outsz, scale, align_corners, dtype):
    ct = np.float64 if dtype == np.float64 else np.float32
    dst = np.arange(outsz).astype(ct)
    if align_corners:
        f = ct((insz - 1) / (outsz - 1)) if outsz > 1 else ct(0)
        src = dst * f
    else:
        f = _scale_value(scale, insz, outsz, ct)
        src = np.maximum(f * (dst + ct(0.5)) - ct(0.5), ct(0))
    i0 = src.astype(np.int64)
    i0 = np.minimum(i0, insz - 1)
    i1 = np.minimum(i0 + 1, insz - 1)
    l1 = src - i0.astype(ct)
    l0 = ct(1) - l1
    m = np.zeros((outsz, insz), dtype=ct)
    rows = np.arange(outsz)
    np.add.at(m, (rows, i0), l0)
    np.add.at(m, (rows, i1), l1)
    return m.astype(dtype)


def _cubic_matrix(insz, outsz, scale, align_corners, dtype):
    ct = np.float64 if dtype == np.float64 else np.float32
    a = ct(-0.75)
    dst = np.arange(outsz).astype(ct)
    if align_corners:
        f = ct((insz - 1) / (outsz - 1)) if outsz > 1 else ct(0)
        src = dst * f
    else:
        f = _scale_value(scale, insz, outsz, ct)
        src = f * (dst + ct(0.5)) - ct(0.5)
    i = np.floor(src)
    t = src - i
    i = i.astype(np.int64)

    def cc1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def cc2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    ws = (cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t))
    m = np.zeros((outsz, insz), dtype=ct)
    rows = np.arange(outsz)
    for j, w in enumerate(ws):
        np.add.at(m, (rows, np.clip(i - 1 + j, 0, insz - 1)), w)
    return m.astype(dtype)


def _onehot(idx, insz, dtype):
    m = np.zeros((len(idx), insz), dtype=dtype)
    m[np.arange(len(idx)), idx] = 1
    return m


class _Nearest(Op):
    """y = x gathered along each spatial dim by index arrays. Params: idxs."""

    def forward(self, x):
        xp = self.xp
        self.in_size = x.shape[2:]
        nd = len(self.idxs)
        y = x
        for i, idx in enumerate(self.idxs):
            if idx is not None:
                y = xp.take(y, xp.asarray(idx), axis=y.ndim - nd + i)
        return y if y is not x else x.copy()

    def backward(self, g):
        return _NearestAdjoint.apply(g, idxs=self.idxs, in_size=self.in_size)

    def name(self):
        return "UpsampleNearestBackward0"


class _NearestAdjoint(Op):
    def forward(self, g):
        xp = self.xp
        nd = len(self.idxs)
        for i, idx in enumerate(self.idxs):
            if idx is None:
                continue
            ax = g.ndim - nd + i
            insz = self.in_size[i]
            f = len(idx) // insz
            if len(idx) == f * insz and np.array_equal(idx, np.arange(len(idx)) // f):  # host: idx is a host table
                g = g.reshape(g.shape[:ax] + (insz, f) + g.shape[ax + 1:]).sum(axis=ax + 1)
            else:
                mats = [None] * nd
                mats[i] = xp.asarray(_onehot(idx, insz, g.dtype).T)
                g = apply_separable(xp, g, mats)
        return xp.ascontiguousarray(g)

    def backward(self, gg):
        return _Nearest.apply(gg, idxs=self.idxs)

    def name(self):
        return "UpsampleNearestBackwardBackward0"


def _sizes(opname, x, nd, size, scale_factor, recompute_scale_factor):
    insz = tuple(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{opname}: either size or scale_factor should be defined (not both)")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f"{opname}: size shape must match input shape. Input is "
                                 f"{nd}D, size is {len(size)}")
            out = tuple(int(v) for v in size)
        else:
            out = (int(size),) * nd
        scales = (None,) * nd
    else:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(f"{opname}: scale_factor shape must match input shape. Input "
                                 f"is {nd}D, scale_factor is {len(scale_factor)}")
            scales = tuple(float(v) for v in scale_factor)
        else:
            scales = (float(scale_factor),) * nd
        out = tuple(int(math.floor(float(i * s))) for i, s in zip(insz, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    if any(v < 1 for v in out):
        raise ValueError(f"{opname}: output size {out} must be positive (input size {insz})")
    return insz, out, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes ``input`` of shape ``(N, C, *S)`` (1-3 spatial dims), as PyTorch's
    ``F.interpolate``.

    Args:
        size: output spatial size (int or tuple), or
        scale_factor: multiplier(s) for the spatial size (output = floor(S * factor)).
        mode: 'nearest' (default), 'nearest-exact', 'linear' (3-D input), 'bilinear' /
            'bicubic' (4-D), 'trilinear' (5-D) or 'area' (adaptive average pooling).
        align_corners: for linear-type modes: map the corner pixels' centres onto each
            other (True) or the corner pixels' edges (False, the default).
        recompute_scale_factor: compute the coordinate scale from the sizes instead of
            using ``scale_factor`` directly.
        antialias: not supported (raises NotImplementedError when True).

    Example:
        >>> F.interpolate(ember.randn(1, 3, 8, 8), scale_factor=2, mode="bilinear").shape
    """
    opname = "interpolate"
    if not hasattr(input, "_data"):
        raise TypeError(f"{opname}: input must be a Tensor, got {type(input).__name__}")
    nd = input.ndim - 2
    if nd < 1 or nd > 3:
        raise RuntimeError(f"{opname}: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got "
                           f"input of shape {tuple(input.shape)}")
    if antialias:
        raise NotImplementedError(f"{opname}: antialias=True is not supported by ember")
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise ValueError(f"{opname}: unknown mode {mode!r}, expected one of {modes}")
    if mode in _DIMS and _DIMS[mode] != nd:
        raise NotImplementedError(f"{opname}: got {nd + 2}-D input of shape "
                                  f"{tuple(input.shape)}, but mode {mode!r} needs a "
                                  f"{_DIMS[mode] + 2}-D input")
    if align_corners is not None and mode not in ("linear", "bilinear", "bicubic", "trilinear"):
        raise ValueError(f"{opname}: align_corners option can only be set with the "
                         f"interpolating modes: linear | bilinear | bicubic | trilinear")
    insz, out, scales = _sizes(opname, input, nd, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return _adaptive_avgnd(nd, input, out)
    if mode.startswith("nearest"):
        exact = mode == "nearest-exact"
        idxs = tuple(None if (o == i and not exact) else _nearest_index(i, o, s, exact)
                     for i, o, s in zip(insz, out, scales))
        return _Nearest.apply(input, idxs=idxs)
    dt = input._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"{opname}: mode {mode!r} needs a floating point input, got "
                           f"{input.dtype}")
    build = _cubic_matrix if mode == "bicubic" else _linear_matrix
    ac = bool(align_corners)
    mats = tuple(None if (o == i and (ac or s is None or s == 1.0)) else
                 build(i, o, s, ac, dt) for i, o, s in zip(insz, out, scales))
    return SeparableLinear.apply(input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (kept for PyTorch compatibility)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(..., mode='nearest')`` (deprecated in PyTorch)."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(..., mode='bilinear', align_corners=True)`` (deprecated in PyTorch)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
