"""Tensor creation: tensor/as_tensor/from_numpy, zeros/ones/full/empty (+_like), arange,
linspace, logspace, eye, and the random ones (rand, randn, randint, normal, bernoulli,
randperm, multinomial), which all draw through an ``ember.Generator``."""
import math

import numpy as np

from . import dtypes as _dt
from .backend import as_device, to_device_array, CPU
from . import _random_draws as _draws
from . import random as _random
from .ops._out import creation_with_out
from .random import get_numpy_rng
from .tensor import Tensor, _to_array

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye",
           "rand", "randn", "randint", "normal", "bernoulli", "randperm", "rand_like", "randn_like",
           "randint_like", "multinomial", "poisson", "meshgrid", "tril_indices", "triu_indices",
           "scalar_tensor", "complex"]


# the device creation functions use when given none (None: the CPU); see set_default_device
_default_device = [None]


def set_default_device(device):
    """Make creation functions (``zeros``, ``tensor``, ``randn``, ...) put new tensors on
    ``device`` when they are given no ``device=``, as ``torch.set_default_device``.

    Args:
        device: an ``ember.device``, a string like ``'cpu'`` / ``'cuda:0'``, a CUDA index,
            or None to go back to the CPU.

    Example:
        >>> ember.set_default_device("cpu")
        >>> ember.zeros(2).device
        device(type='cpu')
    """
    _default_device[0] = None if device is None else as_device(device)


def get_default_device():
    """The device creation functions use when given no ``device=`` (``ember.device``)."""
    return _default_device[0] or CPU


def _finish(arr, dtype=None, device=None, requires_grad=False):
    if device is None:
        device = _default_device[0]
    if device is not None:
        d = as_device(device)
        if d != CPU:
            arr = to_device_array(arr, d)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _float_dtype(dtype):
    npd = _dt.to_numpy_dtype(dtype)
    return npd


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    Floats become float32 (the default dtype), ints int64, bools bool.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).dtype
        ember.int64
    """
    return _finish(_to_array(data, dtype), device=device, requires_grad=requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype is not None or device is not None) else data
    if isinstance(data, np.ndarray):
        if dtype is None:
            _dt.from_numpy_dtype(data.dtype)
            return _finish(data, device=device)
        return _finish(data.astype(_dt.to_numpy_dtype(dtype), copy=False), device=device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


@creation_with_out
def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros (float32 unless ``dtype``)."""
    return _finish(np.zeros(_shape(size), dtype=_dt.to_numpy_dtype(dtype)), device=device, requires_grad=requires_grad)


@creation_with_out
def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.ones(_shape(size), dtype=_dt.to_numpy_dtype(dtype)), device=device, requires_grad=requires_grad)


@creation_with_out
def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.empty(_shape(size), dtype=_dt.to_numpy_dtype(dtype)), device=device, requires_grad=requires_grad)


@creation_with_out
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from it)."""
    if dtype is None:
        dtype = _dt.bool if isinstance(fill_value, bool) else (
            _dt.int64 if isinstance(fill_value, int) else _dt.get_default_dtype())
    return _finish(np.full(_shape((size,)), fill_value, dtype=_dt.to_numpy_dtype(dtype)), device=device,
                   requires_grad=requires_grad)


def _like(input, dtype):
    return input._data.dtype if dtype is None else _dt.to_numpy_dtype(dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input._data.shape, dtype=_like(input, dtype)), device=device or input.device,
                   requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input._data.shape, dtype=_like(input, dtype)), device=device or input.device,
                   requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.empty(input._data.shape, dtype=_like(input, dtype)), device=device or input.device,
                   requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.full(input._data.shape, fill_value, dtype=_like(input, dtype)),
                   device=device or input.device, requires_grad=requires_grad)


@creation_with_out
def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer args."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        dtype = _dt.int64 if all(isinstance(v, int) for v in vals) else _dt.get_default_dtype()
    npd = _dt.to_numpy_dtype(dtype)
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(n, dtype=np.float64 if npd.kind == "f" else np.int64) * vals[2]).astype(npd)
    return _finish(arr, device=device, requires_grad=requires_grad)


def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated PyTorch range (end inclusive), float by default."""
    n = int(math.floor((end - start) / step)) + 1
    arr = (start + np.arange(n) * step).astype(_dt.to_numpy_dtype(dtype))
    return _finish(arr, device=device, requires_grad=requires_grad)


@creation_with_out
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    arr = np.linspace(start, end, int(steps)).astype(_dt.to_numpy_dtype(dtype))
    return _finish(arr, device=device, requires_grad=requires_grad)


@creation_with_out
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    arr = np.logspace(start, end, int(steps), base=base).astype(_dt.to_numpy_dtype(dtype))
    return _finish(arr, device=device, requires_grad=requires_grad)


@creation_with_out
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_dt.to_numpy_dtype(dtype)), device=device, requires_grad=requires_grad)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    out = []
    shape = tuple(t._data.size for t in tensors)
    if indexing == "xy" and n >= 2:
        shape = (shape[1], shape[0]) + shape[2:]
    for i, t in enumerate(tensors):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = -1
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    r, c = np.tril_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype(_dt.to_numpy_dtype(dtype or _dt.int64)), device=device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    r, c = np.triu_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype(_dt.to_numpy_dtype(dtype or _dt.int64)), device=device)


