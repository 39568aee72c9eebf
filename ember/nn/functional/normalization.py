"""Normalization functions of ``ember.nn.functional``: batch_norm, layer_norm,
group_norm, instance_norm (each one fused op, see :mod:`ember.ops.norm`),
local_response_norm, rms_norm and normalize.
"""
import math
import numbers

import numpy as np

import ember
from ember.ops import norm as _ops

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm",
           "rms_norm", "normalize"]


def _shape(t):
    return tuple(t.shape)


def _check_vec(name, what, t, C, input):
    if t is not None and _shape(t) != (C,):
        raise RuntimeError(f"{name}: expected {what} of shape ({C},) for input of shape "
                           f"{_shape(input)}, got {what} of shape {_shape(t)}")


def _update_running(buf, batch_value, momentum):
    """``buf = (1 - momentum) * buf + momentum * batch_value`` in place (no autograd)."""
    d = buf._data
    d *= (1.0 - momentum)
    d += (momentum * batch_value).astype(d.dtype, copy=False)
    bump = getattr(buf, "_bump_version", None)
    if bump is not None:
        bump()


def _NCL(input):
    N, C = input.shape[0], input.shape[1]
    return N, C, math.prod(input.shape[2:])


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization over the channel axis 1 of an (N, C, *) input.

    In training mode the batch statistics (biased variance) normalize the input and the
    running statistics, when given, are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` with the *unbiased* batch
    variance. In eval mode the running statistics are used. One fused op either way.

    Args:
        input (Tensor): (N, C) or (N, C, *).
        running_mean, running_var (Tensor or None): (C,) buffers.
        weight, bias (Tensor, optional): (C,) affine parameters.
        training (bool): use batch statistics. Default: False.
        momentum (float): running-average factor. Default: 0.1.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        Input: (N, C, *). Output: same shape.

    Example:
        >>> x = ember.randn(8, 3, 4, 4)
        >>> y = F.batch_norm(x, ember.zeros(3), ember.ones(3), training=True)
    """
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected input with at least 2 dimensions (N, C, "
                           f"...), got input of shape {_shape(input)}")
    N, C, L = _NCL(input)
    _check_vec("batch_norm", "weight", weight, C, input)
    _check_vec("batch_norm", "bias", bias, C, input)
    _check_vec("batch_norm", "running_mean", running_mean, C, input)
    _check_vec("batch_norm", "running_var", running_var, C, input)
    if training:
        if N * L <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input size {_shape(input)}")
        y, mean, var = _ops.batch_norm_train(input, weight, bias, eps)
        if running_mean is not None or running_var is not None:
            if momentum is None:
                raise ValueError("batch_norm: momentum must be a float when running "
                                 "statistics are given (BatchNorm modules turn momentum=None "
                                 "into a cumulative average)")
            n = N * L
            if running_mean is not None:
                _update_running(running_mean, mean, momentum)
            if running_var is not None:
                _update_running(running_var, var * (n / (n - 1)), momentum)
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when "
                         "training=False")
    return _ops.channel_affine(input, weight, bias, running_mean._data, running_var._data,
                               eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the trailing ``normalized_shape`` dimensions (one fused op).

    Args:
        input (Tensor): (*, *normalized_shape).
        normalized_shape (int or tuple): the trailing shape to normalize over.
        weight, bias (Tensor, optional): of shape ``normalized_shape``.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        Input: (*, *normalized_shape). Output: same shape.

    Example:
        >>> F.layer_norm(ember.randn(2, 5, 8), (8,))
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or _shape(input)[input.ndim - k:] != ns:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(ns)}, expected input "
                           f"with shape [*, {', '.join(map(str, ns))}], but got input of "
                           f"size {_shape(input)}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and _shape(t) != ns:
            raise RuntimeError(f"layer_norm: expected {what} of shape {ns}, got "
                               f"{_shape(t)}")
    K = math.prod(ns)
    M = input.numel() // K if K else 0
    return _ops.row_norm(input, weight, bias, eps, (M, 1, K), (M, K), (1, K), (0,))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization: the C channels are split into ``num_groups`` groups and each
    (sample, group) is normalized over its channels and spatial positions (one fused op).

    Args:
        input (Tensor): (N, C, *).
        num_groups (int): divides C.
        weight, bias (Tensor, optional): (C,) per-channel affine parameters.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        Input: (N, C, *). Output: same shape.

    Example:
        >>> F.group_norm(ember.randn(2, 6, 4, 4), 3)
    """
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input with at least 2 dimensions (N, C, "
                           f"...), got input of shape {_shape(input)}")
    N, C, L = _NCL(input)
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input ({C}) to be "
                           f"divisible by num_groups ({num_groups}), got input of shape "
                           f"{_shape(input)}")
    _check_vec("group_norm", "weight", weight, C, input)
    _check_vec("group_norm", "bias", bias, C, input)
    G = num_groups
    return _ops.row_norm(input, weight, bias, eps, (N, G, (C // G) * L), (N, C, L),
                         (1, C, 1), (0, 2))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalization: each (sample, channel) is normalized over its spatial
    positions (one fused op). With ``use_input_stats`` and running buffers given, the
    buffers are updated with the batch average of the per-instance statistics
    (unbiased variance); without ``use_input_stats`` the running statistics are used.

    Args:
        input (Tensor): (N, C, *spatial).
        running_mean, running_var (Tensor, optional): (C,) buffers.
        weight, bias (Tensor, optional): (C,).
        use_input_stats (bool): Default: True. momentum (float): Default: 0.1.

    Shape:
        Input: (N, C, *spatial). Output: same shape.

    Example:
        >>> F.instance_norm(ember.randn(2, 3, 8, 8))
    """
    if input.ndim < 3:
        raise RuntimeError(f"instance_norm: expected input of shape (N, C, *spatial), got "
                           f"input of shape {_shape(input)}")
    N, C, L = _NCL(input)
    for what, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_vec("instance_norm", what, t, C, input)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var must be given when "
                             "use_input_stats=False")
        return _ops.channel_affine(input, weight, bias, running_mean._data,
                                   running_var._data, eps)
    if L <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when "
                         f"training, got input size {_shape(input)}")
    y, mean, var = _ops.row_norm(input, weight, bias, eps, (N, C, L), (N, C, L), (1, C, 1),
                                 (0, 2), return_stats=True)
    if running_mean is not None:
        _update_running(running_mean, mean.reshape(N, C).mean(0), momentum)
    if running_var is not None:
        _update_running(running_var, var.reshape(N, C).mean(0) * (L / (L - 1)), momentum)
    return y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalization across channels:
    ``x / (k + alpha / size * sum_{window} x^2) ** beta`` (window of ``size`` channels,
    zero padded, centred like PyTorch's).

    Args:
        input (Tensor): (N, C, *).

    Example:
        >>> F.local_response_norm(ember.randn(2, 6, 4, 4), size=3)
    """
    if input.ndim < 3:
        raise RuntimeError(f"local_response_norm: expected 3D or higher input (N, C, ...), "
                           f"got input of shape {_shape(input)}")
    if input.numel() == 0:
        return input
    C = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(ember.zeros((input.shape[0], before) + _shape(input)[2:],
                                 dtype=input.dtype, device=input.device))
    parts.append(sq)
    if after:
        parts.append(ember.zeros((input.shape[0], after) + _shape(input)[2:],
                                 dtype=input.dtype, device=input.device))
    padded = ember.cat(parts, 1) if len(parts) > 1 else sq
    win = padded[:, 0:C]
    for j in range(1, size):                       # a loop over the window, not the data
        win = win + padded[:, j:j + C]
    div = (win * (alpha / size) + k) ** beta
    return input / div


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims:
    ``x / sqrt(mean(x^2) + eps) * weight`` (eps defaults to the dtype's machine epsilon).

    Example:
        >>> F.rms_norm(ember.randn(2, 8), (8,))
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or _shape(input)[input.ndim - k:] != ns:
        raise RuntimeError(f"rms_norm: given normalized_shape={list(ns)}, expected input "
                           f"with shape [*, {', '.join(map(str, ns))}], but got input of "
                           f"size {_shape(input)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(dim=dims, keepdim=True) + eps) ** -0.5
    if weight is not None:
        y = y * weight
    return y


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``.

    Example:
        >>> F.normalize(ember.randn(3, 4), dim=1)
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported by ember")
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / denom
