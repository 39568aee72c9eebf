"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion, unary
math, comparisons, clamp/where/maximum, dtype casts."""
import numpy as np

from .. import dtypes as _dt
from ..autograd.function import Function
from ..tensor import Tensor
from ._erf import erf_array

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

class SumTo(Function):
    """Sum a broadcast gradient back to ``shape`` (the adjoint of broadcasting)."""

    def forward(self, x):
        shape = self.shape
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        if lead:
            y = y.reshape(shape)
        return y

    def backward(self, grad):
        return Expand.apply(grad, shape=self.in_shape)


class Expand(Function):
    """Broadcast to ``shape`` (a read-only view; backward sums back)."""
    is_view = True

    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, self.shape)

    def view(self, arr):
        return self.xp.broadcast_to(arr, self.shape)

    def backward(self, grad):
        return unbroadcast(grad, self.in_shape)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: use in the backward of every broadcasting op."""
    if grad._data.shape == shape:
        return grad
    return SumTo.apply(grad, shape=tuple(shape))


class Cast(Function):
    """Convert to NumPy dtype ``dtype``; the gradient is cast back."""

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad):
        if self.in_dtype.kind != "f":
            return None
        return Cast.apply(grad, dtype=self.in_dtype)


class ToDevice(Function):
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
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(_dt.get_default_dtype().numpy)
    return Tensor._wrap(arr)


def _binary(a, b, op, sop=None, rsop=None, float_only=False):
    """Dispatch a binary op: promote dtypes like PyTorch, use the scalar variant of the
    op for Python numbers (``sop(x, c=b)`` or reflected ``rsop(x, c=a)``)."""
    if a.__class__ is Tensor and b.__class__ is Tensor and a._data.dtype == b._data.dtype \
            and not float_only:
        return op.apply(a, b)  # the common case, first
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da != db or (float_only and da.kind != "f"):
                dt = _dt.result_dtype(a, b)
                if float_only and dt.kind != "f":
                    dt = _dt.get_default_dtype().numpy
                a, b = _cast(a, dt), _cast(b, dt)
            return op.apply(a, b)
        c = _scalar(b)
        if c is None:
            return _binary(a, _as_tensor(b, a), op, sop, rsop, float_only)
        if a._data.dtype.kind != "f":
            dt = _dt.result_dtype(a, c)
            if float_only and dt.kind != "f":
                dt = _dt.get_default_dtype().numpy
            a = _cast(a, dt)
            if dt.kind in "iu" and isinstance(c, int):
                c = np.array(c).astype(dt)  # wrap around like PyTorch's integer arithmetic
        if sop is None:
            return op.apply(a, Tensor._wrap(np.asarray(c, dtype=a._data.dtype)))
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
            c = np.array(c).astype(dt)
    if rsop is None:
        return op.apply(Tensor._wrap(np.asarray(c, dtype=b._data.dtype)), b)
    return rsop.apply(b, c=c)


# ---------------------------------------------------------------------------------
# arithmetic

class Add(Function):
    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a + b

    def backward(self, grad):
        na, nb = self.needs_input_grad
        return (unbroadcast(grad, self.sa) if na else None,
                unbroadcast(grad, self.sb) if nb else None)


class AddScalar(Function):
    def forward(self, x):
        return x + self.c

    def backward(self, grad):
        return grad


class Sub(Function):
    def forward(self, a, b):
        self.sa, self.sb = a.shape, b.shape
        return a - b

    def backward(self, grad):
        na, nb = self.needs_input_grad
        return (unbroadcast(grad, self.sa) if na else None,
                unbroadcast(-grad, self.sb) if nb else None)


class RSubScalar(Function):
    def forward(self, x):
        return self.c - x

    def backward(self, grad):
        return -grad


class Mul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        return (unbroadcast(grad * b, a._data.shape) if na else None,
                unbroadcast(grad * a, b._data.shape) if nb else None)


class MulScalar(Function):
    def forward(self, x):
        return x * self.c

    def backward(self, grad):
        return grad * self.c


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        ga = grad / b
        return (unbroadcast(ga, a._data.shape) if na else None,
                unbroadcast(-ga * a / b, b._data.shape) if nb else None)


class DivScalar(Function):
    def forward(self, x):
        return x / self.c

    def backward(self, grad):
        return grad / self.c


class RDivScalar(Function):
    """c / x"""

    def forward(self, x):
        y = self.c / x
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        return -grad * y / x


class Pow(Function):
    def forward(self, a, b):
        y = a ** b
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


