"""Normal, Laplace and Exponential: location/scale families with reparameterised samplers."""
import math

import ember
from . import constraints
from ._sampling import eps, standard_normal, uniform
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Normal", "Laplace", "Exponential"]


class Normal(Distribution):
    """Normal distribution ``N(loc, scale^2)``.

    Args:
        loc (float or Tensor): mean.
        scale (float or Tensor): standard deviation (> 0).

    Example:
        >>> m = ember.distributions.Normal(ember.tensor([0.0]), ember.tensor([1.0]))
        >>> x = m.rsample()             # differentiable in loc and scale
        >>> m.log_prob(x)
    """
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def rsample(self, sample_shape=()):
        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (-((value - self.loc) ** 2) / (2 * self.variance) - ember.log(self.scale)
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value):
        return 0.5 * (1 + ember.erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value):
        from ..special import erfinv
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + ember.log(self.scale)


class Laplace(Distribution):
    """Laplace distribution with density ``exp(-|x - loc| / scale) / (2 scale)``."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale ** 2

    def rsample(self, sample_shape=()):
        u = uniform(self._extended_shape(sample_shape), self.loc, eps(self.loc) - 1, 1.0)
        return self.loc - self.scale * u.sign() * ember.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -ember.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def entropy(self):
        return 1 + ember.log(2 * self.scale)


class Exponential(Distribution):
    """Exponential distribution with ``rate`` (density ``rate * exp(-rate x)``, x >= 0)."""
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return ember.zeros_like(self.rate)

    @property
    def variance(self):
        return self.rate ** -2

    def rsample(self, sample_shape=()):
        u = uniform(self._extended_shape(sample_shape), self.rate)
        return -ember.log1p(-u) / self.rate  # 1 - u is in (0, 1]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ember.log(self.rate) - self.rate * value

    def cdf(self, value):
        return 1 - ember.exp(-self.rate * value)

    def entropy(self):
        return 1.0 - ember.log(self.rate)
