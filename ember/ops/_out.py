"""PyTorch's ``out=`` keyword, for every op that has one, through one decorator.

``@with_out`` on an op function adds an ``out=`` keyword with PyTorch's semantics:
the result is computed as usual and written into ``out``'s storage (resized if its
shape differs, with PyTorch's warning when it was not empty), cast to ``out``'s dtype
where that op in PyTorch allows the cast (see ``dtypes`` below), and ``out`` is returned. Ops with several outputs
(``max(x, dim)``) take a tuple of tensors. As in PyTorch, ``out=`` does not record a
graph: it raises when grad mode is on and an argument requires grad.

The operators (``a + b``) and Tensor methods call the undecorated function
(``fn.__wrapped__``), so the hot path pays nothing for the keyword; ``ember.add(a, b)``
pays one extra Python call (about 0.2 us).
"""
import functools
import warnings

import numpy as np

from ..tensor import Tensor
from ._args import torch_dtype_name

__all__ = ["with_out", "creation_with_out"]


def with_out(fn=None, *, dtypes="cast"):
    """Add PyTorch's ``out=`` keyword to op function ``fn`` (see the module docstring).

    Args:
        fn: the op function.
        dtypes: how ``out``'s dtype may differ from the result's, as PyTorch's op does:
            ``"cast"`` (the default: any cast ``torch.can_cast`` allows, e.g. elementwise
            ops), ``"exact"`` (none: ``matmul``, ``amax``, ``argmax``), or ``"compute"``
            (the op runs with ``dtype=out.dtype``: ``sum``, ``prod``, ``cumsum``).

    Example:
        >>> c = ember.empty(3)
        >>> ember.add(ember.ones(3), 1, out=c) is c
        True
    """
    if fn is None:
        return functools.partial(with_out, dtypes=dtypes)
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _check_no_grad(name, args, kwargs, out)
        if dtypes == "compute" and isinstance(out, Tensor) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        result = fn(*args, **kwargs)
        if dtypes == "exact":
            _check_exact_dtypes(name, result, out)
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(result)} Tensors")
            written = [write_out(name, r, o) for r, o in zip(result, out)]
            return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
        return write_out(name, result, out)
    return op


def creation_with_out(fn):
    """``out=`` for creation functions (``zeros``, ``arange``, ``randn``, ...): the values
    are made in ``out``'s dtype (a different explicit ``dtype=`` raises, as in PyTorch)
    and written into ``out``.

    Example:
        >>> t = ember.empty(0, dtype=ember.float64)
        >>> ember.arange(3, out=t).tolist()
        [0.0, 1.0, 2.0]
    """
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        dtype = kwargs.get("dtype")
        if dtype is not None and dtype != out.dtype:
            raise RuntimeError(f"{name}(): dtype {torch_dtype_name(dtype.numpy)} does not match dtype of out "
                               f"parameter ({torch_dtype_name(out._data.dtype)})")
        kwargs["dtype"] = out.dtype
        return write_out(name, fn(*args, **kwargs), out)
    return op


def _check_exact_dtypes(name, result, out):
    results = result if isinstance(result, tuple) else (result,)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for r, o in zip(results, outs):
        if isinstance(r, Tensor) and isinstance(o, Tensor) and r._data.dtype != o._data.dtype:
            raise RuntimeError(f"{name}(): Expected out tensor to have dtype {torch_dtype_name(r._data.dtype)}, "
                               f"but got {torch_dtype_name(o._data.dtype)} instead")


def _check_no_grad(name, args, kwargs, out):
    from ..autograd.grad_mode import STATE
    if not STATE.enabled:
        return
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for a in (*args, *kwargs.values(), *outs):
        items = a if isinstance(a, (list, tuple)) else (a,)
        if any(isinstance(t, Tensor) and t.requires_grad for t in items):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               f"differentiation, but one of the arguments requires grad.")


def _can_cast(src, dst):
    """PyTorch's ``can_cast``: no float -> integer/bool, no integer -> bool."""
    if src.kind == "f" and dst.kind in "biu":
        return False
    if src.kind in "iu" and dst.kind == "b":
        return False
    return True


def write_out(name, result, out):
    """Write op result ``result`` into tensor ``out`` as PyTorch does; return ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not isinstance(result, Tensor):  # ops returning Python numbers (equal, allclose) have no out=
        raise TypeError(f"{name}(): got an unexpected keyword argument 'out'")
    src, dst = result._data, out._data
    if not _can_cast(src.dtype, dst.dtype):
        raise RuntimeError(f"{name}(): result type {torch_dtype_name(src.dtype)} can't be cast to the "
                           f"desired output type {torch_dtype_name(dst.dtype)}")
    if dst.shape != src.shape:
        if dst.size:
            warnings.warn(f"{name}(): An output with one or more elements was resized since it had shape "
                          f"{list(dst.shape)}, which does not match the required output shape "
                          f"{list(src.shape)}. This behavior is deprecated, and in a future PyTorch release "
                          f"outputs will not be resized unless they have zero elements. You can explicitly "
                          f"reuse an out tensor t by resizing it, inplace, to zero elements with "
                          f"t.resize_(0).", UserWarning, stacklevel=3)
        out._data = src.astype(dst.dtype, copy=True)
    else:
        try:
            dst[...] = src
        except ValueError:  # a broadcast (expanded) out: its elements share memory
            raise RuntimeError(f"{name}(): unsupported operation: more than one element of the written-to "
                               f"tensor refers to a single memory location. Please clone() the tensor "
                               f"before performing the operation.") from None
    out._bump_version()
    return out