class PowScalar(Function):
    """x ** c"""

    def forward(self, x):
        self.save_for_backward(x)
        c = self.c
        if c == 2:
            return x * x
        return x ** c

    def backward(self, grad):
        (x,) = self.saved_tensors
        c = self.c
        if c == 0:
            return grad * 0
        if c == 1:
            return grad
        if c == 2:
            return grad * (x * 2.0)
        return grad * (x ** (c - 1) * c)


class RPowScalar(Function):
    """c ** x"""

    def forward(self, x):
        y = self.xp.power(self.c, x, dtype=x.dtype) if x.dtype.kind == "f" else self.c ** x
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * y * float(np.log(self.c)) if self.c > 0 else grad * y * float("nan")


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(input, other, Add, AddScalar, AddScalar)


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    for x in (input, other):
        if isinstance(x, Tensor) and x._data.dtype == np.bool_:
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    if isinstance(input, Tensor) and _scalar(other) is not None:
        return _binary(input, -other, Add, AddScalar, AddScalar)
    return _binary(input, other, Sub, None, RSubScalar)


def mul(input, other):
    """Elementwise product with broadcasting."""
    return _binary(input, other, Mul, MulScalar, MulScalar)


def div(input, other, *, rounding_mode=None):
    """True division (integers give floats); ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode is None:
        return _binary(input, other, Div, DivScalar, RDivScalar, float_only=True)
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
        fix = (np.mod(A, B) != 0) & ((np.asarray(A) < 0) != (np.asarray(B) < 0))
        q = Tensor._wrap(q._data + fix.astype(q._data.dtype))
    return q


true_divide = div


def _is_float(a, b):
    return any(isinstance(x, Tensor) and x._data.dtype.kind == "f" or isinstance(x, float) for x in (a, b))


def floor_divide(input, other):
    """Floor division ``input // other`` (not differentiable)."""
    A = input._data if isinstance(input, Tensor) else input
    B = other._data if isinstance(other, Tensor) else other
    ref = input if isinstance(input, Tensor) else other
    dt = _dt.result_dtype(ref, other if ref is input else input)
    return Tensor._wrap(np.asarray(np.floor_divide(A, B)).astype(dt, copy=False))


