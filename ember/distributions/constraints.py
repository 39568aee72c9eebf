"""Constraints on distribution parameters and supports (PyTorch's ``torch.distributions.constraints``).

A constraint's ``check(value)`` returns a boolean tensor (one entry per event) saying
where ``value`` satisfies it; ``Distribution`` uses them to validate its arguments and
the values given to ``log_prob`` when ``validate_args`` is on.
"""
import numpy as np

__all__ = ["Constraint", "real", "real_vector", "positive", "nonnegative", "unit_interval",
           "simplex", "boolean", "nonnegative_integer", "positive_integer", "integer_interval",
           "interval", "half_open_interval", "greater_than", "greater_than_eq", "less_than",
           "positive_definite", "lower_cholesky", "independent", "one_hot", "dependent",
           "is_dependent"]


class Constraint:
    """A region of values; ``check(value)`` -> boolean tensor over the batch shape."""
    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """Support depends on other parameters (checked by the distribution itself)."""

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint):
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value):
        return value == value  # False only for nan


class _Interval(Constraint):
    def __init__(self, lower, upper, lower_open=False, upper_open=False):
        self.lower_bound, self.upper_bound = lower, upper
        self._lo_open, self._hi_open = lower_open, upper_open

    def check(self, value):
        lo = value > self.lower_bound if self._lo_open else value >= self.lower_bound
        hi = value < self.upper_bound if self._hi_open else value <= self.upper_bound
        return lo & hi

    def __repr__(self):
        return f"{type(self).__name__.lstrip('_')}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _GreaterThan(Constraint):
    def __init__(self, lower, strict=True):
        self.lower_bound, self._strict = lower, strict

    def check(self, value):
        return value > self.lower_bound if self._strict else value >= self.lower_bound

    def __repr__(self):
        return f"{'GreaterThan' if self._strict else 'GreaterThanEq'}(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper):
        self.upper_bound = upper

    def check(self, value):
        return value < self.upper_bound


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower, upper):
        self.lower_bound, self.upper_bound = lower, upper

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound) & (value <= self.upper_bound)


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower):
        self.lower_bound = lower

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)


class _Independent(Constraint):
    """``base`` applied elementwise, with the rightmost ``n`` dims forming one event."""

    def __init__(self, base, n):
        self.base_constraint, self.reinterpreted_batch_ndims = base, n
        self.event_dim = base.event_dim + n
        self.is_discrete = base.is_discrete

    def check(self, value):
        ok = self.base_constraint.check(value)
        for _ in range(self.reinterpreted_batch_ndims):
            ok = ok.all(-1)
        return ok


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        from ..ops.shape import tril
        lower = (tril(value) == value).all(-1).all(-1)
        return lower & (value.diagonal(0, -2, -1) > 0).all(-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        from ..tensor import Tensor
        a = value._data
        sym = np.all(np.abs(a - np.swapaxes(a, -1, -2)) <= 1e-6 * (1 + np.abs(a)), axis=(-2, -1))
        w = np.linalg.eigvalsh(a)
        return Tensor._wrap(np.asarray(sym & (w > 0).all(-1)))


dependent = _Dependent()
real = _Real()
real_vector = _Independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, strict=False)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
integer_interval = _IntegerInterval
independent = _Independent
greater_than = _GreaterThan
less_than = _LessThan


def greater_than_eq(lower):
    return _GreaterThan(lower, strict=False)


def interval(lower, upper):
    return _Interval(lower, upper)


def half_open_interval(lower, upper):
    return _Interval(lower, upper, upper_open=True)
