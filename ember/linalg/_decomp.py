"""Matrix decompositions and solvers of ``ember.linalg`` as ops.

Each op is one ``Op``: the forward calls NumPy's LAPACK wrappers on the raw
arrays, the backward is written in ember ops (so second derivatives work). Ops with
several outputs (``eigh``, ``svd``, ``qr``) return ONE packed array -- every output
flattened over its matrix dimensions and concatenated along the last axis -- and the
public function slices it into the outputs with differentiable views; the backward
receives the gradient of the packed array and splits it again. An output the loss does
not use gets a zero gradient there, which every formula below handles.

Formulas (real matrices; ``A^-T`` is the inverse transpose):

* inv:      gA = -Y^T g Y^T  with Y = A^-1
* det:      gA = g det(A) A^-T;  slogdet (logabsdet): gA = g A^-T
* solve:    gB = A^-T g,  gA = -gB X^T  with X = A^-1 B
* cholesky: gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle, diagonal halved
* eigh:     gA = Q (diag(gL) + skew(Q^T gQ) / E) Q^T,  E_ij = L_j - L_i
* svd:      Townsend's formula, "Differentiating the singular value decomposition" (2016)
* qr:       m >= n, reduced:  gA = [gQ + Q copyltu(M)] R^-T,  M = R gR^T - gQ^T Q
"""
import numpy as np

from ..autograd.op import Op
from ..ops.elementwise import unbroadcast

__all__ = ["LinAlgError", "Inv", "Det", "SlogDet", "Solve", "SolveTriangular", "Cholesky", "Eigh", "SVD",
           "SVDVals", "QR", "Cross", "pack_split"]


class LinAlgError(RuntimeError):
    """A matrix was singular or not positive definite (PyTorch's ``torch.linalg.LinAlgError``,
    a subclass of ``RuntimeError``)."""


def _check_square(op, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2] if a.ndim >= 2 else a.shape} by "
                           f"{a.shape[-1] if a.ndim else ()} matrices (shape {tuple(a.shape)})")


def _check_float(op, a):
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.{op}: Expected a floating point tensor as input. Got {a.dtype}")


def _mT(t):
    return t.transpose(-2, -1)


def _diag_embed(v):
    from ..ops.shape import diag_embed
    return diag_embed(v)


def pack(*arrays, batch_ndim):
    """Flatten each array's trailing dims and concatenate along the last axis."""
    from ..backend import get_array_module
    flat = [a.reshape(a.shape[:batch_ndim] + (-1,)) for a in arrays]
    return get_array_module(flat[0]).concatenate(flat, axis=-1)


def pack_split(packed, shapes):
    """Split a packed Tensor back into Tensors of the trailing ``shapes`` (differentiable)."""
    out, start = [], 0
    batch = tuple(packed.shape[:-1])
    for s in shapes:
        n = int(np.prod(s, dtype=np.int64))
        out.append(packed[..., start:start + n].reshape(batch + tuple(s)))
        start += n
    return out


class Inv(Op):
    def forward(self, a):
        _check_float("inv", a)
        _check_square("inv", a)
        try:
            y = self.xp.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.inv: The diagonal element is zero, the inversion could not be "
                              f"completed because the input matrix (shape {tuple(a.shape)}) is "
                              "singular.") from None
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        yt = _mT(y)
        return -(yt @ grad @ yt)


class Det(Op):
    def forward(self, a):
        _check_float("det", a)
        _check_square("det", a)
        d = self.xp.asarray(self.xp.linalg.det(a), dtype=a.dtype)
        self.save_for_backward(a, d)
        return d

    def backward(self, grad):
        a, d = self.saved_tensors
        # A^-T via solve keeps this differentiable; singular A has no finite inverse
        inv_t = _mT(Inv.apply(a))
        return (grad * d)[..., None, None] * inv_t


class SlogDet(Op):
    """Packed [sign, log|det A|] along a new last axis; only log|det| is differentiable."""

    def forward(self, a):
        _check_float("slogdet", a)
        _check_square("slogdet", a)
        sign, logdet = self.xp.linalg.slogdet(a)
        self.save_for_backward(a)
        return self.xp.stack([sign, logdet], axis=-1).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad[..., 1, None, None] * _mT(Inv.apply(a))


