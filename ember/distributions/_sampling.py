"""Raw draws for the samplers, from ember's default generator.

``ember.randn`` / ``ember.rand`` follow PyTorch's CPU stream, and the samplers use them
the way torch.distributions does, so Normal, Uniform, Laplace and MultivariateNormal
draws equal PyTorch's for the same seed. Other samplers (Gamma family, Categorical,
Bernoulli, Poisson, Exponential) draw from the same generator through other routes:
same distribution, different numbers than PyTorch's.
"""
import numpy as np

import ember


def standard_normal(shape, like):
    """N(0, 1) draws of ``shape`` in ``like``'s dtype."""
    return ember.randn(tuple(shape), dtype=like.dtype)


def uniform(shape, like, low=0.0, high=1.0):
    """Uniform draws on [low, high) in ``like``'s dtype."""
    u = ember.rand(tuple(shape), dtype=like.dtype)
    return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


def eps(like):
    return float(np.finfo(like._data.dtype).eps)
