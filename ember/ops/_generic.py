"""Helpers for derivatives written once (``Op.derivative``): each takes a raw backend
array or an ember Tensor and does the same thing to either, so one formula serves the
engine's raw-array backward (training) and its Tensor backward (double backward).

Operators (``+ - * / @ **``, comparisons) and ``.reshape``/``.shape`` already work on
both; these cover the methods whose names differ between NumPy and ember.
"""
from ..tensor import Tensor

__all__ = ["sum_keepdim", "swap_last", "permute", "exp"]


def sum_keepdim(x, axis):
    """Sum over ``axis`` keeping it (size 1)."""
    if isinstance(x, Tensor):
        return x.sum(axis, keepdim=True)
    return x.sum(axis=axis, keepdims=True)


def swap_last(x):
    """Swap the last two dims (the matrix transpose of a batch of matrices)."""
    if isinstance(x, Tensor):
        return x.transpose(-1, -2)
    return x.swapaxes(-1, -2)


def permute(x, perm):
    """Reorder the dims of ``x`` as ``perm``."""
    if isinstance(x, Tensor):
        return x.permute(*perm)
    return x.transpose(perm)


def exp(x):
    if isinstance(x, Tensor):
        return x.exp()
    from .elementwise import _array_module
    return _array_module(x).exp(x)
