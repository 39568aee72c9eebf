"""Unary math ops (exp, log, sin, sqrt, abs, floor, ...), atan2/hypot/xlogy/erfinv.
Part of ``ember.ops.elementwise``, which re-exports every name defined here."""
import numpy as np

from .. import dtypes as _dt
from ..autograd.op import Op
from ..tensor import Tensor
from ._erf import erf_array
from ._args import not_implemented_for, require_tensors
from .elementwise import _promote_pair, unbroadcast, where, mul, _cast, _array_module
from ._out import with_out


def _unary(name, fwd, bwd, save="x", doc="", generic=False):
    """Build a one-input op: ``fwd(xp, x)`` on arrays, ``bwd(grad, x_or_y)`` its derivative.
    ``generic``: ``bwd`` uses only operators, so it runs on raw arrays as well as on
    Tensors (``Op.derivative``: the engine's raw path in training); otherwise it calls
    ember ops and runs on Tensors."""
    def forward(self, x):
        if x.dtype.kind != "f":
            x = x.astype(_dt.get_default_dtype().numpy)
        y = fwd(self.xp, x)
        self.save_for_backward(x if save == "x" else y)
        return y

    if generic:  # ``derivative(grad, saved)`` is bwd itself (no wrapper call per backward)
        body = {"derivative": staticmethod(bwd)}
    else:
        def backward(self, grad):
            (s,) = self.saved_tensors
            return bwd(grad, s)
        body = {"backward": backward}
    return type(name, (Op,), {"forward": forward, "__doc__": doc, **body})