class Remainder(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.mod(a, b) if not self.fmod else self.xp.fmod(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        q = (a / b).floor() if not self.fmod else (a / b).trunc()
        return (unbroadcast(grad, a._data.shape) if na else None,
                unbroadcast(-grad * q, b._data.shape) if nb else None)


def remainder(input, other):
    """Python-style modulus (sign of the divisor)."""
    a, b = _promote_pair(input, other)
    return Remainder.apply(a, b, fmod=False)


def fmod(input, other):
    """C-style modulus (sign of the dividend)."""
    a, b = _promote_pair(input, other)
    return Remainder.apply(a, b, fmod=True)


def _promote_pair(a, b, float_only=False):
    if not isinstance(a, Tensor):
        a, b = b, a
        swapped = True
    else:
        swapped = False
    dt = _dt.result_dtype(a, b)
    if float_only and dt.kind != "f":
        dt = _dt.get_default_dtype().numpy
    a = _cast(a, dt)
    b = _cast(b, dt) if isinstance(b, Tensor) else Tensor._wrap(np.asarray(b, dtype=dt))
    return (b, a) if swapped else (a, b)


def pow(input, exponent):
    """``input ** exponent`` (tensor or scalar on either side)."""
    if isinstance(input, Tensor) and isinstance(exponent, Tensor):
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
    if exponent._data.dtype.kind != "f":
        exponent = _cast(exponent, _dt.result_dtype(exponent, c))
    return RPowScalar.apply(exponent, c=c)


def neg(input):
    return Neg.apply(input)


negative = neg


# ---------------------------------------------------------------------------------
# unary math

def _unary(name, fwd, bwd, save="x", doc=""):
    """Build a one-input op: ``fwd(xp, x)`` on arrays, ``bwd(grad, x_or_y)`` in ember ops."""
    def forward(self, x):
        if x.dtype.kind != "f":
            x = x.astype(_dt.get_default_dtype().numpy)
        y = fwd(self.xp, x)
        self.save_for_backward(x if save == "x" else y)
        return y

    def backward(self, grad):
        (s,) = self.saved_tensors
        return bwd(grad, s)

    cls = type(name, (Function,), {"forward": forward, "backward": backward, "__doc__": doc})
    return cls


Exp = _unary("Exp", lambda xp, x: xp.exp(x), lambda g, y: g * y, "y")
Exp2 = _unary("Exp2", lambda xp, x: xp.exp2(x), lambda g, y: g * y * 0.6931471805599453, "y")
Log = _unary("Log", lambda xp, x: xp.log(x), lambda g, x: g / x)
Log2 = _unary("Log2", lambda xp, x: xp.log2(x), lambda g, x: g / (x * 0.6931471805599453))
Log10 = _unary("Log10", lambda xp, x: xp.log10(x), lambda g, x: g / (x * 2.302585092994046))
Log1p = _unary("Log1p", lambda xp, x: xp.log1p(x), lambda g, x: g / (x + 1))
Expm1 = _unary("Expm1", lambda xp, x: xp.expm1(x), lambda g, y: g * (y + 1), "y")
Sqrt = _unary("Sqrt", lambda xp, x: xp.sqrt(x), lambda g, y: g / (y * 2), "y")
Rsqrt = _unary("Rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda g, y: g * (y * y * y) * -0.5, "y")
Square = _unary("Square", lambda xp, x: x * x, lambda g, x: g * x * 2)
Abs = _unary("Abs", lambda xp, x: xp.abs(x), lambda g, x: g * sign(x))
Sin = _unary("Sin", lambda xp, x: xp.sin(x), lambda g, x: g * cos(x))
Cos = _unary("Cos", lambda xp, x: xp.cos(x), lambda g, x: -g * sin(x))
Tan = _unary("Tan", lambda xp, x: xp.tan(x), lambda g, y: g * (y * y + 1), "y")
Asin = _unary("Asin", lambda xp, x: xp.arcsin(x), lambda g, x: g * rsqrt(-x * x + 1))
Acos = _unary("Acos", lambda xp, x: xp.arccos(x), lambda g, x: -g * rsqrt(-x * x + 1))
Atan = _unary("Atan", lambda xp, x: xp.arctan(x), lambda g, x: g / (x * x + 1))
Sinh = _unary("Sinh", lambda xp, x: xp.sinh(x), lambda g, x: g * cosh(x))
Cosh = _unary("Cosh", lambda xp, x: xp.cosh(x), lambda g, x: g * sinh(x))
Reciprocal = _unary("Reciprocal", lambda xp, x: 1 / x, lambda g, y: -g * y * y, "y")


class _ZeroGrad(Function):
    """Piecewise-constant ops (floor, sign, ...): gradient zero, as in PyTorch."""

    def forward(self, x):
        return self.fn(self.xp, x)

    def backward(self, grad):
        return grad * 0


def _zero_grad_op(fn, keep_int=True):
    def op(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"expected a Tensor, got {type(input).__name__}")
        if keep_int and input._data.dtype.kind != "f":
            return Tensor._wrap(fn(np, input._data).astype(input._data.dtype, copy=False))
        return _ZeroGrad.apply(input, fn=fn)
    return op


def _round(xp, x, decimals=0):
    return xp.round(x, decimals)


floor = _zero_grad_op(lambda xp, x: xp.floor(x))
ceil = _zero_grad_op(lambda xp, x: xp.ceil(x))
trunc = _zero_grad_op(lambda xp, x: xp.trunc(x))
sign = _zero_grad_op(lambda xp, x: xp.sign(x))
sgn = sign


def round(input, *, decimals=0):
    """Round half to even (as PyTorch); gradient zero."""
    return _zero_grad_op(lambda xp, x: xp.round(x, decimals))(input)


def frac(input):
    return input - trunc(input)


def _unary_fn(cls, name):
    def op(input):
        return cls.apply(input)
    op.__name__ = name
    return op


exp = _unary_fn(Exp, "exp")
exp2 = _unary_fn(Exp2, "exp2")
log = _unary_fn(Log, "log")
log2 = _unary_fn(Log2, "log2")
log10 = _unary_fn(Log10, "log10")
log1p = _unary_fn(Log1p, "log1p")
expm1 = _unary_fn(Expm1, "expm1")
sqrt = _unary_fn(Sqrt, "sqrt")
rsqrt = _unary_fn(Rsqrt, "rsqrt")
square = _unary_fn(Square, "square")
sin = _unary_fn(Sin, "sin")
cos = _unary_fn(Cos, "cos")
tan = _unary_fn(Tan, "tan")
asin = _unary_fn(Asin, "asin")
acos = _unary_fn(Acos, "acos")
atan = _unary_fn(Atan, "atan")
sinh = _unary_fn(Sinh, "sinh")
cosh = _unary_fn(Cosh, "cosh")
reciprocal = _unary_fn(Reciprocal, "reciprocal")


def abs(input):
    if input._data.dtype.kind != "f":
        return Tensor._wrap(np.abs(input._data))
    return Abs.apply(input)


absolute = abs


def signbit(input):
    return Tensor._wrap(np.signbit(input._data))


def deg2rad(input):
    return input * (np.pi / 180)


def rad2deg(input):
    return input * (180 / np.pi)


def atan2(input, other):
    y, x = _promote_pair(input, other, float_only=True)
    return Atan2.apply(y, x)


class Atan2(Function):
    def forward(self, y, x):
        self.save_for_backward(y, x)
        return self.xp.arctan2(y, x)

    def backward(self, grad):
        y, x = self.saved_tensors
        r = x * x + y * y
        ny, nx = self.needs_input_grad
        return (unbroadcast(grad * x / r, y._data.shape) if ny else None,
                unbroadcast(-grad * y / r, x._data.shape) if nx else None)


def hypot(input, other):
    return sqrt(input * input + other * other)


def xlogy(input, other):
    """``input * log(other)``, 0 where input == 0."""
    out = input * log(other)
    return where(input == 0, 0.0, out)


def erfinv(input):
    """Inverse error function (Newton iterations on erf; not differentiable twice)."""
    x = input._data.astype(np.float64)
    # Giles' single-precision approximation as the start, then Newton steps
    w = -np.log((1.0 - x) * (1.0 + x))
    y = np.where(w < 5, _giles_small(w - 2.5), _giles_large(np.sqrt(np.maximum(w, 5)) - 3)) * x
    for _ in range(3):
        err = erf_array(y) - x
        y = y - err / (1.1283791670955126 * np.exp(-y * y))
    return Tensor._wrap(y.astype(input._data.dtype))


def _giles_small(w):
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * w
    return p


def _giles_large(w):
    p = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p = c + p * w
    return p


# ---------------------------------------------------------------------------------
# clamp, maximum, where

class Clamp(Function):
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


def clamp(input, min=None, max=None):
    """Clamp values into [min, max] (either may be None or a tensor)."""
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
            return Tensor._wrap(np.clip(input._data, min, max))
    return Clamp.apply(input, lo=min, hi=max)


clip = clamp


class Maximum(Function):
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


def maximum(input, other):
    """Elementwise maximum (gradient split evenly on ties, as PyTorch)."""
    a, b = _promote_pair(input, other)
    return Maximum.apply(a, b, is_max=True)


def minimum(input, other):
    a, b = _promote_pair(input, other)
    return Maximum.apply(a, b, is_max=False)


def fmax(input, other):
    return Tensor._wrap(np.fmax(input._data, other._data if isinstance(other, Tensor) else other))


def fmin(input, other):
    return Tensor._wrap(np.fmin(input._data, other._data if isinstance(other, Tensor) else other))


class Where(Function):
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


def where(condition, input=None, other=None):
    """``input`` where ``condition`` else ``other`` (broadcasting); with only a condition,
    the indices of its nonzero elements (as ``nonzero(as_tuple=True)``)."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    ref = input if isinstance(input, Tensor) else other
    if not isinstance(ref, Tensor):
        dt = _dt.result_dtype(Tensor._wrap(np.asarray(0.0, dtype=_dt.get_default_dtype().numpy)), 0.0)
        return Tensor._wrap(np.where(cond, input, other).astype(dt))
    a, b = _promote_pair(input, other) if isinstance(input, Tensor) else _promote_pair(other, input)[::-1]
    return Where.apply(a, b, cond=cond)


def lerp(input, end, weight):
    return input + (end - input) * weight


def addcmul(input, tensor1, tensor2, *, value=1):
    return input + tensor1 * tensor2 * value


def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + tensor1 / tensor2 * value


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    mask = ~np.isfinite(input._data)
    out = Tensor._wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))
    if not input._rg:
        return out
    return where(Tensor._wrap(mask), out.detach(), input)


# ---------------------------------------------------------------------------------
# comparisons and logic (never differentiable)

def _cmp(fn):
    def op(input, other):
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(fn(a, b)))
    return op


eq = _cmp(np.equal)
ne = _cmp(np.not_equal)
lt = _cmp(np.less)
le = _cmp(np.less_equal)
gt = _cmp(np.greater)
ge = _cmp(np.greater_equal)
logical_and = _cmp(np.logical_and)
logical_or = _cmp(np.logical_or)
logical_xor = _cmp(np.logical_xor)


def logical_not(input):
    return Tensor._wrap(np.logical_not(input._data))


def bitwise_not(input):
    return Tensor._wrap(np.invert(input._data))


def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def isnan(input):
    return Tensor._wrap(np.isnan(input._data))


def isinf(input):
    return Tensor._wrap(np.isinf(input._data))


def isfinite(input):
    return Tensor._wrap(np.isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor._wrap(np.isclose(input._data, other._data if isinstance(other, Tensor) else other,
                                   rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(input._data, other._data if isinstance(other, Tensor) else other,
                            rtol=rtol, atol=atol, equal_nan=equal_nan))
