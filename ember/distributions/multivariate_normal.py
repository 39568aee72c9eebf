"""Multivariate normal distribution, parameterised by a covariance, precision or Cholesky factor."""
import math

import numpy as np

import ember
from .. import linalg
from . import constraints
from ._sampling import standard_normal
from .distribution import Distribution
from .utils import as_tensor_param, lazy_property

__all__ = ["MultivariateNormal"]


class MultivariateNormal(Distribution):
    """``N(loc, Sigma)`` over vectors of length ``d``.

    Args:
        loc (Tensor): mean, shape ``(*batch, d)``.
        covariance_matrix (Tensor, optional): ``Sigma``, ``(*batch, d, d)``, positive definite.
        precision_matrix (Tensor, optional): ``Sigma^-1``.
        scale_tril (Tensor, optional): lower-triangular ``L`` with ``Sigma = L L^T`` and a
            positive diagonal. Give exactly one of the three.

    Everything is computed from ``L`` (the Cholesky factor): ``rsample = loc + L eps``,
    ``log_prob`` through a solve with ``L``, ``log det Sigma = 2 sum log diag L``.
    """
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        loc = as_tensor_param(loc)
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril "
                             "may be specified.")
        matrix = as_tensor_param(given[0])
        if matrix.ndim < 2:
            raise ValueError("covariance_matrix / precision_matrix / scale_tril must be at least "
                             "two-dimensional, with optional leading batch dimensions")
        batch = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        d = loc.shape[-1]
        if tuple(matrix.shape[-2:]) != (d, d):
            raise ValueError(f"MultivariateNormal: the matrix must be {d}x{d} to match loc of shape "
                             f"{tuple(loc.shape)}, got shape {tuple(matrix.shape)}")
        if scale_tril is not None:
            self.scale_tril = matrix.expand(batch + (d, d))
        elif covariance_matrix is not None:
            self.covariance_matrix = matrix.expand(batch + (d, d))
        else:
            self.precision_matrix = matrix.expand(batch + (d, d))
        self.loc = loc.expand(batch + (d,))
        super().__init__(batch, (d,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = matrix
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = linalg.cholesky(linalg.inv(matrix))

    @lazy_property
    def scale_tril(self):
        L = self._unbroadcasted_scale_tril
        return L.expand(tuple(self._batch_shape) + tuple(L.shape[-2:]))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        cov = L @ L.transpose(-2, -1)
        return cov.expand(tuple(self._batch_shape) + tuple(cov.shape[-2:]))

    @lazy_property
    def precision_matrix(self):
        return linalg.inv(self.covariance_matrix)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        var = (self._unbroadcasted_scale_tril ** 2).sum(-1)
        return var.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return ember.log(self._unbroadcasted_scale_tril.diagonal(0, -2, -1)).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        L = self._unbroadcasted_scale_tril
        batch = np.broadcast_shapes(tuple(diff.shape[:-1]), tuple(L.shape[:-2]))
        d = self._event_shape[0]
        z = linalg.solve_triangular(L.expand(batch + (d, d)), diff.expand(batch + (d,)).unsqueeze(-1),
                                    upper=False).squeeze(-1)
        m = (z * z).sum(-1)
        return -0.5 * (d * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        d = self._event_shape[0]
        h = 0.5 * d * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape)) if len(self._batch_shape) else h

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        d = self._event_shape[0]
        return MultivariateNormal(self.loc.expand(shape + (d,)),
                                  scale_tril=self._unbroadcasted_scale_tril.expand(shape + (d, d)),
                                  validate_args=False)
