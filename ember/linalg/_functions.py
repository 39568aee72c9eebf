"""The public functions of ``ember.linalg`` (PyTorch's ``torch.linalg``, name for name).

Decompositions and solvers are ops (``_decomp.py``); norms, ``pinv`` and ``lstsq`` are
composed from ember ops, so their gradients follow from those ops' gradients.
"""
import collections
import math

import numpy as np

from ..tensor import Tensor
from . import _decomp as D

__all__ = ["inv", "inv_ex", "det", "slogdet", "solve", "solve_triangular", "cholesky", "cholesky_ex", "eigh",
           "eigvalsh", "svd", "svdvals", "qr", "pinv", "lstsq", "matrix_rank", "cross",
           "norm", "vector_norm", "matrix_norm", "matmul", "vecdot", "multi_dot", "diagonal",
           "matrix_power", "logdet"]

# PyTorch's torch.return_types.* named tuples
SlogdetResult = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
EighResult = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
QRResult = collections.namedtuple("linalg_qr", ["Q", "R"])
LstsqResult = collections.namedtuple("linalg_lstsq",
                                     ["solution", "residuals", "rank", "singular_values"])
InvExResult = collections.namedtuple("linalg_inv_ex", ["inverse", "info"])
CholeskyExResult = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])



def _xp(t):
    """The array module of tensor ``t`` (numpy or cupy)."""
    from ..backend import get_array_module
    return get_array_module(t._data)

def _float_check(op, A):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{op}(): argument 'A' must be Tensor, not {type(A).__name__}")


def inv(A):
    """Inverse of a square matrix (or a batch of them).

    Args:
        A (Tensor): shape ``(*, n, n)``, floating point.

    Raises:
        LinAlgError: ``A`` is singular.

    Example:
        >>> ember.linalg.inv(ember.eye(3) * 2)
    """
    _float_check("inv", A)
    return D.Inv.apply(A)


def inv_ex(A, *, check_errors=False):
    """``inv`` that reports singular input through ``info`` (0: success) instead of raising."""
    try:
        return InvExResult(inv(A), Tensor._wrap(_xp(A).zeros(A.shape[:-2], dtype=np.int32)))
    except D.LinAlgError:
        if check_errors:
            raise
        nan = Tensor._wrap(_xp(A).full(A.shape, np.nan, dtype=A._data.dtype))
        return InvExResult(nan, Tensor._wrap(_xp(A).ones(A.shape[:-2], dtype=np.int32)))


def det(A):
    """Determinant of a square matrix, shape ``(*, n, n) -> (*)``."""
    _float_check("det", A)
    return D.Det.apply(A)


def slogdet(A):
    """Sign and log of the absolute value of the determinant: ``(sign, logabsdet)``.

    ``logabsdet`` is differentiable; ``sign`` is not (it is piecewise constant).
    """
    _float_check("slogdet", A)
    packed = D.SlogDet.apply(A)  # [..., 0]: sign, [..., 1]: log|det|
    return SlogdetResult(packed[..., 0].detach(), packed[..., 1])


def solve(A, B, *, left=True):
    """Solve ``A X = B`` (``left=False``: ``X A = B``).

    Args:
        A (Tensor): shape ``(*, n, n)``.
        B (Tensor): shape ``(*, n, k)``, or ``(*, n)`` for a vector right-hand side
            (a vector when ``B.ndim == 1`` or ``B.shape == A.shape[:-1]``, as in PyTorch).
            Batch dimensions broadcast.

    Raises:
        LinAlgError: ``A`` is singular.
    """
    _float_check("solve", A)
    if not left:
        return solve(A.transpose(-2, -1), B.transpose(-2, -1)).transpose(-2, -1)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        return D.Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    return D.Solve.apply(A, B)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """Solve ``A X = B`` (``left=False``: ``X A = B``) for triangular ``A``, reading only its
    upper (``upper=True``) or lower triangle; ``unitriangular``: its diagonal is taken as 1.

    Args:
        A (Tensor): ``(*, n, n)``.
        B (Tensor): ``(*, n, k)`` (``(*, k, n)`` when ``left=False``); batch dims broadcast.
    """
    _float_check("solve_triangular", A)
    if not left:
        return D.SolveTriangular.apply(A.transpose(-2, -1), B.transpose(-2, -1), upper=not upper,
                                       unitriangular=unitriangular).transpose(-2, -1)
    return D.SolveTriangular.apply(A, B, upper=upper, unitriangular=unitriangular)


