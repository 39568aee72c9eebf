"""Array-level building blocks of the optimizer updates: PyTorch's hyperparameter
checks, in-place ``lerp``/``addcmul``/``addcdiv`` with PyTorch's evaluation order,
cache-sized blocking of elementwise updates, and the ``step`` counters."""
import threading

import numpy as np

from ..backend import get_array_module
from ..ops._im2col import split_over_threads
from .optimizer import _is_tensor, _to_float, _wrap


def _check_lr(lr):
    """PyTorch's learning-rate validation (a float >= 0 or a 1-element Tensor)."""
    if _is_tensor(lr) and lr._data.size != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _to_float(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_nonneg(name, value, label=None):
    """``ValueError(f"Invalid {label} value: {value}")`` unless ``value >= 0``."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label or name} value: {value}")


def _lerp_(xp, a, b, w, tmp):
    """``a <- lerp(a, b, w)`` in place with PyTorch's formula (``a + w * (b - a)`` for
    ``|w| < 0.5``, else ``b - (b - a) * (1 - w)``); ``tmp`` is a scratch array."""
    dt = a.dtype.type
    xp.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        xp.multiply(tmp, dt(w), out=tmp)
        xp.add(a, tmp, out=a)
    else:
        xp.multiply(tmp, dt(1 - w), out=tmp)
        xp.subtract(b, tmp, out=a)


def _addcmul_(xp, a, t1, t2, value, tmp):
    """``a <- a + value * t1 * t2`` in place (PyTorch's evaluation order)."""
    xp.multiply(t1, a.dtype.type(value), out=tmp)
    xp.multiply(tmp, t2, out=tmp)
    xp.add(a, tmp, out=a)


def _addcdiv_(xp, a, t1, t2, value, tmp):
    """``a <- a + value * t1 / t2`` in place (PyTorch's evaluation order); ``tmp`` may
    be ``t2`` itself."""
    if tmp is t2:
        xp.divide(t1, t2, out=tmp)
        xp.multiply(tmp, a.dtype.type(value), out=tmp)
    else:
        xp.multiply(t1, a.dtype.type(value), out=tmp)
        xp.divide(tmp, t2, out=tmp)
    xp.add(a, tmp, out=a)


def _adam_grad(opt, pc, gc, lr, wd, decoupled, maximize, scratch=None):
    """The gradient an Adam-family step uses: decoupled weight decay shrinks the parameter
    block first (AdamW), otherwise L2 decay is added to the gradient (PyTorch's order)."""
    if wd != 0 and decoupled:
        get_array_module(pc).multiply(pc, pc.dtype.type(1 - lr * wd), out=pc)
        return opt._grad_with_decay(pc, gc, 0, maximize, scratch)
    return opt._grad_with_decay(pc, gc, wd, maximize, scratch)


def _adam_moments_(m, v, g, beta1, beta2, tmp):
    """``m <- lerp(m, g, 1 - beta1)``, ``v <- beta2 * v + (1 - beta2) * g * g`` in place."""
    xp = get_array_module(m)
    _lerp_(xp, m, g, 1 - beta1, tmp)
    xp.multiply(v, v.dtype.type(beta2), out=v)
    _addcmul_(xp, v, g, g, 1 - beta2, tmp)


# Elementwise updates run over blocks of this many elements, so that the several passes
# of an update (and its scratch buffers) stay in the CPU cache: about twice as fast as
# whole-array passes on a 10M-parameter model.
_CHUNK = 1 << 16
# A parameter of fewer blocks than this (1M elements) is updated on this thread alone: the
# update is memory-bound, and handing blocks to a second thread cost more than it saved
# (the MLP's SGD step, 535K parameters in blocks of up to 7: 0.35 ms split, 0.22 alone;
# Adam 1.25 against 1.13); ResNet-18's 2.4M-element layers still gain (Adam 6.5 -> 5.3 ms
# for the whole model).
_PAR_MIN_CHUNKS = 16


def _chunks(*arrays):
    """Yield tuples of matching flat blocks of ``arrays`` (same shapes, C-contiguous
    NumPy arrays; anything else, or small arrays, come back whole in one tuple).
    For elementwise updates only: the blocks are views, written in place."""
    first = arrays[0]
    n = first.size
    if n <= _CHUNK or type(first) is not np.ndarray or not all(
            a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flats = [a.reshape(-1) for a in arrays]
    for s in range(0, n, _CHUNK):
        yield tuple(f[s:s + _CHUNK] for f in flats)


def foreach_chunk(opt, body, *arrays):
    """Run ``body(chunk, scratch)`` over the cache-sized blocks of ``arrays``.

    ``scratch(slot, like)`` gives a reusable buffer of the calling thread. With several
    threads (``ember.set_num_threads`` / BLAS threads > 1) a large parameter's blocks are
    split over that many Python threads (NumPy releases the GIL in its loops), as
    PyTorch's multi-threaded elementwise kernels do; smaller ones (``_PAR_MIN_CHUNKS``) stay on
    this thread.
    """
    chunks = list(_chunks(*arrays))
    if len(chunks) < _PAR_MIN_CHUNKS:
        body(chunks[0], opt._scratch) if len(chunks) == 1 else [body(c, opt._scratch) for c in chunks]
        return

    def run(part):
        tid = threading.get_ident()

        def scratch(slot, like, dtype=None):
            return opt._scratch((slot, tid), like, dtype)
        for c in part:
            body(c, scratch)
    split_over_threads(np, chunks, run)


def _scalar_np_dtype():
    """dtype of the ``step`` counters: float64 if the default dtype is float64, else
    float32 (PyTorch's rule)."""
    from ..dtypes import float64, get_default_dtype
    return np.float64 if get_default_dtype() is float64 else np.float32


def _new_step():
    return _wrap(np.zeros((), dtype=_scalar_np_dtype()))


def _incr_step(step_t):
    """``step_t += 1`` on a 0-d step Tensor; returns the new count as a Python float."""
    a = step_t._data
    a += 1
    return float(a)


def _zeros_like(arr, fill=0):
    xp = get_array_module(arr)
    out = xp.empty_like(arr)
    out.fill(fill)
    return out


def _bump_version(p):
    """Record an in-place change of ``p`` for autograd's saved-tensor version checks."""
    p._bump_version()
