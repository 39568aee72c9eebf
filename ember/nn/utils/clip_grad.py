"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``."""
import math
import warnings

import numpy as np

from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _xp(arr):
    from ...backend import get_array_module
    return get_array_module(arr)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of ``parameters`` in place so that their total norm (the norm
    of all gradients concatenated) is at most ``max_norm``.

    Args:
        parameters (iterable of Tensor or Tensor): parameters whose ``.grad`` to clip.
        max_norm (float): the maximum total norm.
        norm_type (float or 'inf'): the p of the p-norm. Default: 2.
        error_if_nonfinite (bool): raise RuntimeError if the total norm is nan or inf.
        foreach: accepted for PyTorch compatibility and ignored.

    Returns:
        Tensor: the total norm before clipping (a 0-d tensor).

    Example:
        >>> loss.backward()
        >>> ember.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        from ... import tensor

        return tensor(0.0)
    xp = _xp(grads[0]._data)
    dtype = np.result_type(*[g._data.dtype for g in grads])
    if norm_type == math.inf:
        norms = [xp.abs(g._data).max() if g._data.size else xp.zeros((), dtype) for g in grads]
        total = xp.max(xp.stack([xp.asarray(n, dtype=dtype) for n in norms]))
    elif norm_type == -math.inf:
        norms = [xp.abs(g._data).min() for g in grads if g._data.size]
        total = xp.min(xp.stack([xp.asarray(n, dtype=dtype) for n in norms]))
    elif norm_type == 2.0:
        sq = [xp.vdot(g._data.ravel(), g._data.ravel()) for g in grads]
        total = xp.sqrt(xp.sum(xp.stack([xp.asarray(s, dtype=dtype) for s in sq])))
    else:
        ps = [xp.sum(xp.abs(g._data) ** norm_type) for g in grads]
        total = xp.sum(xp.stack([xp.asarray(s, dtype=dtype) for s in ps])) ** (1.0 / norm_type)
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = max_norm / (float(total) + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        for g in grads:
            g._data *= g._data.dtype.type(coef)
            g._bump_version()
    return Tensor._wrap(total)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn("torch.nn.utils.clip_grad_norm is now deprecated in favor of "
                  "torch.nn.utils.clip_grad_norm_.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of ``parameters`` to ``[-clip_value, clip_value]`` in place.

    Example:
        >>> ember.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = _xp(g._data)
        xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
