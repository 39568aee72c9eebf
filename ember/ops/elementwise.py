"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion,
clamp/where/maximum, dtype casts. Unary math (``unary.py``) and comparisons
(``compare.py``) live in their own files and are re-exported here."""
import numpy as np

from .. import dtypes as _dt
from ..autograd.op import Op
from ..tensor import Tensor
from ._args import broadcast_shape, not_implemented_for, require_tensors
from ._out import with_out
from .compare import _as_int_of as _int_scalar  # a NumPy scalar wrapped into an integer dtype

__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow",
           "neg", "negative", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
           "square", "abs", "absolute", "sign", "sgn", "sin", "cos", "tan", "asin", "acos", "atan",
           "sinh", "cosh", "atan2", "floor", "ceil", "round", "trunc", "frac", "reciprocal", "clamp", "clip",
           "maximum", "minimum", "fmax", "fmin", "where", "eq", "ne", "lt", "le", "gt", "ge", "equal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not", "isnan", "isinf",
           "isfinite", "isclose", "allclose", "lerp", "addcmul", "addcdiv", "nan_to_num", "unbroadcast",
           "signbit", "erfinv", "xlogy", "hypot", "deg2rad", "rad2deg"]


# ---------------------------------------------------------------------------------
# broadcasting and dtype helpers

def _sum_to_array(x, shape):
    """Sum array ``x`` down to the broadcastable ``shape``."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape) if lead else y


_COPY_EXPAND = 4096  # up to this many elements an expansion is copied (see _expand_array)


def _expand_array(x, shape):
    """Broadcast array ``x`` to ``shape``: one element as a filled, writable array, small
    results as a copy (``empty`` + assignment costs ~0.5 us on 100 elements, ``full`` ~1.7
    and NumPy's Python-level ``broadcast_to`` ~4), big ones as a read-only broadcast view
    (no pass over memory)."""
    n = 1
    for s in shape:
        n *= s
    size = x.size
    if size == n:  # only dims of size 1 added: a view
        return x.reshape(shape)
    xp = _array_module(x)
    if size == 1 or n <= _COPY_EXPAND:
        out = xp.empty(shape, dtype=x.dtype)
        out[...] = x
        return out
    return xp.broadcast_to(x, shape)


def _xp_vals(*vals):
    """The array module of the first Tensor or array among ``vals`` (numpy for numbers)."""
    for v in vals:
        d = v._data if isinstance(v, Tensor) else v
        if d.__class__ is np.ndarray:
            return np
        if hasattr(d, "shape") and not isinstance(d, np.generic):
            return _array_module(d)
    return np


def _array_module(x):
    if x.__class__ is np.ndarray or isinstance(x, np.generic):
        return np
    from ..backend import get_array_module
    return get_array_module(x)


def unbroadcast(grad, shape):
    """Sum ``grad`` (a Tensor or a raw array) down to ``shape``: use in the backward of
    every broadcasting op."""
    if grad.shape == shape:
        return grad
    if isinstance(grad, Tensor):
        return SumTo.apply(grad, shape=tuple(shape))
    return _sum_to_array(grad, tuple(shape))


def expand_to(grad, shape):
    """Broadcast ``grad`` (a Tensor or a raw array) to ``shape``: the adjoint of a sum."""
    if grad.shape == shape:
        return grad
    if isinstance(grad, Tensor):
        return Expand.apply(grad, shape=tuple(shape))
    return _expand_array(grad, tuple(shape))


class SumTo(Op):
    """Sum a broadcast gradient back to ``shape`` (the adjoint of broadcasting)."""
    torch_name = "Sum"

    def forward(self, x):
        self.in_shape = x.shape
        return _sum_to_array(x, self.shape)

    def derivative(self, grad):
        return expand_to(grad, self.in_shape)


class Expand(Op):
    """Broadcast to ``shape`` (a read-only view; backward sums back)."""
    is_view = True

    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, self.shape)

    def view(self, arr):
        return self.xp.broadcast_to(arr, self.shape)

    def derivative(self, grad):
        return unbroadcast(grad, self.in_shape)


class Cast(Op):
    """Convert to NumPy dtype ``dtype``; the gradient is cast back."""
    torch_name = "ToCopy"

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad):
        if self.in_dtype.kind != "f":
            return None
        return Cast.apply(grad, dtype=self.in_dtype)


