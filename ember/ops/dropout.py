"""Dropout ops: element-wise, feature-wise (whole channels) and alpha dropout.

The keep-mask is drawn from an ``ember.Generator`` (the default one unless given), so
``ember.manual_seed`` makes dropout reproducible. The forward multiplies by a
pre-scaled mask (``keep / (1 - p)``), the backward by the same mask.
"""
import math

import numpy as np

from ..backend import get_array_module

from ..autograd.op import Op
from .. import _random_draws
from .. import random as _random
from ..tensor import Tensor

__all__ = ["dropout_op", "feature_dropout_op", "alpha_dropout_op", "mask_mul_op"]

# SELU's constants: alpha' = -scale * alpha
_ALPHA_PRIME = 1.7580993408473766


def _keep_mask(xp, shape, p, dtype, generator):
    """A random 0/1 mask of ``shape`` (P(1) = 1 - p) as ``dtype``."""
    # PyTorch's draws: bernoulli_(1 - p), so masks match PyTorch's for the same seed
    keep = np.empty(shape, dtype=np.bool_)  # host: drawn from the generator, then copied
    # drawn on the host from the device's generator, then copied (see ember/backend/_rng.py)
    _random_draws.bernoulli(_random._gen(generator, None if xp is np else "cuda"), keep, 1.0 - p)
    if xp is not np:
        keep = xp.asarray(keep)
    return keep


class _MaskMul(Op):
    """y = x * mask (+ shift); backward grad * mask. ``self.mask`` is a raw array."""
    torch_name = "Mul"

    def forward(self, x):
        y = x * self.mask
        if self.shift is not None:
            y += self.shift
        return y

    def backward(self, grad):
        return grad * Tensor._wrap(self.mask)

    def backward_raw(self, grad):
        return grad * self.mask


def _mask_shape(x, feature_dims):
    """Shape of a feature mask: one draw per (batch, channel) when ``feature_dims``."""
    if feature_dims is None:
        return x.shape
    # batched input: (N, C, *spatial); unbatched: (C, *spatial). PyTorch reads a 3-D
    # input of dropout2d as batched (N, C, L), so do we.
    if x.ndim == feature_dims + 2 or feature_dims == 2:
        return x.shape[:2] + (1,) * (x.ndim - 2)
    if x.ndim == feature_dims + 1:
        return x.shape[:1] + (1,) * feature_dims
    return x.shape[:2] + (1,) * (x.ndim - 2)


def dropout_op(x, p, generator=None, feature_dims=None):
    """Zero elements (or whole channels when ``feature_dims`` is set) with probability p,
    scaling the rest by 1/(1-p)."""
    arr = x._data
    xp = get_array_module(arr)
    shape = _mask_shape(arr, feature_dims)
    if p <= 0 or p >= 1:  # no draws, as in PyTorch (the generator does not advance)
        mask = xp.full(shape, 1.0 if p <= 0 else 0.0, dtype=arr.dtype)
        return _MaskMul.apply(x, mask=mask, shift=None)
    keep = _keep_mask(xp, shape, p, arr.dtype, generator)
    # PyTorch divides the 0/1 mask by (1 - p) in the input's dtype
    mask = keep.astype(arr.dtype) / arr.dtype.type(1.0 - p)
    return _MaskMul.apply(x, mask=mask, shift=None)


def feature_dropout_op(x, p, feature_dims, generator=None):
    return dropout_op(x, p, generator, feature_dims)


def alpha_dropout_op(x, p, generator=None, feature_dims=None):
    """Alpha dropout: keeps SELU's self-normalising mean 0 / variance 1.

    Dropped units are set to SELU's negative saturation ``-alpha'`` and the result is
    transformed affinely, ``a * (x * keep + -alpha' * (1 - keep)) + b`` with
    ``a = ((1 - p) * (1 + p * alpha'^2)) ** -0.5`` and ``b = a * alpha' * p``.
    """
    arr = x._data
    xp = get_array_module(arr)
    if p >= 1:
        return x * 0
    keep = _keep_mask(xp, _mask_shape(arr, feature_dims), p, arr.dtype, generator)
    a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    dt = arr.dtype.type
    mask = keep.astype(arr.dtype) * dt(a)
    shift = (keep.astype(arr.dtype) - 1) * dt(_ALPHA_PRIME * a) + dt(_ALPHA_PRIME * a * p)
    return _MaskMul.apply(x, mask=mask, shift=shift)


def mask_mul_op(x, mask):
    """``x * mask`` for a constant raw ``mask`` array (broadcastable to x): the
    gradient is ``grad * mask``. Used by dropout and rrelu."""
    return _MaskMul.apply(x, mask=mask, shift=None)
