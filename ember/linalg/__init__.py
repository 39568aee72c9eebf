"""``ember.linalg``: PyTorch's ``torch.linalg`` (decompositions, solvers, norms) on NumPy's LAPACK.

Every function takes batches of matrices (``(*, m, n)``) and is differentiable where
PyTorch's is; decompositions are ops whose backward is written in ember ops
(``_decomp.py``), the rest is composed from ops (``_functions.py``). Singular or
non-positive-definite input raises ``ember.linalg.LinAlgError`` (a ``RuntimeError``).

Example:
    >>> import ember
    >>> A = ember.randn(3, 3, dtype=ember.float64)
    >>> x = ember.linalg.solve(A, ember.ones(3, dtype=ember.float64))
"""
from ._decomp import LinAlgError
from ._functions import *  # noqa: F401,F403
from ._functions import __all__ as _fn_all

__all__ = ["LinAlgError"] + list(_fn_all)
