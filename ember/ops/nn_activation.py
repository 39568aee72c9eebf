"""Fused activation ops of ``ember.nn`` (beyond the core's relu/sigmoid/tanh/softmax).

Each activation is ONE op: the forward is a few NumPy calls on the raw array and the
backward multiplies the incoming gradient by the derivative, computed on raw arrays.
When the engine runs backward with ``create_graph=True`` (double backward, e.g. a
gradient penalty) the derivative is instead composed from ember ops so that it is
itself differentiable.
"""
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import STATE
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


class _Activation(Function):
    """Elementwise activation. Subclasses define ``fwd(xp, x)``, ``deriv_raw(xp, x, y)``
    (dy/dx on raw arrays) and ``deriv_graph(x, y)`` (the same with ember ops)."""

    def forward(self, x):
        if x.dtype.kind != "f":
            raise TypeError(f"{self.op_name}: expected a floating point tensor, got dtype "
                            f"{x.dtype}")
        y = self.fwd(self.xp, x)
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        if STATE.enabled:  # create_graph: build a differentiable derivative
            return grad * self.deriv_graph(x, y)
        return Tensor._wrap(grad._data * self.deriv_raw(self.xp, x._data, y._data))


class Erf(_Activation):
    op_name = "erf"

    def fwd(self, xp, x):
        return erf_array(x, xp)

    def deriv_raw(self, xp, x, y):
        return xp.exp(-(x * x)) * _c(x, _TWO_OVER_SQRT_PI)

    def deriv_graph(self, x, y):
        return (-(x * x)).exp() * _TWO_OVER_SQRT_PI


class Erfc(Erf):
    op_name = "erfc"

    def fwd(self, xp, x):
        return erfc_array(x, xp)

    def deriv_raw(self, xp, x, y):
        return xp.exp(-(x * x)) * _c(x, -_TWO_OVER_SQRT_PI)

    def deriv_graph(self, x, y):
        return (-(x * x)).exp() * -_TWO_OVER_SQRT_PI


def erf(input):
    """Error function, accurate to ~1 ulp in float64 (differentiable, also twice).

    Example:
        >>> ember.ops.nn_activation.erf(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8427])
    """
    return Erf.apply(input)


def erfc(input):
    """Complementary error function ``1 - erf(x)``, accurate in the tails (no cancellation)."""
    return Erfc.apply(input)


class Hardtanh(_Activation):
    op_name = "hardtanh"

    def fwd(self, xp, x):
        return xp.clip(x, _c(x, self.min_val), _c(x, self.max_val))

    def deriv_raw(self, xp, x, y):
        return _mask((x > self.min_val) & (x < self.max_val), x)

    def deriv_graph(self, x, y):
        return _mask((x > self.min_val) & (x < self.max_val), x)


class LeakyReLU(_Activation):
    op_name = "leaky_relu"

    def fwd(self, xp, x):
        return xp.maximum(x, 0) + xp.minimum(x, 0) * _c(x, self.negative_slope)

    def deriv_raw(self, xp, x, y):
        s = self.negative_slope
        return _mask(x > 0, x) * _c(x, 1 - s) + _c(x, s)

    def deriv_graph(self, x, y):
        s = self.negative_slope
        return _mask(x > 0, x) * (1 - s) + s