def complex(real, imag):
    raise NotImplementedError("ember has no complex dtypes")


# -- random -------------------------------------------------------------------------

def _draw_float(npd, shape, fill):
    """An array of ``shape`` filled by ``fill(arr)`` in float32/float64 (other float
    dtypes draw in float32 and convert)."""
    work = npd if npd in (np.float32, np.float64) else np.float32
    arr = np.empty(shape, dtype=work)
    fill(arr)
    return arr.astype(npd, copy=False)


@creation_with_out
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1): PyTorch's numbers for the same seed."""
    npd = _float_dtype(dtype)
    gen = _random._gen(generator, device or _default_device[0])
    arr = _draw_float(npd, _shape(size), lambda a: _draws.uniform(gen, a))
    return _finish(arr, device=device, requires_grad=requires_grad)


@creation_with_out
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples: PyTorch's numbers for the same seed."""
    npd = _float_dtype(dtype)
    gen = _random._gen(generator, device or _default_device[0])
    arr = _draw_float(npd, _shape(size), lambda a: _draws.normal(gen, a))
    return _finish(arr, device=device, requires_grad=requires_grad)


@creation_with_out
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniformly from [low, high).

    PyTorch's call forms: ``randint(high, size)``, ``randint(high, size=...)``,
    ``randint(low, high, size)`` and keywords ``low=``/``high=``/``size=``.

    Example:
        >>> ember.randint(10, (2, 3)).shape
        ember.Size([2, 3])
        >>> ember.randint(3, 10, size=(4,)).dtype
        ember.int64
    """
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if high is None or size is None:
        raise TypeError("randint() missing required arguments 'high' and 'size'")
    if isinstance(size, int):
        raise TypeError("randint(): argument 'size' must be tuple of ints, not int")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = np.empty(tuple(size), dtype=_dt.to_numpy_dtype(dtype or _dt.int64))
    _draws.randint(_random._gen(generator, device or _default_device[0]), arr, low, high)
    return _finish(arr, device=device, requires_grad=requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: tensor means/stds broadcast, or scalars with ``size``."""
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if device is None and ref is not None:
        device = ref.device  # drawn on the host, then put where the mean/std tensors are
    m = to_device_array(mean._data, CPU) if isinstance(mean, Tensor) else mean
    s = to_device_array(std._data, CPU) if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(s)}")
    if size is not None:
        shape = tuple(size)
    else:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    if dtype is not None:
        npd = _dt.to_numpy_dtype(dtype)
    elif isinstance(mean, Tensor):
        npd = mean._data.dtype
    elif isinstance(std, Tensor):
        npd = std._data.dtype
    else:
        npd = _dt.get_default_dtype().numpy
    gen = _random._gen(generator, device or _default_device[0])
    if np.ndim(m) == 0 and np.ndim(s) == 0:
        # scalar mean/std: PyTorch's normal_ kernel, so the numbers match it
        arr = _draw_float(npd, shape, lambda a: _draws.normal(gen, a, float(m), float(s)))
    else:
        # tensor mean/std: standard normals scaled and shifted, as PyTorch does
        z = _draw_float(npd, shape, lambda a: _draws.normal(gen, a))
        arr = (z * np.asarray(s, dtype=npd) + np.asarray(m, dtype=npd)).astype(npd, copy=False)
    return _finish(arr, device=device, requires_grad=requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``), else 0, in the input's dtype: PyTorch's
    numbers for the same seed."""
    dev = input.device
    prob = to_device_array(input._data, CPU) if p is None else (
        to_device_array(p._data, CPU) if isinstance(p, Tensor) else p)
    if np.any((np.asarray(prob) < 0) | (np.asarray(prob) > 1)):
        raise RuntimeError("bernoulli: all elements of input should be between 0 and 1")
    out = np.empty(input._data.shape, dtype=input._data.dtype)
    _draws.bernoulli(_random._gen(generator, dev), out, prob)  # drawn on the host, as on CPU
    return Tensor._wrap(to_device_array(out, dev))


def poisson(input, generator=None):
    dev = input.device
    rng = _random._gen(generator, dev)._np
    out = rng.poisson(to_device_array(input._data, CPU)).astype(input._data.dtype)
    return Tensor._wrap(to_device_array(out, dev))


@creation_with_out
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    arr = _draws.randperm(_random._gen(generator, device or _default_device[0]), n).astype(_dt.to_numpy_dtype(dtype or _dt.int64))
    return _finish(arr, device=device)


def rand_like(input, *, dtype=None, generator=None, device=None, requires_grad=False):
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, device=None, requires_grad=False):
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, generator=None):
    return randint(low, high, input._data.shape, generator=generator, dtype=dtype or input.dtype,
                   device=input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Sample category indices from (rows of) non-negative weights ``input``."""
    dev = input.device  # drawn on the host from the device's generator, as every draw
    rng = _random._gen(generator, dev)._np
    w = np.asarray(to_device_array(input._data, CPU), dtype=np.float64)
    rows = w.reshape(-1, w.shape[-1])
    if np.any(rows < 0) or np.any(~np.isfinite(rows)):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        s = r.sum()
        if s <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        out[i] = rng.choice(r.shape[0], size=num_samples, replace=replacement, p=r / s)
    return Tensor._wrap(to_device_array(out.reshape(w.shape[:-1] + (num_samples,)), dev))
