"""``ember.special``: PyTorch's ``torch.special`` (gamma-family, error-function family,
normal-distribution and entropy helpers), differentiable.

NumPy has no gamma-family functions and SciPy is not a dependency, so the kernels here
are vectorised NumPy (computed in float64, returned in the input's dtype):

* ``gammaln``: Lanczos' approximation (g = 7, 9 terms, ~1e-15 relative) for x >= 0.5,
  the reflection formula ``log(pi / |sin(pi x)|) - gammaln(1 - x)`` below.
* ``digamma`` / ``polygamma(n)``: the recurrence ``psi(x) = psi(x + 1) - 1/x`` (and its
  derivatives) shifts x to >= 20, where the asymptotic series with Bernoulli numbers
  is accurate to ~1e-16; digamma of x < 0.5 uses ``psi(1 - x) - pi / tan(pi x)``.
* ``log_ndtr``: ``log(erfc(-x/sqrt2)/2)`` (``log1p`` form for x > 0) and the asymptotic
  series of Mills' ratio for x < -30, where erfc would underflow.

Each function is one op whose derivative is the next function of the family
(``gammaln' = digamma``, ``digamma' = polygamma(1)``, ...), so any order works.

Example:
    >>> ember.special.gammaln(ember.tensor([0.5, 3.0]))   # log(sqrt(pi)), log(2)
    tensor([0.5724, 0.6931])
"""
import math

import numpy as np

from .autograd.op import Op
from .ops import elementwise as _E
from .ops._erf import erfc_array
from .ops.activation import sigmoid, softmax, log_softmax
from .ops.nn_activation import erf, erfc
from .ops.reduce import logsumexp
from .tensor import Tensor

__all__ = ["gammaln", "digamma", "psi", "polygamma", "multigammaln", "erf", "erfc", "erfcx",
           "erfinv", "expit", "logit", "xlogy", "xlog1py", "entr", "ndtr", "ndtri", "log_ndtr",
           "sinc", "exp2", "expm1", "log1p", "round", "softmax", "log_softmax", "logsumexp",
           "i0"]

_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)  # B_2..B_16
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _xp(x):
    from .backend import get_array_module
    return get_array_module(x)


def _f64(x):
    xp = _xp(x)
    return xp.asarray(x, dtype=np.float64)


def _lgamma_raw(x):
    xp = _xp(x)
    x = _f64(x)
    refl = x < 0.5
    z = xp.where(refl, 1.0 - x, x) - 1.0
    acc = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], 1):
        acc = acc + c / (z + i)
    t = z + 7.5
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = _LOG_SQRT_2PI + (z + 0.5) * xp.log(t) - t + xp.log(acc)
        s = xp.abs(xp.sin(math.pi * x))
        out = xp.where(refl, math.log(math.pi) - xp.log(s) - lg, lg)
    # poles at 0, -1, -2, ...: +inf as in PyTorch
    return xp.where((x <= 0) & (x == xp.floor(x)), np.inf, out)


def _polygamma_raw(n, x):
    """psi^(n)(x), n >= 0 (psi^(0) = digamma)."""
    xp = _xp(x)
    x = _f64(x)
    if n == 0:
        refl = x < 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = xp.where(refl, math.pi / xp.tan(math.pi * x), 0.0)
        x = xp.where(refl, 1.0 - x, x)
    sign = (-1.0) ** (n + 1)
    fact = float(math.factorial(n))
    acc = xp.zeros_like(x)
    finite = x[~xp.isnan(x)]
    lo = min(float(finite.min()), 20.0) if finite.size else 20.0
    steps = int(min(max(math.ceil(20.0 - lo), 0), 100000))
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(steps):  # shift x up to 20: psi^(n)(x) = psi^(n)(x+1) + ... 1/x^(n+1)
            small = x < 20.0
            acc = acc + xp.where(small, 1.0 / x ** (n + 1), 0.0)
            x = xp.where(small, x + 1.0, x)
        if n == 0:
            series = xp.log(x) - 0.5 / x
            for k, b in enumerate(_B2K, 1):
                series = series - b / (2 * k * x ** (2 * k))
            out = series - acc - corr
        else:
            series = math.factorial(n - 1) / x ** n + fact / (2 * x ** (n + 1))
            for k, b in enumerate(_B2K, 1):
                series = series + b * math.factorial(2 * k + n - 1) / (math.factorial(2 * k)
                                                                       * x ** (2 * k + n))
            out = sign * (series + fact * acc)
    return out


