"""Parameter initialisation (``ember.nn.init``), PyTorch's functions and formulas.

Every function fills its tensor IN PLACE, without recording autograd history, draws
from an ``ember.Generator`` (the default one unless ``generator=`` is given) and returns
the tensor. The defaults of ``Linear`` and ``Conv`` (``kaiming_uniform_(a=sqrt(5))`` for
the weight, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the bias, "the 1/sqrt(fan_in)
rule") draw from the same distributions as PyTorch's.
"""
import math
import warnings

import numpy as np

from .. import _random_draws as _draws
from .. import random as _random
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
           "_calculate_fan_in_and_fan_out", "_calculate_correct_fan", "_no_grad_uniform_"]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    ========================= ==========================================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope^2))
    selu                      3/4
    ========================= ==========================================

    Example:
        >>> ember.nn.init.calculate_gain('leaky_relu', 0.2)
        1.3867504905630728
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fill(tensor, values):
    """Copy a host array into ``tensor`` in place (cast to its dtype, any device)."""
    arr = tensor._data
    if type(arr) is np.ndarray:
        arr[...] = values
    else:  # a CUDA array: the host values are copied over
        from ..backend import get_array_module
        arr[...] = get_array_module(arr).asarray(values)
    tensor._bump_version()
    return tensor


def _check(tensor, name):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{name}: expected an ember Tensor, got {type(tensor).__name__}")


def _float_dtype(tensor):
    dt = tensor._data.dtype
    return dt if dt.kind == "f" and dt.itemsize >= 4 else np.dtype(np.float64)


def _draw(tensor, fill, generator):
    """A host array laid out like ``tensor`` and filled by ``fill(gen, arr)`` with one of
    the PyTorch-compatible kernels of ember/_random_draws.py (float32 or float64)."""
    arr = tensor._data
    dt = np.dtype(np.float64) if arr.dtype == np.float64 else np.dtype(np.float32)
    if type(arr) is np.ndarray:
        out = np.empty_like(arr, dtype=dt, order="K")  # same memory order as PyTorch fills
    else:
        out = np.empty(arr.shape, dtype=dt)
    fill(_random._gen(generator, None if type(arr) is np.ndarray else tensor.device), out)  # the device's generator
    return out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from ``U(a, b)`` (PyTorch's numbers for the same seed)."""
    _check(tensor, "uniform_")
    return _fill(tensor, _draw(tensor, lambda g, o: _draws.uniform(g, o, a, b), generator))


_no_grad_uniform_ = uniform_


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from ``N(mean, std^2)`` (PyTorch's numbers for the same seed)."""
    _check(tensor, "normal_")
    return _fill(tensor, _draw(tensor, lambda g, o: _draws.normal(g, o, mean, std), generator))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with draws from ``N(mean, std^2)`` truncated to ``[a, b]`` (bounds are
    absolute values, as in PyTorch), by PyTorch's rejection sampling, so the numbers
    match PyTorch's for the same seed: when ``[a, b]`` holds more than 30% of the mass,
    redraw the whole tensor from the normal and keep new values where old ones fell
    outside; otherwise draw uniforms on ``[a, b]`` and accept by the density ratio."""
    _check(tensor, "trunc_normal_")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    def normal():
        return _draw(tensor, lambda g, o: _draws.normal(g, o, mean, std), generator)

    def uniform(lo, hi):
        return _draw(tensor, lambda g, o: _draws.uniform(g, o, lo, hi), generator)

    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        result = normal()
        lo, hi = result.dtype.type(a), result.dtype.type(b)
        while True:
            bad = (result < lo) | (result > hi)
            if not bad.any():
                return _fill(tensor, result)
            result = np.where(bad, normal(), result)
    dt = np.float64 if tensor._data.dtype == np.float64 else np.float32
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def log_ratio(x):  # log pdf relative to the peak, in the tensor's dtype as PyTorch
        return ((x - dt(mean)) / dt(std)) ** 2 * dt(-0.5) - dt(log_peak)

    result = uniform(a, b)
    pending = np.log(uniform(0.0, 1.0)) > log_ratio(result)
    while pending.any():
        cand = uniform(a, b)
        result = np.where(pending, cand, result)
        pending = np.where(pending, np.log(uniform(0.0, 1.0)) > log_ratio(cand), pending)
    return _fill(tensor, result)


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    _check(tensor, "constant_")
    tensor._data[...] = val
    tensor._bump_version()
    return tensor


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal)."""
    _check(tensor, "eye_")
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor._data.shape))


def dirac_(tensor, groups=1):
    """Fill a 3/4/5-D conv weight with the Dirac delta: the conv is the identity on as
    many channels as possible (per group)."""
    _check(tensor, "dirac_")
    d = tensor.dim()
    if d not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor._data.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    w = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for i in range(min_dim):
            w[(g * out_per_group + i, i) + centre] = 1
    return _fill(tensor, w)


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight: ``size(1) * receptive field`` and
    ``size(0) * receptive field``."""
    dim = tensor.dim()
    if dim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    shape = tensor.shape
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: ``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: ``N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: ``U(-bound, bound)``, ``bound = gain * sqrt(3 / fan)``.

    Args:
        a (float): negative slope of the following leaky_relu (for the gain).
        mode (str): ``'fan_in'`` (preserve forward variance) or ``'fan_out'``.
        nonlinearity (str): ``'relu'`` or ``'leaky_relu'`` (default) etc.
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: ``N(0, std^2)``, ``std = gain / sqrt(fan)``."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix (QR of a Gaussian matrix, sign-corrected so
    the distribution is uniform); dims after the first are flattened."""
    _check(tensor, "orthogonal_")
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    # PyTorch's draws: a (rows, cols) standard normal matrix in the tensor's dtype
    flat = np.empty((rows, cols), dtype=np.float64 if tensor._data.dtype == np.float64 else np.float32)
    _draws.normal(_random._gen(generator), flat)
    flat = flat.astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor._data.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with ``N(0, std^2)`` draws and zero a ``sparsity`` fraction of
    the entries of each column."""
    _check(tensor, "sparse_")
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    # PyTorch's draws: normal_(0, std), then one randperm(rows) per column
    gen = _random._gen(generator)
    w = _draw(tensor, lambda g, o: _draws.normal(g, o, 0.0, std), generator)
    for col in range(cols):
        w[_draws.randperm(gen, rows)[:num_zeros], col] = 0
    return _fill(tensor, w)


# deprecated non-underscore aliases, as in PyTorch
def _deprecated(fn):
    def alias(*args, **kwargs):
        warnings.warn(f"nn.init.{fn.__name__[:-1]} is now deprecated in favor of "
                      f"nn.init.{fn.__name__}.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    alias.__name__ = fn.__name__[:-1]
    alias.__doc__ = f"Deprecated alias of :func:`{fn.__name__}`."
    return alias


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
