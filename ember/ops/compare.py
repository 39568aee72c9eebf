"""Comparisons and logic (never differentiable): eq/ne/lt/le/gt/ge, logical_*,
bitwise_not, isnan/isinf/isfinite, isclose/allclose/equal. Part of
``ember.ops.elementwise``, which re-exports every name defined here."""
import numpy as np

from .. import dtypes as _dt
from ..backend import get_array_module as _xp
from ..tensor import Tensor
from ._args import broadcast_shape, not_implemented_for, require_tensors, torch_dtype_name
from ._out import with_out


def _as_int_of(c, npd):
    """Python int ``c`` in integer dtype ``npd``, wrapping around as PyTorch does when it
    compares an integer tensor with a Python number (``uint8 <= -1`` compares with 255)."""
    return np.array(c).astype(npd)[()]  # host: a NumPy scalar (works with CuPy arrays too)


def _cmp(ufunc, name, tensors_only=False):
    """The comparison ``name`` through the inputs' array module's ``ufunc``."""
    def op(input, other):
        if tensors_only:
            require_tensors(name, input, other)
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        if b.__class__ is int and a.dtype.kind in "iu":
            b = _as_int_of(b, a.dtype)
        elif a.__class__ is int and b.dtype.kind in "iu":
            a = _as_int_of(a, b.dtype)
        elif isinstance(input, Tensor) and isinstance(other, Tensor) and a.dtype != b.dtype:
            dt = _dt.result_dtype(input, other)  # PyTorch's promotion (uint8 vs 0-d int8 -> uint8), not NumPy's
            a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
        xp = _xp(a if isinstance(input, Tensor) else b)
        try:
            return Tensor._wrap(xp.asarray(getattr(xp, ufunc)(a, b)))
        except ValueError:
            broadcast_shape(name, getattr(a, "shape", ()), getattr(b, "shape", ()))  # PyTorch's RuntimeError, if that was it
            raise
    op.__name__ = name
    return with_out(op)


eq = _cmp("equal", "eq")
ne = _cmp("not_equal", "ne")
lt = _cmp("less", "lt")
le = _cmp("less_equal", "le")
gt = _cmp("greater", "gt")
ge = _cmp("greater_equal", "ge")
logical_and = _cmp("logical_and", "logical_and", tensors_only=True)
logical_or = _cmp("logical_or", "logical_or", tensors_only=True)
logical_xor = _cmp("logical_xor", "logical_xor", tensors_only=True)


@with_out
def logical_not(input):
    return Tensor._wrap(_xp(input._data).logical_not(input._data))


@with_out
def bitwise_not(input):
    not_implemented_for("bitwise_not_cpu", input, "f")
    return Tensor._wrap(_xp(input._data).invert(input._data))


def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input.shape == other.shape and bool(_xp(input._data).array_equal(input._data, other._data))


def isnan(input):
    return Tensor._wrap(_xp(input._data).isnan(input._data))


def isinf(input):
    return Tensor._wrap(_xp(input._data).isinf(input._data))


def isfinite(input):
    return Tensor._wrap(_xp(input._data).isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` for tensors of one dtype."""
    require_tensors("isclose", input, other)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"isclose(): {torch_dtype_name(input._data.dtype)} did not match "
                           f"{torch_dtype_name(other._data.dtype)}")
    broadcast_shape("isclose", input._data.shape, other._data.shape)
    return Tensor._wrap(_xp(input._data).isclose(input._data, other._data if isinstance(other, Tensor) else other,
                                   rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(_xp(input._data).allclose(input._data, other._data if isinstance(other, Tensor) else other,
                            rtol=rtol, atol=atol, equal_nan=equal_nan))