def _log_ndtr_raw(x):
    xp = _xp(x)
    x = _f64(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = xp.log1p(-0.5 * erfc_array(xp.maximum(x, 0.0) / math.sqrt(2), xp))
        neg = xp.log(0.5 * erfc_array(-xp.minimum(x, 0.0) / math.sqrt(2), xp))
        xa = xp.minimum(x, -30.0)
        r, term = xp.ones_like(xa), xp.ones_like(xa)
        for k in range(1, 8):  # Mills' ratio: 1 - 1/x^2 + 3/x^4 - 15/x^6 ...
            term = -term * (2 * k - 1) / (xa * xa)
            r = r + term
        tail = -0.5 * xa * xa - xp.log(-xa) - _LOG_SQRT_2PI + xp.log(r)
    return xp.where(x > 0, pos, xp.where(x < -30, tail, neg))


def _erfcx_raw(x):
    xp = _xp(x)
    x = _f64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        direct = xp.exp(xp.minimum(x, 25.0) ** 2) * erfc_array(xp.minimum(x, 25.0), xp)
        xa = xp.maximum(x, 25.0)
        r, term = xp.ones_like(xa), xp.ones_like(xa)
        for k in range(1, 8):
            term = -term * (2 * k - 1) / (2 * xa * xa)
            r = r + term
        tail = r / (xa * math.sqrt(math.pi))
    return xp.where(x > 25, tail, direct)


class _Unary(Op):
    """Elementwise special function: ``kernel(x)`` in float64, result in x's dtype."""

    def forward(self, x):
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        y = self.xp.asarray(self.kernel(x), dtype=x.dtype)
        self.save_for_backward(x, y)
        return y


class Lgamma(_Unary):
    def kernel(self, x):
        return _lgamma_raw(x)

    def backward(self, grad):
        x, _ = self.saved_tensors
        return grad * Polygamma.apply(x, n=0)


class Polygamma(_Unary):
    def kernel(self, x):
        return _polygamma_raw(self.n, x)

    def backward(self, grad):
        x, _ = self.saved_tensors
        return grad * Polygamma.apply(x, n=self.n + 1)


class LogNdtr(_Unary):
    def kernel(self, x):
        return _log_ndtr_raw(x)

    def backward(self, grad):
        x, y = self.saved_tensors  # d/dx log Phi(x) = phi(x) / Phi(x), in log space
        return grad * _E.exp(-0.5 * x * x - y - _LOG_SQRT_2PI)


class Erfcx(_Unary):
    def kernel(self, x):
        return _erfcx_raw(x)

    def backward(self, grad):
        x, y = self.saved_tensors
        return grad * (2 * x * y - 2 / math.sqrt(math.pi))


class Erfinv(_Unary):
    def kernel(self, x):
        return _E.erfinv(Tensor._wrap(_f64(x)))._data

    def backward(self, grad):
        _, y = self.saved_tensors
        return grad * (0.5 * math.sqrt(math.pi)) * _E.exp(y * y)


def gammaln(input):
    """``log |Gamma(x)|``, elementwise (``+inf`` at 0, -1, -2, ...); gradient ``digamma``."""
    return Lgamma.apply(input)


def digamma(input):
    """``psi(x) = d/dx log Gamma(x)``, elementwise; gradient ``polygamma(1, x)``."""
    return Polygamma.apply(input, n=0)


psi = digamma


def polygamma(n, input):
    """``n``-th derivative of ``digamma``, elementwise (``n = 0`` is ``digamma``)."""
    if int(n) != n or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n})")
    return Polygamma.apply(input, n=int(n))


def multigammaln(input, p):
    """Multivariate log-gamma of dimension ``p``: ``p(p-1)/4 log(pi) + sum_j gammaln(x - j/2)``.

    Raises:
        RuntimeError: some element is <= (p - 1) / 2 (PyTorch's condition).
    """
    if bool((input._data <= (p - 1) / 2).any()):
        raise RuntimeError(f"All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    out = p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        out = gammaln(input - j / 2) + out
    return out


def erfcx(input):
    """Scaled complementary error function ``exp(x^2) erfc(x)`` (no overflow for large x)."""
    return Erfcx.apply(input)


def erfinv(input):
    """Inverse error function on (-1, 1); gradient ``sqrt(pi)/2 exp(erfinv(x)^2)``."""
    return Erfinv.apply(input)


def expit(input):
    """The logistic sigmoid ``1 / (1 + exp(-x))`` (alias of ``ember.sigmoid``)."""
    return sigmoid(input)


def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps``, p is clamped to ``[eps, 1 - eps]`` first."""
    if eps is not None:
        input = input.clamp(eps, 1 - eps)
    return _E.log(input / (1 - input))


def xlogy(input, other):
    """``x * log(y)``, 0 where x == 0 (even when y == 0 or nan)."""
    if not isinstance(input, Tensor):
        input = Tensor._wrap(np.asarray(input, dtype=other._data.dtype))
    return _E.xlogy(input, other)


def xlog1py(input, other):
    """``x * log1p(y)``, 0 where x == 0."""
    if not isinstance(input, Tensor):
        input = Tensor._wrap(np.asarray(input, dtype=other._data.dtype))
    return _E.where(input == 0, 0.0, input * _E.log1p(other))


def entr(input):
    """Elementwise entropy term ``-x log x`` (0 at 0, ``-inf`` for x < 0)."""
    safe = _E.where(input > 0, input, 1.0)
    out = -input * _E.log(safe)
    out = _E.where(input == 0, 0.0, out)
    return _E.where(input < 0, float("-inf"), out)


def ndtr(input):
    """Standard normal CDF ``(1 + erf(x / sqrt(2))) / 2``."""
    return 0.5 * erfc(-input / math.sqrt(2))


def ndtri(input):
    """Inverse of ``ndtr`` (the standard normal quantile) on (0, 1)."""
    return math.sqrt(2) * erfinv(2 * input - 1)


def log_ndtr(input):
    """``log(ndtr(x))``, accurate for very negative x (where ndtr underflows)."""
    return LogNdtr.apply(input)


def sinc(input):
    """Normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    px = math.pi * input
    safe = _E.where(input == 0, 1.0, px)
    return _E.where(input == 0, 1.0, _E.sin(safe) / safe)


def i0(input):
    """Modified Bessel function of the first kind, order 0 (``numpy.i0``; not differentiable)."""
    return Tensor._wrap(_xp(input._data).i0(input._data).astype(input._data.dtype, copy=False))


exp2, expm1, log1p, round = _E.exp2, _E.expm1, _E.log1p, _E.round