class Solve(Op):
    """X = A^-1 B for matrix B (..., n, k); batch dims broadcast."""

    def forward(self, a, b):
        _check_float("solve", a)
        _check_square("solve", a)
        if a.dtype != b.dtype:
            raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                               f"A of type {a.dtype} and B of type {b.dtype} instead")
        if b.shape[-2] != a.shape[-1]:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                               f"AX = B ({a.shape[-2]}x{a.shape[-1]} and "
                               f"{b.shape[-2]}x{b.shape[-1]})")
        self.b_shape = b.shape
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        try:
            x = self.xp.linalg.solve(self.xp.broadcast_to(a, batch + a.shape[-2:]),
                                self.xp.broadcast_to(b, batch + b.shape[-2:]))
        except np.linalg.LinAlgError:
            raise LinAlgError(f"linalg.solve: The solver failed because the input matrix A "
                              f"(shape {tuple(a.shape)}) is singular.") from None
        self.save_for_backward(a, x)
        return x

    def backward(self, grad):
        a, x = self.saved_tensors
        gb = Solve.apply(_mT(a), grad)
        ga = -(gb @ _mT(x)) if self.needs_input_grad[0] else None
        return (unbroadcast(ga, a._data.shape) if ga is not None else None,
                unbroadcast(gb, self.b_shape) if self.needs_input_grad[1] else None)


class SolveTriangular(Op):
    """X = A^-1 B reading only A's lower (``upper=False``) or upper triangle; the gradient
    of A is confined to that triangle, as in PyTorch."""

    def forward(self, a, b):
        _check_float("solve_triangular", a)
        _check_square("solve_triangular", a)
        if a.dtype != b.dtype or b.ndim < 2 or b.shape[-2] != a.shape[-1]:
            raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes or dtypes of A and B "
                               f"for the equation AX = B (A {tuple(a.shape)} {a.dtype}, "
                               f"B {tuple(b.shape)} {b.dtype})")
        tri = self.xp.triu(a) if self.upper else self.xp.tril(a)
        if self.unitriangular:
            n = a.shape[-1]
            tri = tri * (1 - self.xp.eye(n, dtype=a.dtype)) + self.xp.eye(n, dtype=a.dtype)
        self.b_shape = b.shape
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                x = self.xp.linalg.solve(self.xp.broadcast_to(tri, batch + a.shape[-2:]),
                                    self.xp.broadcast_to(b, batch + b.shape[-2:]))
            except np.linalg.LinAlgError:  # a zero on the diagonal: PyTorch gives inf/nan too
                x = self.xp.full(batch + b.shape[-2:], np.nan, dtype=b.dtype)
        self.save_for_backward(a, x)
        return x

    def backward(self, grad):
        from ..ops.shape import tril, triu
        a, x = self.saved_tensors
        gb = SolveTriangular.apply(_mT(a), grad, upper=not self.upper,
                                   unitriangular=self.unitriangular)
        ga = None
        if self.needs_input_grad[0]:
            full = -(gb @ _mT(x))
            ga = triu(full, 1 if self.unitriangular else 0) if self.upper else \
                tril(full, -1 if self.unitriangular else 0)
            ga = unbroadcast(ga, a._data.shape)
        return ga, (unbroadcast(gb, self.b_shape) if self.needs_input_grad[1] else None)


class Cholesky(Op):
    def forward(self, a):
        _check_float("cholesky", a)
        _check_square("cholesky", a)
        try:
            lower = self.xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"linalg.cholesky: The factorization could not be completed because "
                              f"the input (shape {tuple(a.shape)}) is not positive-definite.") from None
        if self.upper:
            lower = self.xp.ascontiguousarray(self.xp.swapaxes(lower, -1, -2))
        self.save_for_backward(lower)
        return lower

    def backward(self, grad):
        from ..ops.shape import tril
        (l_,) = self.saved_tensors
        if self.upper:  # U = L^T: work with L
            l_, grad = _mT(l_), _mT(grad)
        phi = tril(_mT(l_) @ grad)
        phi = phi - 0.5 * _diag_embed(phi.diagonal(0, -2, -1))
        # L^-T phi L^-1 through two triangular solves (written as general solves)
        s = Solve.apply(_mT(l_), phi)
        g = _mT(Solve.apply(_mT(l_), _mT(s)))
        return 0.5 * (g + _mT(g))


class Eigh(Op):
    """Packed [eigenvalues (n) | eigenvectors (n*n)] of a symmetric matrix."""

    def forward(self, a):
        _check_float("eigh", a)
        _check_square("eigh", a)
        try:
            w, v = self.xp.linalg.eigh(a, UPLO=self.uplo)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input "
                              "matrix is ill-conditioned or has too many repeated eigenvalues") from None
        out = pack(w, v, batch_ndim=a.ndim - 2)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved_tensors
        n = int(round((-1 + (1 + 4 * out.shape[-1]) ** 0.5) / 2))
        w, v = pack_split(out, [(n,), (n, n)])
        gw, gv = pack_split(grad, [(n,), (n, n)])
        inner = _diag_embed(gw)
        if self.vectors_used:
            om = _mT(v) @ gv
            e = w[..., None, :] - w[..., :, None]
            e = e + _diag_embed(w.new_ones(w.shape) * np.inf)  # diagonal: 1/inf = 0
            inner = inner + 0.5 * (om - _mT(om)) / e
        return v @ inner @ _mT(v)


