"""``Distribution``: the base class of ``ember.distributions`` (PyTorch's API).

Shapes follow PyTorch: ``sample(sample_shape)`` has shape
``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` reduces the event
dims, giving ``sample_shape + batch_shape``.

Random draws come from ember's default generator (``ember.manual_seed`` makes them
repeatable). Normal, Uniform, Laplace and MultivariateNormal draw exactly PyTorch's
numbers for the same seed; the other samplers have the same distribution but other
numbers (see ``_sampling.py``).
"""
import warnings

import numpy as np

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


def _shape(s):
    import ember
    if isinstance(s, int):
        return ember.Size((s,))
    return ember.Size(tuple(s))


class Distribution:
    """Base of all distributions.

    Args:
        batch_shape (Size): shape of the independent parameter batch.
        event_shape (Size): shape of one sample of one distribution.
        validate_args (bool, optional): check the parameters (and the values given to
            ``log_prob``) against their constraints; default ``Distribution``'s global
            switch (on, as in PyTorch; ``Distribution.set_default_validate_args(False)``).
    """
    has_rsample = False
    has_enumerate_support = False
    _validate_args = True
    arg_constraints = {}
    support = None

    @staticmethod
    def set_default_validate_args(value):
        """Switch argument validation on or off for all distributions created afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected a bool, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = _shape(batch_shape)
        self._event_shape = _shape(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                            lazy_property):
                    continue  # a parameter derived from the one given (probs from logits)
                value = getattr(self, name)
                ok = constraint.check(value)
                if not bool(ok.all()):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    # -- shapes ---------------------------------------------------------------------------
    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return _shape(tuple(_shape(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape))

    # -- the API ----------------------------------------------------------------------------
    def sample(self, sample_shape=()):
        """A sample (no gradient) of shape ``sample_shape + batch_shape + event_shape``."""
        import ember
        with ember.no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()):
        """A reparameterised sample: differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample "
                                  "(it has no reparameterised sampler; use sample())")

    def sample_n(self, n):
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning)
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        import ember
        return ember.exp(self.entropy())

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None):
        """The same distribution with its parameters expanded to ``batch_shape``."""
        batch_shape = _shape(batch_shape)
        params = {}
        for name in self.arg_constraints:
            if name in self.__dict__:
                p = self.__dict__[name]
                ev = tuple(p.shape[len(self._batch_shape):])
                params[name] = p.expand(tuple(batch_shape) + ev)
        return type(self)(**params, validate_args=False)

    # -- validation ----------------------------------------------------------------------
    def _validate_sample(self, value):
        from ..tensor import Tensor
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim = len(self._event_shape)
        if tuple(value.shape[len(value.shape) - event_dim:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {tuple(self._event_shape)}.")
        try:
            np.broadcast_shapes(tuple(value.shape), tuple(self._batch_shape) + tuple(self._event_shape))
        except ValueError:
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                             f"{tuple(value.shape)} vs "
                             f"{tuple(self._batch_shape) + tuple(self._event_shape)}.") from None
        support = self.support
        if support is None or constraints.is_dependent(support):
            return
        ok = support.check(value)
        if not bool(ok.all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support ({support!r}) of "
                             f"the distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {self.__dict__[k] if self.__dict__[k].numel() == 1 else self.__dict__[k].size()}"
                         for k in names)
        return f"{type(self).__name__}({args})"
