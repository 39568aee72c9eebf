"""Gamma distribution, with a reparameterised sampler (implicit gradient).

``rsample`` draws ``z ~ Gamma(alpha, 1)`` with NumPy and differentiates it through the
implicit function theorem: with ``P(alpha, z)`` the CDF (the regularised lower
incomplete gamma function) held fixed at the drawn quantile,
``dz/dalpha = -(dP/dalpha) / (dP/dz)``, where ``dP/dz`` is the density and ``dP/dalpha``
is a central difference of ``P`` (series / continued fraction in float64, ~1e-10
relative). This is the same gradient PyTorch's ``_standard_gamma_grad`` approximates.
"""
import numpy as np

import ember
from ..autograd.op import Op
from ..random import get_numpy_rng
from ..special import _lgamma_raw, digamma, gammaln
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Gamma", "standard_gamma", "regularized_gamma_p", "standard_gamma_grad"]


def regularized_gamma_p(a, x, iters=500):
    """P(a, x) = gamma(a, x) / Gamma(a) for float64 arrays (a > 0, x >= 0)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        logpre = -x + a * np.log(np.where(x > 0, x, 1.0)) - _lgamma_raw(a)
        # series (good for x < a + 1): P = x^a e^-x / Gamma(a+1) * sum x^n / ((a+1)..(a+n))
        term = np.ones_like(a)
        total = np.ones_like(a)
        for n in range(1, iters):
            term = term * x / (a + n)
            total = total + term
            if n % 16 == 0 and not np.any(term[x < a + 1] > 1e-17 * total[x < a + 1]):
                break  # converged where the series is used
        series = np.exp(logpre - np.log(a)) * total
        # continued fraction for Q = 1 - P (x >= a + 1), modified Lentz
        tiny = 1e-300
        b = x + 1 - a
        c = np.full_like(a, 1 / tiny)
        d = 1 / np.where(b == 0, tiny, b)
        h = d.copy()
        for i in range(1, iters // 2):
            an = -i * (i - a)
            b = b + 2
            d = an * d + b
            d = 1 / np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            delta = d * c
            h = h * delta
            if i % 8 == 0 and not np.any(np.abs(delta[x >= a + 1] - 1) > 1e-16):
                break
        cf = 1 - np.exp(logpre) * h
    out = np.where(x < a + 1, series, cf)
    return np.where(x <= 0, 0.0, np.clip(out, 0.0, 1.0))


def standard_gamma_grad(alpha, z):
    """dz/dalpha of a Gamma(alpha, 1) draw z at a fixed CDF level (float64 arrays)."""
    alpha = np.asarray(alpha, np.float64)
    z = np.asarray(z, np.float64)
    h = 1e-5 * np.maximum(alpha, 1.0)
    h = np.minimum(h, 0.5 * alpha)
    dp = (regularized_gamma_p(alpha + h, z) - regularized_gamma_p(alpha - h, z)) / (2 * h)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logpdf = (alpha - 1) * np.log(z) - z - _lgamma_raw(alpha)
        g = -dp / np.exp(logpdf)
    return np.where(np.isfinite(g), g, 0.0)


class StandardGamma(Op):
    """z ~ Gamma(alpha, 1), one draw per element of alpha; gradient dz/dalpha (implicit)."""

    def forward(self, alpha):
        z = get_numpy_rng(None).standard_gamma(alpha.astype(np.float64))
        tiny = float(np.finfo(alpha.dtype).tiny)
        z = np.maximum(z, tiny).astype(alpha.dtype)  # PyTorch clamps zero draws to tiny too
        self.save_for_backward(alpha, z)
        return z

    def backward(self, grad):
        alpha, z = self.saved_tensors
        dz = standard_gamma_grad(alpha._data, z._data).astype(alpha._data.dtype)
        return grad * Tensor._wrap(dz)


def standard_gamma(alpha):
    """One reparameterised Gamma(alpha, 1) draw per element of ``alpha`` (differentiable)."""
    return StandardGamma.apply(alpha)


class Gamma(Distribution):
    """Gamma distribution with ``concentration`` (shape, alpha) and ``rate`` (beta):
    density ``beta^alpha x^(alpha-1) exp(-beta x) / Gamma(alpha)``.

    Example:
        >>> g = ember.distributions.Gamma(ember.tensor([2.0]), ember.tensor([3.0]))
        >>> g.rsample((5,))     # differentiable in concentration and rate
    """
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return ember.xlogy(a, b) + ember.xlogy(a - 1, value) - b * value - gammaln(a)

    def cdf(self, value):
        p = regularized_gamma_p(self.concentration.detach()._data, (self.rate * value).detach()._data)
        return Tensor._wrap(p.astype(value._data.dtype))

    def entropy(self):
        a = self.concentration
        return a - ember.log(self.rate) + gammaln(a) + (1.0 - a) * digamma(a)