class ToDevice(Op):
    torch_name = "ToCopy"
    def forward(self, x):
        from ..backend import device_of, to_device_array
        self.src = device_of(x)
        return to_device_array(x, self.device)

    def backward(self, grad):
        return ToDevice.apply(grad, device=self.src)


def _cast(t, npd):
    if t._data.dtype == npd:
        return t
    return Cast.apply(t, dtype=npd)


_SCALARS = (int, float, bool)


def _scalar(x):
    """A Python number for Python / NumPy scalars; None for anything else."""
    t = type(x)
    if t is float or t is int or t is bool:
        return x
    if isinstance(x, np.generic):  # np.float64 is a float subclass: unwrap to stay weakly typed
        return x.item()
    if isinstance(x, _SCALARS):
        return t.__mro__[-2](x) if t.__mro__[-2] in _SCALARS else float(x)
    return None


def _as_tensor(x, like):
    """``x`` (a Tensor, array, list or number) as a Tensor on ``like``'s device."""
    if isinstance(x, Tensor):
        return x
    xp = _array_module(like._data) if isinstance(like, Tensor) else np
    arr = xp.asarray(x)
    if arr.dtype == np.float64 and not isinstance(x, (np.ndarray, xp.ndarray)):
        arr = arr.astype(_dt.get_default_dtype().numpy)
    return Tensor._wrap(arr)


def _broadcast_error(op, a, b):
    """PyTorch's RuntimeError (naming the op) if ``a`` and ``b`` do not broadcast."""
    name = {Add: "add", Sub: "sub", Mul: "mul", Div: "div", Pow: "pow"}.get(op, op.__name__.lower())
    broadcast_shape(name, a._data.shape, b._data.shape)


def _binary(a, b, op, sop=None, rsop=None, float_only=False):
    """Dispatch a binary op: promote dtypes like PyTorch, use the scalar variant of the
    op for Python numbers (``sop(x, c=b)`` or reflected ``rsop(x, c=a)``)."""
    if a.__class__ is Tensor and b.__class__ is Tensor and a._data.dtype == b._data.dtype \
            and not float_only:
        try:
            return op.apply(a, b)  # the common case, first
        except ValueError:
            _broadcast_error(op, a, b)
            raise
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da != db or (float_only and da.kind != "f"):
                dt = _dt.result_dtype(a, b)
                if float_only and dt.kind != "f":
                    dt = _dt.get_default_dtype().numpy
                a, b = _cast(a, dt), _cast(b, dt)
            try:
                return op.apply(a, b)
            except ValueError:
                _broadcast_error(op, a, b)
                raise
        c = _scalar(b)
        if c is None:
            return _binary(a, _as_tensor(b, a), op, sop, rsop, float_only)
        if a._data.dtype.kind != "f":
            dt = _dt.result_dtype(a, c)
            if float_only and dt.kind != "f":
                dt = _dt.get_default_dtype().numpy
            a = _cast(a, dt)
            if dt.kind in "iu" and isinstance(c, int):
                c = _int_scalar(c, dt)  # a NumPy scalar wrapped around like PyTorch's integers
        if sop is None:
            return op.apply(a, Tensor._wrap(_array_module(a._data).asarray(c, dtype=a._data.dtype)))
        return sop.apply(a, c=c)
    c = _scalar(a)
    if c is None:
        return _binary(_as_tensor(a, b), b, op, sop, rsop, float_only)
    if b._data.dtype.kind != "f":
        dt = _dt.result_dtype(b, c)
        if float_only and dt.kind != "f":
            dt = _dt.get_default_dtype().numpy
        b = _cast(b, dt)
        if dt.kind in "iu" and isinstance(c, int):
            c = _int_scalar(c, dt)
    if rsop is None:
        return op.apply(Tensor._wrap(_array_module(b._data).asarray(c, dtype=b._data.dtype)), b)
    return rsop.apply(b, c=c)


# ---------------------------------------------------------------------------------
# arithmetic

# Each derivative below is written once (``derivative``), with operators and helpers that
# take raw arrays and Tensors alike: the engine runs it on arrays in training and on
# Tensors (recording the graph) for double backward.

class Add(Op):
    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a + b

    def derivative(self, grad):
        na, nb = self.needs_input_grad
        sa, sb = self.sa, self.sb
        if sa == sb:  # same shapes (the common case): nothing to sum back
            return (grad if na else None, grad if nb else None)
        return (unbroadcast(grad, sa) if na else None,
                unbroadcast(grad, sb) if nb else None)