class SVD(Op):
    """Packed [U (m*k) | S (k) | Vh (k*n)] of the reduced SVD (k = min(m, n))."""

    def forward(self, a):
        _check_float("svd", a)
        if a.ndim < 2:
            raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions "
                               f"(got shape {tuple(a.shape)})")
        try:
            u, s, vh = self.xp.linalg.svd(a, full_matrices=False)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.svd: The algorithm failed to converge") from None
        self.dims = (a.shape[-2], a.shape[-1], s.shape[-1])
        out = pack(u, s, vh, batch_ndim=a.ndim - 2)
        self.save_for_backward(out)
        return out.astype(a.dtype, copy=False)

    def backward(self, grad):
        m, n, k = self.dims
        (out,) = self.saved_tensors
        u, s, vh = pack_split(out, [(m, k), (k,), (k, n)])
        gu, gs, gvh = pack_split(grad, [(m, k), (k,), (k, n)])
        v, gv = _mT(vh), _mT(gvh)
        core = _diag_embed(gs)
        if self.vectors_used:
            s2 = s * s
            f = s2[..., None, :] - s2[..., :, None]            # F_ij = s_j^2 - s_i^2
            f = f + _diag_embed(s.new_ones(s.shape) * np.inf)
            j = _mT(u) @ gu
            kk = _mT(v) @ gv
            sm = _diag_embed(s)
            core = core + ((j - _mT(j)) / f) @ sm + sm @ ((kk - _mT(kk)) / f)
            s_inv = _diag_embed(1.0 / s)
            ga = u @ core @ vh
            if m > k:  # the part of gU outside U's column space
                ga = ga + (gu - u @ (_mT(u) @ gu)) @ s_inv @ vh
            if n > k:
                ga = ga + u @ s_inv @ _mT(gv - v @ (_mT(v) @ gv))
            return ga
        return u @ core @ vh


class SVDVals(Op):
    def forward(self, a):
        _check_float("svdvals", a)
        u, s, vh = self.xp.linalg.svd(a, full_matrices=False)
        self.save_for_backward(u, vh)
        return s.astype(a.dtype, copy=False)

    def backward(self, grad):
        u, vh = self.saved_tensors
        return u @ _diag_embed(grad) @ vh


class QR(Op):
    """Packed [Q (m*k) | R (k*n)] of the reduced QR (k = min(m, n)); backward for m >= n."""

    def forward(self, a):
        _check_float("qr", a)
        q, r = self.xp.linalg.qr(a, mode="reduced" if self.mode == "reduced" else self.mode)
        if self.mode == "r":
            q = self.xp.zeros(a.shape[:-2] + (0, 0), dtype=a.dtype)
        self.dims = (q.shape[-2:], r.shape[-2:])
        out = pack(q, r, batch_ndim=a.ndim - 2)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        from ..ops.shape import tril
        qs, rs = self.dims
        m, n = qs[0], rs[1]
        if self.mode != "reduced" or m < n:
            raise NotImplementedError("linalg.qr: the derivative is implemented for mode='reduced' "
                                      f"with m >= n only (got A of {m}x{n}, mode={self.mode!r})")
        (out,) = self.saved_tensors
        q, r = pack_split(out, [qs, rs])
        gq, gr = pack_split(grad, [qs, rs])
        # gA = [gQ + Q copyltu(M)] R^-T,  M = R gR^T - gQ^T Q,
        # copyltu(M) = tril(M) + tril(M, -1)^T (the symmetric matrix with M's lower triangle)
        mm = r @ _mT(gr) - _mT(gq) @ q
        low = tril(mm, -1)
        sym = low + _mT(low) + _diag_embed(mm.diagonal(0, -2, -1))
        b = gq + q @ sym
        return _mT(Solve.apply(r, _mT(b)))   # b R^-T


class Cross(Op):
    def forward(self, a, b):
        if a.shape[self.dim] != 3 or b.shape[self.dim] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {self.dim} must have length 3. "
                               f"Got {a.shape[self.dim] if a.ndim else ()} and "
                               f"{b.shape[self.dim] if b.ndim else ()} (shapes {tuple(a.shape)} "
                               f"and {tuple(b.shape)})")
        self.save_for_backward(a, b)
        return self.xp.cross(a, b, axis=self.dim)

    def backward(self, grad):
        a, b = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(Cross.apply(b, grad, dim=self.dim), a._data.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(Cross.apply(grad, a, dim=self.dim), b._data.shape)
        return ga, gb
