"""Poisson distribution."""
import numpy as np

import ember
from ..random import get_numpy_rng
from ..special import gammaln
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(Distribution):
    """Poisson distribution with ``rate`` (counts 0, 1, 2, ...; mean and variance ``rate``)."""
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        lam = np.broadcast_to(self.rate.detach()._data, shape)
        return Tensor._wrap(get_numpy_rng(None).poisson(lam).astype(self.rate._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = ember.broadcast_tensors(self.rate, value)
        return ember.xlogy(value, rate) - rate - gammaln(value + 1)
