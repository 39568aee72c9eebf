"""Fused activation ops of ``ember.nn`` (beyond the core's relu/sigmoid/tanh/softmax).

Each activation is ONE op: the forward is a few NumPy calls on the raw array; the
backward multiplies the incoming gradient by the derivative, written once per
activation as ``deriv(m, x, y)`` over a small math namespace ``m``. The engine runs
it on raw arrays (``_RawMath``) in training and on ember Tensors (``_GraphMath``) when
it records the backward (``create_graph=True``), so the derivative is differentiable
again.
"""
import math

import numpy as np

from ..autograd.op import Op
from ..tensor import Tensor
from ._erf import erf_array, erfc_array

__all__ = ["hardtanh", "leaky_relu", "elu", "gelu", "silu", "mish", "hardsigmoid",
           "hardswish", "softplus", "softsign", "logsigmoid", "tanhshrink", "threshold",
           "hardshrink", "softshrink", "prelu", "erf", "erfc"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _c(x, v):
    """Python scalar ``v`` as a scalar of ``x``'s dtype (keeps float32 float32)."""
    return x.dtype.type(v)


def _mask(cond, like):
    """A 0/1 array (or tensor) of ``like``'s dtype from a boolean ``cond``."""
    if isinstance(cond, Tensor):
        return cond.to(like.dtype)
    return cond.astype(like.dtype)


def _sigmoid_raw(xp, x):
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x: 1/inf = 0
        return 1 / (xp.exp(-x) + 1)


def _softplus_raw(xp, x):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


# NOTE: raw paths use mask arithmetic (m * a + ...) rather than np.where, which is
# about 20x slower than an elementwise multiply on unpredictable masks.


class _RawMath:
    """The functions ``deriv`` uses, on raw arrays of array module ``xp``."""
    raw = True

    def __init__(self, xp):
        self.xp = xp

    def exp(self, x):
        return self.xp.exp(x)

    def tanh(self, x):
        return self.xp.tanh(x)

    def abs(self, x):
        return self.xp.abs(x)

    def min0(self, x):
        return self.xp.minimum(x, 0)

    def sigmoid(self, x):
        return _sigmoid_raw(self.xp, x)

    def softplus(self, x):
        return _softplus_raw(self.xp, x)

    def erfc(self, x):
        return erfc_array(x, self.xp)

    mask = staticmethod(_mask)


class _GraphMath:
    """The same functions in ember ops (differentiable)."""
    raw = False

    exp = staticmethod(lambda x: x.exp())
    tanh = staticmethod(lambda x: x.tanh())
    abs = staticmethod(lambda x: x.abs())
    min0 = staticmethod(lambda x: x.clamp(max=0))
    sigmoid = staticmethod(lambda x: x.sigmoid())
    softplus = staticmethod(lambda x: softplus(x))
    erfc = staticmethod(lambda x: erfc(x))
    mask = staticmethod(_mask)


_GRAPH_MATH = _GraphMath()


class _Activation(Op):
    """Elementwise activation. Subclasses define ``fwd(xp, x)`` on raw arrays and
    ``deriv(m, x, y)``, dy/dx written once over the math namespace ``m``."""

    def forward(self, x):
        if x.dtype.kind != "f":
            raise TypeError(f"{self.op_name}: expected a floating point tensor, got dtype "
                            f"{x.dtype}")
        y = self.fwd(self.xp, x)
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        return grad * self.deriv(_GRAPH_MATH, x, y)

    def backward_raw(self, grad):
        x, y = self.saved_arrays
        d = self.deriv(_RawMath(self.xp), x, y)
        return grad * (d.astype(x.dtype, copy=False) if d.dtype != x.dtype else d)


class Erf(_Activation):
    op_name = "erf"
    sign = 1.0

    def fwd(self, xp, x):
        return erf_array(x, xp)

    def deriv(self, m, x, y):
        return m.exp(-(x * x)) * (self.sign * _TWO_OVER_SQRT_PI)


class Erfc(Erf):
    op_name = "erfc"
    sign = -1.0

    def fwd(self, xp, x):
        return erfc_array(x, xp)


def erf(input):
    """Error function, accurate to ~1 ulp in float64 (differentiable, also twice).

    Example:
        >>> ember.ops.nn_activation.erf(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8427])
    """
    return Erf.apply(input if input._data.dtype.kind == "f" else input.float())


def erfc(input):
    """Complementary error function ``1 - erf(x)``, accurate in the tails (no cancellation)."""
    return Erfc.apply(input if input._data.dtype.kind == "f" else input.float())


class Hardtanh(_Activation):
    op_name = "hardtanh"

    def fwd(self, xp, x):
        return xp.clip(x, _c(x, self.min_val), _c(x, self.max_val))

    def deriv(self, m, x, y):
        return m.mask((x > self.min_val) & (x < self.max_val), x)


class LeakyReLU(_Activation):
    torch_name = "LeakyRelu"
    op_name = "leaky_relu"

    def fwd(self, xp, x):
        return xp.maximum(x, 0) + xp.minimum(x, 0) * _c(x, self.negative_slope)

    def deriv(self, m, x, y):
        s = self.negative_slope
        return m.mask(x > 0, x) * (1 - s) + s


class ELU(_Activation):
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)): elu, selu, celu."""
    torch_name = "Elu"
    op_name = "elu"

    def fwd(self, xp, x):
        y = xp.expm1(xp.minimum(x, 0) * _c(x, self.input_scale)) * _c(x, self.alpha)
        y += xp.maximum(x, 0)
        if self.scale != 1:
            y *= _c(x, self.scale)
        return y

    def deriv(self, m, x, y):
        k = self.scale * self.alpha * self.input_scale
        neg = m.exp(m.min0(x) * self.input_scale) * k
        return neg + m.mask(x > 0, x) * (self.scale - neg)


class GELU(_Activation):
    torch_name = "Gelu"
    op_name = "gelu"

    def fwd(self, xp, x):
        if self.approximate == "tanh":
            inner = (x + _c(x, 0.044715) * x * x * x) * _c(x, _SQRT_2_OVER_PI)
            return x * (xp.tanh(inner) + 1) * _c(x, 0.5)
        cdf = erfc_array(x * _c(x, -_INV_SQRT_2), xp)
        cdf *= _c(x, 0.5)
        if self.needs_input_grad[0]:
            self.cdf = cdf  # reused by the raw backward: erfc is the costly part
        return x * cdf

    def deriv(self, m, x, y):
        if self.approximate == "tanh":
            x2 = x * x
            t = m.tanh((x + 0.044715 * x2 * x) * _SQRT_2_OVER_PI)
            dinner = (x2 * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
            return ((t + 1) + x * (1 - t * t) * dinner) * 0.5
        cdf = self.__dict__.get("cdf") if m.raw else None
        if cdf is None:
            cdf = m.erfc(x * -_INV_SQRT_2) * 0.5
        pdf = m.exp(x * x * -0.5) * _INV_SQRT_2PI
        return cdf + x * pdf


class SiLU(_Activation):
    torch_name = "Silu"
    op_name = "silu"

    def fwd(self, xp, x):
        return x * _sigmoid_raw(xp, x)

    def deriv(self, m, x, y):
        s = m.sigmoid(x)
        return s * (x * (1 - s) + 1)


class Mish(_Activation):
    op_name = "mish"

    def fwd(self, xp, x):
        return x * xp.tanh(_softplus_raw(xp, x))

    def deriv(self, m, x, y):
        t = m.tanh(m.softplus(x))
        return t + x * m.sigmoid(x) * (1 - t * t)


class Hardsigmoid(_Activation):
    op_name = "hardsigmoid"

    def fwd(self, xp, x):
        return xp.clip(x * _c(x, 1 / 6) + _c(x, 0.5), _c(x, 0), _c(x, 1))

    def deriv(self, m, x, y):
        return m.mask((x > -3) & (x < 3), x) * (1 / 6)


class Hardswish(_Activation):
    op_name = "hardswish"

    def fwd(self, xp, x):
        return x * xp.clip(x + _c(x, 3), _c(x, 0), _c(x, 6)) * _c(x, 1 / 6)

    def deriv(self, m, x, y):
        mid = m.mask((x >= -3) & (x <= 3), x)
        return mid * (x * (1 / 3) + 0.5) + m.mask(x > 3, x)


class Softplus(_Activation):
    op_name = "softplus"

    def fwd(self, xp, x):
        b = self.beta
        bx = x * _c(x, b) if b != 1 else x
        sp = _softplus_raw(xp, bx)
        if b != 1:
            sp /= _c(x, b)
        # linear above the threshold (a rare, predictable mask: a masked copy is cheap)
        xp.copyto(sp, x, where=bx > self.threshold)
        return sp

    def deriv(self, m, x, y):
        bx = x * self.beta
        above = m.mask(bx > self.threshold, x)
        return above + (1 - above) * m.sigmoid(bx)


class Softsign(_Activation):
    op_name = "softsign"

    def fwd(self, xp, x):
        return x / (xp.abs(x) + 1)

    def deriv(self, m, x, y):
        d = m.abs(x) + 1
        return 1 / (d * d)


class LogSigmoid(_Activation):
    op_name = "logsigmoid"

    def fwd(self, xp, x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def deriv(self, m, x, y):
        return m.sigmoid(-x)


class Tanhshrink(_Activation):
    op_name = "tanhshrink"

    def fwd(self, xp, x):
        return x - xp.tanh(x)

    def deriv(self, m, x, y):
        t = m.tanh(x)
        return t * t


class Threshold(_Activation):
    op_name = "threshold"

    def fwd(self, xp, x):
        return xp.where(x > self.threshold, x, _c(x, self.value))

    def deriv(self, m, x, y):
        return m.mask(x > self.threshold, x)


class Hardshrink(_Activation):
    op_name = "hardshrink"

    def fwd(self, xp, x):
        return xp.where((x > self.lambd) | (x < -self.lambd), x, _c(x, 0))

    def deriv(self, m, x, y):
        return m.mask((x > self.lambd) | (x < -self.lambd), x)


class Softshrink(_Activation):
    op_name = "softshrink"

    def fwd(self, xp, x):
        lam = _c(x, self.lambd)
        return xp.where(x > lam, x - lam, xp.where(x < -lam, x + lam, _c(x, 0)))

    def deriv(self, m, x, y):
        return m.mask((x > self.lambd) | (x < -self.lambd), x)


class PReLU(Op):
    """x if x > 0 else w * x, with w broadcast along dim 1 (or a single scalar weight)."""
    torch_name = "Prelu"

    def forward(self, x, w):
        channels = x.shape[1] if x.ndim >= 2 else 1
        if w.size != 1 and w.size != channels:
            raise RuntimeError(
                f"prelu: weight has {w.size} parameters but the input of shape "
                f"{tuple(x.shape)} has {channels} channels (dim 1; 1 for inputs with fewer "
                "than 2 dims)")
        self.save_for_backward(x, w)
        xp = self.xp
        return xp.maximum(x, 0) + xp.minimum(x, 0) * w.reshape(self._wshape(x, w))

    @staticmethod
    def _wshape(x, w):
        """Shape that broadcasts the weight along dim 1 (or everywhere for one weight)."""
        if math.prod(w.shape) == 1:
            return ()
        return (1, -1) + (1,) * (x.ndim - 2)

    def derivative(self, grad, x, w):
        """The derivative, written once: on raw arrays or on Tensors alike."""
        gx = gw = None
        pos = _mask(x > 0, x)
        if self.needs_input_grad[0]:
            wb = w.reshape(self._wshape(x, w))
            gx = grad * (pos + (1 - pos) * wb)
        if self.needs_input_grad[1]:
            contrib = grad * x * (1 - pos)
            axes = () if x.ndim == 0 else (0,) + tuple(range(2, x.ndim))
            if math.prod(w.shape) == 1:
                gw = contrib.sum().reshape(w.shape)
            else:
                gw = (contrib.sum(axes) if axes else contrib).reshape(w.shape)
        return gx, gw


# -- functional entry points (the docstrings live in ember.nn.functional) -----------
def hardtanh(x, min_val=-1.0, max_val=1.0):
    return Hardtanh.apply(x, min_val=min_val, max_val=max_val)


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return ELU.apply(x, alpha=alpha, scale=scale, input_scale=input_scale)


def gelu(x, approximate="none"):
    return GELU.apply(x, approximate=approximate)


def silu(x):
    return SiLU.apply(x)


def mish(x):
    return Mish.apply(x)


def hardsigmoid(x):
    return Hardsigmoid.apply(x)


def hardswish(x):
    return Hardswish.apply(x)


def softplus(x, beta=1.0, threshold=20.0):
    return Softplus.apply(x, beta=beta, threshold=threshold)


def softsign(x):
    return Softsign.apply(x)


def logsigmoid(x):
    return LogSigmoid.apply(x)


def tanhshrink(x):
    return Tanhshrink.apply(x)


def threshold(x, threshold, value):
    return Threshold.apply(x, threshold=threshold, value=value)


def hardshrink(x, lambd=0.5):
    return Hardshrink.apply(x, lambd=lambd)


def softshrink(x, lambd=0.5):
    return Softshrink.apply(x, lambd=lambd)


def prelu(x, weight):
    return PReLU.apply(x, weight)