class AddScalar(Op):
    torch_name = "Add"

    def forward(self, x):
        return x + self.c

    def derivative(self, grad):
        return grad


class Sub(Op):
    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a - b

    def derivative(self, grad):
        na, nb = self.needs_input_grad
        sa, sb = self.sa, self.sb
        if sa == sb:
            return (grad if na else None, -grad if nb else None)
        return (unbroadcast(grad, sa) if na else None,
                unbroadcast(-grad, sb) if nb else None)


class RSubScalar(Op):
    torch_name = "Rsub"

    def forward(self, x):
        return self.c - x

    def derivative(self, grad):
        return -grad


class Mul(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def derivative(self, grad, a, b):
        na, nb = self.needs_input_grad
        sa, sb = a.shape, b.shape
        if sa == sb:
            return (grad * b if na else None, grad * a if nb else None)
        return (unbroadcast(grad * b, sa) if na else None,
                unbroadcast(grad * a, sb) if nb else None)


class MulScalar(Op):
    torch_name = "Mul"

    def forward(self, x):
        return x * self.c

    def derivative(self, grad):
        return grad * self.c


class Div(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def derivative(self, grad, a, b):
        na, nb = self.needs_input_grad
        ga = grad / b
        sa, sb = a.shape, b.shape
        if sa == sb:
            return (ga if na else None, -ga * a / b if nb else None)
        return (unbroadcast(ga, sa) if na else None,
                unbroadcast(-ga * a / b, sb) if nb else None)


class DivScalar(Op):
    torch_name = "Div"

    def forward(self, x):
        return x / self.c

    def derivative(self, grad):
        return grad / self.c


class RDivScalar(Op):
    """c / x"""
    torch_name = "Div"

    def forward(self, x):
        y = self.c / x
        self.save_for_backward(x, y)
        return y

    def derivative(self, grad, x, y):
        return -grad * y / x


class Pow(Op):
    def forward(self, a, b):
        y = a ** b if a.dtype.kind == "f" else _int_pow(a, b)
        self.save_for_backward(a, b, y)
        return y

    def backward(self, grad):
        a, b, y = self.saved_tensors
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = unbroadcast(grad * b * a ** (b - 1), a._data.shape)
        if nb:
            # d/db a^b = a^b log a; PyTorch defines it as 0 where a == 0 and b >= 0
            safe = where((a == 0) & (b >= 0), 1.0, a)
            gb = unbroadcast(grad * y * log(safe), b._data.shape)
        return ga, gb


class PowScalar(Op):
    """x ** c"""
    torch_name = "Pow"

    def forward(self, x):
        self.save_for_backward(x)
        c = self.c
        if c == 2:
            return x * x
        return x ** c

    def derivative(self, grad, x):
        c = self.c
        if c == 0:
            return grad * 0
        if c == 1:
            return grad
        if c == 2:
            return grad * (x * 2.0)
        return grad * (x ** (c - 1) * c)


class RPowScalar(Op):
    """c ** x"""
    torch_name = "Pow"

    def forward(self, x):
        y = self.xp.power(self.c, x, dtype=x.dtype) if x.dtype.kind == "f" else _int_pow(
            self.xp.array(self.c).astype(x.dtype), x)  # astype: wraps around like PyTorch's integers
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * y * float(self.xp.log(self.c)) if self.c > 0 else grad * y * float("nan")


class Neg(Op):
    def forward(self, x):
        return -x

    def derivative(self, grad):
        return -grad


@with_out
def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(input, other, Add, AddScalar, AddScalar)


@with_out
def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    for x in (input, other):
        if isinstance(x, Tensor) and x._data.dtype == np.bool_ or isinstance(x, (bool, np.bool_)):
            raise RuntimeError("sub(): Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    if isinstance(input, Tensor) and _scalar(other) is not None:
        return _binary(input, -other, Add, AddScalar, AddScalar)
    return _binary(input, other, Sub, None, RSubScalar)


@with_out
def mul(input, other):
    """Elementwise product with broadcasting."""
    return _binary(input, other, Mul, MulScalar, MulScalar)


@with_out
def div(input, other, *, rounding_mode=None):
    """True division (integers give floats); ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode is None:
        return _binary(input, other, Div, DivScalar, RDivScalar, float_only=True)
    xp = _xp_vals(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                         f"but found '{rounding_mode}'")
    if _is_float(input, other):
        q = _binary(input, other, Div, DivScalar, RDivScalar)
        return floor(q) if rounding_mode == "floor" else trunc(q)
    q = floor_divide(input, other)
    if rounding_mode == "trunc":  # floor and trunc differ where the signs differ and a remainder is left
        A = input._data if isinstance(input, Tensor) else input
        B = other._data if isinstance(other, Tensor) else other
        fix = (xp.mod(A, B) != 0) & ((xp.asarray(A) < 0) != (xp.asarray(B) < 0))
        q = Tensor._wrap(q._data + fix.astype(q._data.dtype))
    return q


true_divide = div


def _is_float(a, b):
    return any(isinstance(x, Tensor) and x._data.dtype.kind == "f" or isinstance(x, float) for x in (a, b))


@with_out
def floor_divide(input, other):
    """Floor division ``input // other`` (not differentiable)."""
    xp = _xp_vals(input, other)
    A = input._data if isinstance(input, Tensor) else input
    B = other._data if isinstance(other, Tensor) else other
    ref = input if isinstance(input, Tensor) else other
    dt = _dt.result_dtype(ref, other if ref is input else input)
    # both operands in the promoted dtype first (Python ints wrap around into it), as in PyTorch
    A, B = (xp.asarray(v).astype(dt, copy=False) if hasattr(v, "shape") else _int_scalar(v, dt) for v in (A, B))
    out_shape = broadcast_shape("floor_divide", getattr(A, "shape", ()), getattr(B, "shape", ()))
    if dt.kind == "b":
        raise NotImplementedError("floor_divide(): \"div_floor_cpu\" not implemented for 'Bool'")
    if dt.kind in "iu" and 0 not in out_shape:
        _check_int_divisor("floor_divide", B)
    return Tensor._wrap(xp.asarray(xp.floor_divide(A, B)).astype(dt, copy=False))


def _check_int_divisor(op, b):
    """Integer division by zero raises, as in PyTorch (NumPy would give 0 and warn)."""
    xp = _xp_vals(b)
    b = b._data if isinstance(b, Tensor) else b
    if xp.any(xp.asarray(b) == 0):
        raise RuntimeError(f"{op}(): ZeroDivisionError")


class Remainder(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.mod(a, b) if not self.fmod else self.xp.fmod(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        q = (a / b).floor() if not self.fmod else (a / b).trunc()
        return (unbroadcast(grad, a._data.shape) if na else None,
                unbroadcast(-grad * q, b._data.shape) if nb else None)


@with_out
def remainder(input, other):
    """Python-style modulus (sign of the divisor)."""
    a, b = _promote_modulus(input, other, "remainder")
    return Remainder.apply(a, b, fmod=False)


@with_out
def fmod(input, other):
    """C-style modulus (sign of the dividend)."""
    a, b = _promote_modulus(input, other, "fmod")
    return Remainder.apply(a, b, fmod=True)


def _promote_modulus(input, other, op):
    a, b = _promote_pair(input, other, op=op)
    not_implemented_for(op + "_cpu", a, "b")
    if a._data.dtype.kind in "iu" and a._data.size and b._data.size:
        _check_int_divisor(op, b)
    return a, b


def _int_pow(a, b):
    """``a ** b`` for integer arrays with PyTorch's answer for negative exponents
    (1 for base 1, +-1 for base -1, 0 otherwise) where NumPy raises."""
    xp = _xp_vals(a, b)
    neg = b < 0
    if not xp.any(neg):
        return a ** b
    y = a ** xp.where(neg, 0, b)
    at_neg = xp.where(a == 1, 1, xp.where(a == -1, xp.where(b % 2 != 0, -1, 1), 0))
    return xp.where(neg, at_neg, y).astype(y.dtype, copy=False)


def _promote_pair(a, b, float_only=False, op=None):
    """``a`` and ``b`` as tensors of their promoted dtype (the default float dtype if
    ``float_only`` and the promotion is not floating); with ``op``, PyTorch's
    RuntimeError naming it if their shapes do not broadcast."""
    if op is not None:
        broadcast_shape(op, getattr(a._data if isinstance(a, Tensor) else a, "shape", ()),
                        getattr(b._data if isinstance(b, Tensor) else b, "shape", ()))
    if not isinstance(a, Tensor):
        a, b = b, a
        swapped = True
    else:
        swapped = False
    dt = _dt.result_dtype(a, b)
    if float_only and dt.kind != "f":
        dt = _dt.get_default_dtype().numpy
    a = _cast(a, dt)
    b = _cast(b, dt) if isinstance(b, Tensor) else Tensor._wrap(
        _array_module(a._data).asarray(_int_scalar(b, dt)))  # ints wrap around
    return (b, a) if swapped else (a, b)


@with_out
def pow(input, exponent):
    """``input ** exponent`` (tensor or scalar on either side)."""
    if isinstance(input, Tensor) and isinstance(exponent, Tensor):
        if input._data.dtype == np.bool_ and exponent._data.dtype == np.bool_:
            broadcast_shape("pow", input._data.shape, exponent._data.shape)
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return _binary(input, exponent, Pow)
    if isinstance(input, Tensor):
        c = _scalar(exponent)
        if c is None:
            return _binary(input, exponent, Pow)
        if input._data.dtype.kind != "f":
            input = _cast(input, _dt.result_dtype(input, c))
        if isinstance(c, int) and c < 0 and input._data.dtype.kind != "f":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return PowScalar.apply(input, c=c)
    c = _scalar(input)
    if isinstance(c, bool) and exponent._data.dtype == np.bool_:
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if exponent._data.dtype.kind != "f":
        exponent = _cast(exponent, _dt.result_dtype(exponent, c))
    return RPowScalar.apply(exponent, c=c)


def operator(op, sop, slow, negate=False):
    """``Tensor.__add__`` and friends: two float Tensors of one dtype, or a float Tensor and
    a Python number, go straight to ``op`` / ``sop`` (the common case, no dispatch);
    everything else through ``slow(a, b)``, the full function (promotion, checks, errors).
    ``negate``: the scalar op gets ``-b`` (``a - b`` as ``a + (-b)``)."""
    def fast(a, b):
        dt = a._data.dtype
        if dt.kind == "f":
            if isinstance(b, Tensor):
                if b._data.dtype == dt:
                    try:
                        return op.apply(a, b)
                    except ValueError:
                        _broadcast_error(op, a, b)
                        raise
            else:
                t = type(b)
                if t is float or t is int:
                    return sop.apply(a, c=-b if negate else b)
        return slow(a, b)
    return fast


def roperator(sop, slow):
    """``Tensor.__radd__`` and friends (``b <op> a`` for a number ``b``): a float Tensor
    and a Python number go straight to ``sop``; everything else through ``slow(a, b)``."""
    def fast(a, b):
        t = type(b)
        if (t is float or t is int) and a._data.dtype.kind == "f":
            return sop.apply(a, c=b)
        return slow(a, b)
    return fast


@with_out
def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


negative = neg


# ---------------------------------------------------------------------------------
# clamp, maximum, where

class Clamp(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.clip(x, self.lo, self.hi)

    def backward(self, grad):
        (x,) = self.saved_tensors
        X = x._data
        mask = self.xp.ones(X.shape, dtype=bool)
        if self.lo is not None:
            mask &= X >= self.lo
        if self.hi is not None:
            mask &= X <= self.hi
        return grad * Tensor._wrap(mask.astype(X.dtype))


@with_out
def clamp(input, min=None, max=None):
    """Clamp values into [min, max] (either may be None or a tensor)."""
    xp = _xp_vals(input)
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _as_tensor(min, input))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _as_tensor(max, input))
        return out
    if input._data.dtype.kind != "f":
        if isinstance(min, float) or isinstance(max, float):
            input = _cast(input, _dt.get_default_dtype().numpy)
        else:
            dt = input._data.dtype  # bool with int bounds -> int64; ints wrap around into dt, as in PyTorch
            for v in (min, max):
                dt = dt if v is None else np.promote_types(dt, _dt.result_dtype(input, v))
            lo, hi = (None if v is None else _int_scalar(v, dt) for v in (min, max))
            return Tensor._wrap(xp.clip(input._data, lo, hi))
    return Clamp.apply(input, lo=min, hi=max)


clip = clamp


class Maximum(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b) if self.is_max else self.xp.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        A, B = a._data, b._data
        win = (A > B) if self.is_max else (A < B)
        tie = (A == B)
        wa = win.astype(grad._data.dtype) + tie * grad._data.dtype.type(0.5)
        na, nb = self.needs_input_grad
        return (unbroadcast(grad * Tensor._wrap(wa), A.shape) if na else None,
                unbroadcast(grad * Tensor._wrap(1 - wa), B.shape) if nb else None)


@with_out
def maximum(input, other):
    """Elementwise maximum (gradient split evenly on ties, as PyTorch)."""
    require_tensors("maximum", input, other)
    a, b = _promote_pair(input, other, op="maximum")
    return Maximum.apply(a, b, is_max=True)


@with_out
def minimum(input, other):
    require_tensors("minimum", input, other)
    a, b = _promote_pair(input, other, op="minimum")
    return Maximum.apply(a, b, is_max=False)


@with_out
def fmax(input, other):
    """Elementwise maximum that ignores NaN (not differentiable)."""
    xp = _xp_vals(input, other)
    require_tensors("fmax", input, other)
    a, b = _promote_pair(input, other, op="fmax")
    return Tensor._wrap(xp.fmax(a._data, b._data))


@with_out
def fmin(input, other):
    """Elementwise minimum that ignores NaN (not differentiable)."""
    xp = _xp_vals(input, other)
    require_tensors("fmin", input, other)
    a, b = _promote_pair(input, other, op="fmin")
    return Tensor._wrap(xp.fmin(a._data, b._data))


class Where(Op):
    def forward(self, a, b):
        c = self.cond
        self.sa, self.sb = a.shape, b.shape
        return self.xp.where(c, a, b)

    def backward(self, grad):
        c = self.cond
        zero = grad._data.dtype.type(0)
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = unbroadcast(Where.apply(grad, Tensor._wrap(zero), cond=c), self.sa)
        if nb:
            gb = unbroadcast(Where.apply(Tensor._wrap(zero), grad, cond=c), self.sb)
        return ga, gb


@with_out
def where(condition, input=None, other=None):
    """``input`` where ``condition`` else ``other`` (broadcasting); with only a condition,
    the indices of its nonzero elements (as ``nonzero(as_tuple=True)``)."""
    xp = _xp_vals(condition, input, other)
    cond = condition._data if isinstance(condition, Tensor) else xp.asarray(condition)
    if input is None and other is None:  # nonzero(condition, as_tuple=True)
        if cond.ndim == 0:
            return (Tensor._wrap(xp.zeros(int(bool(cond)), np.int64)),)
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in xp.nonzero(cond))
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    ref = input if isinstance(input, Tensor) else other
    if not isinstance(ref, Tensor):
        dt = _dt.result_dtype(Tensor._wrap(xp.asarray(0.0, dtype=_dt.get_default_dtype().numpy)), 0.0)
        return Tensor._wrap(xp.where(cond, input, other).astype(dt))
    a, b = _promote_pair(input, other) if isinstance(input, Tensor) else _promote_pair(other, input)[::-1]
    return Where.apply(a, b, cond=cond)


@with_out
def lerp(input, end, weight):
    return input + (end - input) * weight


@with_out
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    not_implemented_for("addcmul_cpu_out", input, "b")
    return input + tensor1 * tensor2 * value


@with_out
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + tensor1 / tensor2 * value


@with_out
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    xp = _xp_vals(input)
    mask = ~xp.isfinite(input._data)
    out = Tensor._wrap(xp.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))
    if not input._rg:
        return out
    return where(Tensor._wrap(mask), out.detach(), input)


# unary math and comparisons live in their own files; re-exported here so
# `ember.ops.elementwise.<name>` keeps working for every op
from .unary import (  # noqa: E402,F401
    Exp, Exp2, Log, Log2, Log10, Log1p, Expm1, Sqrt, Rsqrt, Square, Abs, Sin, Cos,
    Tan, Asin, Acos, Atan, Sinh, Cosh, Reciprocal, _ZeroGrad, floor,
    ceil, trunc, sign, sgn, round, frac, exp, exp2, log, log2, log10, log1p, expm1,
    sqrt, rsqrt, square, sin, cos, tan, asin, acos, atan, sinh, cosh, reciprocal, abs,
    absolute, signbit, deg2rad, rad2deg, atan2, Atan2, hypot, xlogy, erfinv)
from .compare import (  # noqa: E402,F401
    eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor, logical_not,
    bitwise_not, equal, isnan, isinf, isfinite, isclose, allclose)