def cholesky(A, *, upper=False):
    """Cholesky factor ``L`` (lower triangular, ``A = L L^T``) of a symmetric positive-definite
    matrix; ``upper=True`` gives ``U = L^T``.

    Raises:
        LinAlgError: ``A`` is not positive-definite.
    """
    _float_check("cholesky", A)
    return D.Cholesky.apply(A, upper=upper)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``cholesky`` that reports failure through ``info`` (0: success) instead of raising."""
    try:
        return CholeskyExResult(cholesky(A, upper=upper),
                                Tensor._wrap(_xp(A).zeros(A.shape[:-2], dtype=np.int32)))
    except D.LinAlgError:
        if check_errors:
            raise
        return CholeskyExResult(Tensor._wrap(_xp(A).zeros(A.shape, dtype=A._data.dtype)),
                                Tensor._wrap(_xp(A).ones(A.shape[:-2], dtype=np.int32)))


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix: ``(eigenvalues, eigenvectors)``.

    Only the ``UPLO`` triangle of ``A`` is read. Gradients, as in PyTorch, are only
    well defined when the eigenvalues are distinct.

    Example:
        >>> L, Q = ember.linalg.eigh(A)     # A == Q @ diag(L) @ Q.mT
    """
    _float_check("eigh", A)
    n = A.shape[-1]
    packed = D.Eigh.apply(A, uplo=UPLO, vectors_used=True)
    w, v = D.pack_split(packed, [(n,), (n, n)])
    return EighResult(w, v)


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of a symmetric matrix."""
    _float_check("eigvalsh", A)
    n = A.shape[-1]
    packed = D.Eigh.apply(A, uplo=UPLO, vectors_used=False)
    return D.pack_split(packed, [(n,), (n, n)])[0]


def svd(A, full_matrices=True, *, driver=None):
    """Singular value decomposition ``A = U diag(S) Vh``: ``(U, S, Vh)``.

    ``full_matrices=True`` (PyTorch's default) returns square ``U`` and ``Vh``; gradients
    flow only through the reduced decomposition (``full_matrices=False``), as in PyTorch,
    which refuses to differentiate the full one.
    """
    _float_check("svd", A)
    m, n = A.shape[-2], A.shape[-1]
    k = min(m, n)
    if full_matrices and m != n:
        from ..autograd.grad_mode import is_grad_enabled
        if A.requires_grad and is_grad_enabled():
            raise RuntimeError("linalg.svd: full_matrices=True is not differentiable for "
                               f"non-square A (shape {tuple(A.shape)}); use full_matrices=False")
        u, s, vh = _xp(A).linalg.svd(A._data, full_matrices=True)
        return SVDResult(*(Tensor._wrap(x.astype(A._data.dtype, copy=False)) for x in (u, s, vh)))
    packed = D.SVD.apply(A, vectors_used=True)
    return SVDResult(*D.pack_split(packed, [(m, k), (k,), (k, n)]))


def svdvals(A, *, driver=None):
    """Singular values (descending), shape ``(*, m, n) -> (*, min(m, n))``."""
    _float_check("svdvals", A)
    return D.SVDVals.apply(A)


def qr(A, mode="reduced"):
    """QR decomposition ``A = Q R``: ``(Q, R)``. ``mode``: 'reduced', 'complete' or 'r'
    (``Q`` empty). Differentiable for 'reduced' with ``m >= n``."""
    _float_check("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    m, n = A.shape[-2], A.shape[-1]
    k = min(m, n)
    qs, rs = {"reduced": ((m, k), (k, n)), "complete": ((m, m), (m, n)),
              "r": ((0, 0), (k, n))}[mode]
    packed = D.QR.apply(A, mode=mode)
    return QRResult(*D.pack_split(packed, [qs, rs]))


def _tol(S, atol, rtol, shape, dtype, hermitian=False):
    """Cut-off for 'zero' singular values: max(atol, rtol * largest), per matrix."""
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else max(shape[-2:]) * float(np.finfo(dtype).eps)
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    cut = smax * rtol
    if atol is not None:
        cut = cut.clamp(min=float(atol))
    return cut


def _as_float(v):
    return float(v._data) if isinstance(v, Tensor) else (None if v is None else float(v))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse through the SVD; singular values at or below
    ``max(atol, rtol * largest)`` count as zero (default ``rtol = max(m, n) * eps``)."""
    _float_check("pinv", A)
    U, S, Vh = svd(A, full_matrices=False)
    cut = _tol(S, _as_float(atol), _as_float(rtol), A.shape, A._data.dtype)
    keep = (S > cut).to(S.dtype)
    s_inv = keep / (S + (1 - keep))  # 1/s where kept, 0 elsewhere, no division by zero
    return (Vh.transpose(-2, -1) * s_inv.unsqueeze(-2)) @ U.transpose(-2, -1)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B``: ``(solution, residuals, rank, singular_values)``.

    Computed as ``pinv(A) @ B`` (differentiable). Like PyTorch's default CPU driver
    ('gelsy'), ``residuals`` and ``singular_values`` are empty and ``rank`` is filled in.
    """
    _float_check("lstsq", A)
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    X = pinv(A, rtol=rcond) @ b
    if vector:
        X = X.squeeze(-1)
    empty = Tensor._wrap(_xp(A).zeros((0,), dtype=A._data.dtype))
    return LstsqResult(X, empty, matrix_rank(A.detach(), rtol=rcond),
                       Tensor._wrap(_xp(A).zeros((0,), dtype=A._data.dtype)))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """Number of singular values above ``max(atol, rtol * largest)`` (int64, not differentiable)."""
    _float_check("matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0.0
    S = svdvals(A.detach())
    cut = _tol(S, _as_float(atol), _as_float(rtol), A.shape, A._data.dtype)
    return (S > cut).sum(-1)


def cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim``; batch dimensions broadcast."""
    return D.Cross.apply(input, other, dim=dim)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """Vector ``ord``-norm of ``x`` over ``dim`` (all elements when None): ``ord`` = 2, 1,
    ``inf``, ``-inf``, 0 (count of non-zeros) or any real number."""
    from ..ops.reduce import norm as _pnorm, amin
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(dim, int):
        dim = (dim,)
    if ord == 0 or ord == float("inf") or ord == 2 or ord == 1:
        return _pnorm(x, p=ord, dim=dim, keepdim=keepdim)
    if ord == float("-inf"):
        return amin(x.abs(), dim if dim is not None else (), keepdim)
    if ord < 0:
        return (x.abs() ** ord).sum(dim, keepdim) ** (1.0 / ord)
    return _pnorm(x, p=ord, dim=dim, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norm over the two dimensions ``dim``: 'fro', 'nuc', 2 / -2 (largest/smallest
    singular value), 1 / -1 (max/min column abs-sum), inf / -inf (max/min row abs-sum)."""
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions (got shape {tuple(A.shape)})")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        M = A.movedim((d0, d1), (-2, -1))
        S = svdvals(M)
        out = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, red_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
        s = A.abs().sum(sum_dim, keepdim=True)
        out = s.amax(red_dim, keepdim=True) if ord > 0 else s.amin(red_dim, keepdim=True)
        if keepdim:
            return out
        return out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` or ``matrix_norm`` as PyTorch chooses: a matrix norm when ``dim`` is a
    pair, or when ``dim`` is None, ``ord`` is given and ``A`` is 2-D; otherwise a vector
    norm (``ord=None``: the 2-norm of the flattened input)."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def logdet(A):
    """``log(det(A))``: nan where the determinant is negative, -inf where it is 0 (``torch.logdet``)."""
    sign, logabs = slogdet(A)
    from ..ops.elementwise import where
    return where(sign < 0, float("nan"), logabs)


def matmul(input, other):
    """Alias of ``ember.matmul``."""
    return input @ other


def vecdot(x, y, *, dim=-1):
    """Dot product of vectors along ``dim`` (batch dimensions broadcast)."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """Product of a list of matrices (first/last may be vectors), left to right."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """Diagonals of the matrices in ``A`` (a view)."""
    return A.diagonal(offset, dim1, dim2)


def matrix_power(A, n):
    """``A`` multiplied by itself ``n`` times (``n < 0``: powers of the inverse; ``0``: identity)."""
    from ..creation import eye
    if n == 0:
        return eye(A.shape[-1], dtype=A.dtype).expand(tuple(A.shape))
    base = inv(A) if n < 0 else A
    out = base
    for _ in range(abs(n) - 1):
        out = out @ base
    return out