class ELU(_Activation):
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)): elu, selu, celu."""
    op_name = "elu"

    def fwd(self, xp, x):
        y = xp.expm1(xp.minimum(x, 0) * _c(x, self.input_scale)) * _c(x, self.alpha)
        y += xp.maximum(x, 0)
        if self.scale != 1:
            y *= _c(x, self.scale)
        return y

    def deriv_raw(self, xp, x, y):
        k = self.scale * self.alpha * self.input_scale
        d = xp.exp(xp.minimum(x, 0) * _c(x, self.input_scale)) * _c(x, k)
        d += _mask(x > 0, x) * (_c(x, self.scale) - d)
        return d

    def deriv_graph(self, x, y):
        k = self.scale * self.alpha * self.input_scale
        m = _mask(x > 0, x)
        neg = (x.clamp(max=0) * self.input_scale).exp() * k
        return m * self.scale + (1 - m) * neg


class GELU(_Activation):
    op_name = "gelu"

    def fwd(self, xp, x):
        if self.approximate == "tanh":
            inner = (x + _c(x, 0.044715) * x * x * x) * _c(x, _SQRT_2_OVER_PI)
            return x * (xp.tanh(inner) + 1) * _c(x, 0.5)
        cdf = erfc_array(x * _c(x, -_INV_SQRT_2), xp)
        cdf *= _c(x, 0.5)
        if self.needs_input_grad[0]:
            self.cdf = cdf  # reused by backward: erfc is the costly part
        return x * cdf

    def deriv_raw(self, xp, x, y):
        if self.approximate == "tanh":
            x2 = x * x
            t = xp.tanh((x + _c(x, 0.044715) * x2 * x) * _c(x, _SQRT_2_OVER_PI))
            dinner = (x2 * _c(x, 3 * 0.044715) + 1) * _c(x, _SQRT_2_OVER_PI)
            return ((t + 1) + x * (1 - t * t) * dinner) * _c(x, 0.5)
        cdf = getattr(self, "cdf", None)
        if cdf is None:
            cdf = erfc_array(x * _c(x, -_INV_SQRT_2), xp) * _c(x, 0.5)
        pdf = xp.exp(x * x * _c(x, -0.5)) * _c(x, _INV_SQRT_2PI)
        return cdf + x * pdf

    def deriv_graph(self, x, y):
        if self.approximate == "tanh":
            x2 = x * x
            t = ((x + 0.044715 * x2 * x) * _SQRT_2_OVER_PI).tanh()
            dinner = (x2 * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
            return ((t + 1) + x * (1 - t * t) * dinner) * 0.5
        cdf = erfc(x * -_INV_SQRT_2) * 0.5
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return cdf + x * pdf


class SiLU(_Activation):
    op_name = "silu"

    def fwd(self, xp, x):
        return x * _sigmoid_raw(xp, x)

    def deriv_raw(self, xp, x, y):
        s = _sigmoid_raw(xp, x)
        return s * (x * (1 - s) + 1)

    def deriv_graph(self, x, y):
        s = x.sigmoid()
        return s * (x * (1 - s) + 1)


class Mish(_Activation):
    op_name = "mish"

    def fwd(self, xp, x):
        return x * xp.tanh(_softplus_raw(xp, x))

    def deriv_raw(self, xp, x, y):
        t = xp.tanh(_softplus_raw(xp, x))
        return t + x * _sigmoid_raw(xp, x) * (1 - t * t)

    def deriv_graph(self, x, y):
        t = softplus(x).tanh()
        return t + x * x.sigmoid() * (1 - t * t)


class Hardsigmoid(_Activation):
    op_name = "hardsigmoid"

    def fwd(self, xp, x):
        return xp.clip(x * _c(x, 1 / 6) + _c(x, 0.5), _c(x, 0), _c(x, 1))

    def deriv_raw(self, xp, x, y):
        return _mask((x > -3) & (x < 3), x) * _c(x, 1 / 6)

    def deriv_graph(self, x, y):
        return _mask((x > -3) & (x < 3), x) * (1 / 6)


class Hardswish(_Activation):
    op_name = "hardswish"

    def fwd(self, xp, x):
        return x * xp.clip(x + _c(x, 3), _c(x, 0), _c(x, 6)) * _c(x, 1 / 6)

    def deriv_raw(self, xp, x, y):
        mid = x * _c(x, 1 / 3) + _c(x, 0.5)
        mid *= _mask((x >= -3) & (x <= 3), x)
        mid += _mask(x > 3, x)
        return mid

    def deriv_graph(self, x, y):
        lo, hi = _mask(x < -3, x), _mask(x > 3, x)
        mid = 1 - lo - hi
        return mid * (x * (1 / 3) + 0.5) + hi


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

    def deriv_raw(self, xp, x, y):
        bx = x * _c(x, self.beta)
        s = _sigmoid_raw(xp, bx)
        s += _mask(bx > self.threshold, x) * (1 - s)
        return s

    def deriv_graph(self, x, y):
        bx = x * self.beta
        m = _mask(bx > self.threshold, x)
        return m + (1 - m) * bx.sigmoid()


class Softsign(_Activation):
    op_name = "softsign"

    def fwd(self, xp, x):
        return x / (xp.abs(x) + 1)

    def deriv_raw(self, xp, x, y):
        d = xp.abs(x) + 1
        return 1 / (d * d)

    def deriv_graph(self, x, y):
        d = x.abs() + 1
        return 1 / (d * d)


class LogSigmoid(_Activation):
    op_name = "logsigmoid"

    def fwd(self, xp, x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def deriv_raw(self, xp, x, y):
        return _sigmoid_raw(xp, -x)

    def deriv_graph(self, x, y):
        return (-x).sigmoid()


class Tanhshrink(_Activation):
    op_name = "tanhshrink"

    def fwd(self, xp, x):
        return x - xp.tanh(x)

    def deriv_raw(self, xp, x, y):
        t = xp.tanh(x)
        return t * t

    def deriv_graph(self, x, y):
        t = x.tanh()
        return t * t


class Threshold(_Activation):
    op_name = "threshold"

    def fwd(self, xp, x):
        return xp.where(x > self.threshold, x, _c(x, self.value))

    def deriv_raw(self, xp, x, y):
        return _mask(x > self.threshold, x)

    def deriv_graph(self, x, y):
        return _mask(x > self.threshold, x)


class Hardshrink(_Activation):
    op_name = "hardshrink"

    def fwd(self, xp, x):
        return xp.where((x > self.lambd) | (x < -self.lambd), x, _c(x, 0))

    def deriv_raw(self, xp, x, y):
        return _mask((x > self.lambd) | (x < -self.lambd), x)

    def deriv_graph(self, x, y):
        return _mask((x > self.lambd) | (x < -self.lambd), x)


class Softshrink(_Activation):
    op_name = "softshrink"

    def fwd(self, xp, x):
        lam = _c(x, self.lambd)
        return xp.where(x > lam, x - lam, xp.where(x < -lam, x + lam, _c(x, 0)))

    def deriv_raw(self, xp, x, y):
        return _mask((x > self.lambd) | (x < -self.lambd), x)

    def deriv_graph(self, x, y):
        return _mask((x > self.lambd) | (x < -self.lambd), x)


class PReLU(Function):
    """x if x > 0 else w * x, with w broadcast along dim 1 (or a single scalar weight)."""

    def forward(self, x, w):
        channels = x.shape[1] if x.ndim >= 2 else 1
        if w.size != 1 and w.size != channels:
            raise RuntimeError(
                f"prelu: weight has {w.size} parameters but the input of shape "
                f"{tuple(x.shape)} has {channels} channels (dim 1; 1 for inputs with fewer "
                "than 2 dims)")
        wb = self._wshape(x, w)
        self.save_for_backward(x, w)
        xp = self.xp
        return xp.maximum(x, 0) + xp.minimum(x, 0) * wb

    @staticmethod
    def _wshape(x, w):
        if w.size == 1:
            return w.reshape(())
        return w.reshape((1, -1) + (1,) * (x.ndim - 2))

    def backward(self, grad):
        x, w = self.saved_tensors
        gx = gw = None
        if STATE.enabled:
            pos = _mask(x > 0, x)
            wb = w.reshape(self._wshape(x._data, w._data).shape)
            if self.needs_input_grad[0]:
                gx = grad * (pos + (1 - pos) * wb)
            if self.needs_input_grad[1]:
                gw = _sum_to_weight(grad * x * (1 - pos), w)
            return gx, gw
        xp = self.xp
        X, W, G = x._data, w._data, grad._data
        if self.needs_input_grad[0]:
            wb = self._wshape(X, W)
            gx = Tensor._wrap(G * (wb + _mask(X > 0, X) * (1 - wb)))
        if self.needs_input_grad[1]:
            contrib = G * xp.minimum(X, 0)
            if W.size == 1:
                gw = contrib.sum().reshape(W.shape)
            else:
                axes = (0,) + tuple(range(2, X.ndim))
                gw = contrib.sum(axis=axes).reshape(W.shape)
            gw = Tensor._wrap(gw)
        return gx, gw


def _sum_to_weight(t, w):
    if w.numel() == 1:
        return t.sum().reshape(tuple(w.shape))
    dims = [0] + list(range(2, t.dim()))
    return t.sum(dim=dims).reshape(tuple(w.shape))


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