Exp = _unary("Exp", lambda xp, x: xp.exp(x), lambda g, y: g * y, "y", generic=True)
Exp2 = _unary("Exp2", lambda xp, x: xp.exp2(x), lambda g, y: g * y * 0.6931471805599453, "y", generic=True)
Log = _unary("Log", lambda xp, x: xp.log(x), lambda g, x: g / x, generic=True)
Log2 = _unary("Log2", lambda xp, x: xp.log2(x), lambda g, x: g / (x * 0.6931471805599453), generic=True)
Log10 = _unary("Log10", lambda xp, x: xp.log10(x), lambda g, x: g / (x * 2.302585092994046), generic=True)
Log1p = _unary("Log1p", lambda xp, x: xp.log1p(x), lambda g, x: g / (x + 1), generic=True)
Expm1 = _unary("Expm1", lambda xp, x: xp.expm1(x), lambda g, y: g * (y + 1), "y", generic=True)
Sqrt = _unary("Sqrt", lambda xp, x: xp.sqrt(x), lambda g, y: g / (y * 2), "y", generic=True)
Rsqrt = _unary("Rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda g, y: g * (y * y * y) * -0.5, "y", generic=True)
Square = _unary("Square", lambda xp, x: x * x, lambda g, x: g * x * 2, generic=True)
Abs = _unary("Abs", lambda xp, x: xp.abs(x), lambda g, x: g * sign(x))
Sin = _unary("Sin", lambda xp, x: xp.sin(x), lambda g, x: g * cos(x))
Cos = _unary("Cos", lambda xp, x: xp.cos(x), lambda g, x: -g * sin(x))
Tan = _unary("Tan", lambda xp, x: xp.tan(x), lambda g, y: g * (y * y + 1), "y", generic=True)
Asin = _unary("Asin", lambda xp, x: xp.arcsin(x), lambda g, x: g * rsqrt(-x * x + 1))
Acos = _unary("Acos", lambda xp, x: xp.arccos(x), lambda g, x: -g * rsqrt(-x * x + 1))
Atan = _unary("Atan", lambda xp, x: xp.arctan(x), lambda g, x: g / (x * x + 1), generic=True)
Sinh = _unary("Sinh", lambda xp, x: xp.sinh(x), lambda g, x: g * cosh(x))
Cosh = _unary("Cosh", lambda xp, x: xp.cosh(x), lambda g, x: g * sinh(x))
Reciprocal = _unary("Reciprocal", lambda xp, x: 1 / x, lambda g, y: -g * y * y, "y", generic=True)


class _ZeroGrad(Op):
    """Piecewise-constant ops (floor, sign, ...): gradient zero, as in PyTorch."""

    def forward(self, x):
        return self.fn(self.xp, x)

    def derivative(self, grad):
        return grad * 0


def _zero_grad_op(fn, name, keep_int=True, kernel=None):
    """A piecewise-constant op; integers keep their dtype, bool raises like PyTorch's
    kernels (``kernel``: the kernel name its NotImplementedError shows)."""
    def op(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        if kernel is not None:
            not_implemented_for(kernel, input, "b")
        if keep_int and input._data.dtype.kind != "f":
            return Tensor._wrap(fn(_array_module(input._data), input._data).astype(input._data.dtype, copy=False))
        return _ZeroGrad.apply(input, fn=fn)
    op.__name__ = name
    return with_out(op)


floor = _zero_grad_op(lambda xp, x: xp.floor(x), "floor", kernel="floor_vml_cpu")
ceil = _zero_grad_op(lambda xp, x: xp.ceil(x), "ceil", kernel="ceil_vml_cpu")
trunc = _zero_grad_op(lambda xp, x: xp.trunc(x), "trunc", kernel="trunc_vml_cpu")
_sign = _zero_grad_op(lambda xp, x: xp.sign(x), "sign")


@with_out
def sign(input):
    """-1, 0 or 1 by the sign of each element (a bool tensor is its own sign)."""
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        return Tensor._wrap(input._data.copy())
    return _sign(input)


sgn = sign


@with_out
def round(input, *, decimals=0):
    """Round half to even (as PyTorch); gradient zero."""
    return _zero_grad_op(lambda xp, x: xp.round(x, decimals), "round", kernel="round_vml_cpu")(input)


@with_out
def frac(input):
    """The fractional part ``input - trunc(input)`` (floating inputs only, as in PyTorch)."""
    not_implemented_for("frac_cpu", input, "biu")
    return input - trunc(input)


def _unary_fn(cls, name):
    def op(input):
        return cls.apply(input)
    op.__name__ = name
    return with_out(op)


exp = _unary_fn(Exp, "exp")
exp2 = _unary_fn(Exp2, "exp2")
log = _unary_fn(Log, "log")
log2 = _unary_fn(Log2, "log2")
log10 = _unary_fn(Log10, "log10")
log1p = _unary_fn(Log1p, "log1p")
expm1 = _unary_fn(Expm1, "expm1")
sqrt = _unary_fn(Sqrt, "sqrt")
rsqrt = _unary_fn(Rsqrt, "rsqrt")
_square = _unary_fn(Square, "square")


@with_out
def square(input):
    """``input * input``; integers stay integers (bool squares to int64), as in PyTorch."""
    kind = input._data.dtype.kind
    if kind == "b":
        input = _cast(input, np.dtype(np.int64))
    if kind in "biu":
        return mul(input, input)
    return _square(input)
sin = _unary_fn(Sin, "sin")
cos = _unary_fn(Cos, "cos")
tan = _unary_fn(Tan, "tan")
asin = _unary_fn(Asin, "asin")
acos = _unary_fn(Acos, "acos")
atan = _unary_fn(Atan, "atan")
sinh = _unary_fn(Sinh, "sinh")
cosh = _unary_fn(Cosh, "cosh")
reciprocal = _unary_fn(Reciprocal, "reciprocal")


@with_out
def abs(input):
    """``|input|``; bool inputs raise, as in PyTorch."""
    xp = _array_module(input._data)
    not_implemented_for("abs_cpu", input, "b")
    if input._data.dtype.kind != "f":
        return Tensor._wrap(xp.abs(input._data))
    return Abs.apply(input)


absolute = abs


@with_out
def signbit(input):
    xp = _array_module(input._data)
    return Tensor._wrap(xp.signbit(input._data))


@with_out
def deg2rad(input):
    return input * (np.pi / 180)


@with_out
def rad2deg(input):
    return input * (180 / np.pi)


@with_out
def atan2(input, other):
    require_tensors("atan2", input, other)
    y, x = _promote_pair(input, other, float_only=True, op="atan2")
    return Atan2.apply(y, x)


class Atan2(Op):
    def forward(self, y, x):
        self.save_for_backward(y, x)
        return self.xp.arctan2(y, x)

    def backward(self, grad):
        y, x = self.saved_tensors
        r = x * x + y * y
        ny, nx = self.needs_input_grad
        return (unbroadcast(grad * x / r, y._data.shape) if ny else None,
                unbroadcast(-grad * y / r, x._data.shape) if nx else None)


@with_out
def hypot(input, other):
    """``sqrt(input**2 + other**2)`` for floating tensors."""
    require_tensors("hypot", input, other)
    input, other = _promote_pair(input, other, op="hypot")
    not_implemented_for("hypot_cpu", input, "biu")
    return sqrt(input * input + other * other)


@with_out
def xlogy(input, other):
    """``input * log(other)``, 0 where input == 0."""
    input, other = _promote_pair(input, other, float_only=True, op="xlogy")
    out = input * log(other)
    return where(input == 0, 0.0, out)


@with_out
def erfinv(input):
    """Inverse error function (Newton iterations on erf; not differentiable twice)."""
    xp = _array_module(input._data)
    x = input._data.astype(np.float64)
    # Giles' single-precision approximation as the start, then Newton steps
    w = -xp.log((1.0 - x) * (1.0 + x))
    y = xp.where(w < 5, _giles_small(w - 2.5), _giles_large(xp.sqrt(xp.maximum(w, 5)) - 3)) * x
    for _ in range(3):
        err = erf_array(y, xp) - x
        y = y - err / (1.1283791670955126 * xp.exp(-y * y))
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
