"""ember.linalg against finite differences and torch.linalg (float64 and float32)."""
import numpy as np
import pytest

import ember
import ember.linalg as LA
from tests.helpers import check_op, torch, require_torch, make_inputs

TL = torch.linalg if torch is not None else None


def _t(name):
    return (lambda *a, **k: getattr(TL, name)(*a, **k)) if TL is not None else None


def _wellcond(shape, seed=0):
    """A well-conditioned square matrix (identity-dominated)."""
    a = make_inputs([shape], seed)[0] * 0.3
    return a + 2 * np.eye(shape[-1])


def _spd(lib):
    """A -> A A^T + n I: symmetric positive definite from any square input."""
    return lambda a: lib.linalg.cholesky(a @ a.transpose(-2, -1) + 3 * lib.eye(a.shape[-1], dtype=a.dtype))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_inv_det_slogdet(shape):
    a = _wellcond(shape)
    check_op(LA.inv, _t("inv"), inputs=[a])
    check_op(LA.det, _t("det"), inputs=[a])
    check_op(lambda x: LA.slogdet(x).logabsdet, lambda x: TL.slogdet(x).logabsdet, inputs=[-a])
    check_op(lambda x: LA.slogdet(x).sign, lambda x: TL.slogdet(x).sign, inputs=[-a], grad=False)


def test_solve_shapes():
    a = _wellcond((3, 3))
    b = make_inputs([(3, 2)], 1)[0]
    check_op(LA.solve, _t("solve"), inputs=[a, b])
    check_op(LA.solve, _t("solve"), inputs=[a, b[:, 0].copy()])                  # vector rhs
    check_op(LA.solve, _t("solve"), inputs=[_wellcond((2, 3, 3)), b])              # broadcast
    check_op(lambda x, y: LA.solve(x, y, left=False),
             lambda x, y: TL.solve(x, y, left=False), inputs=[a, b.T.copy()])


def test_cholesky():
    x = make_inputs([(3, 3)])[0]
    for upper in (False, True):
        def f(lib, upper=upper):
            return lambda a: lib.linalg.cholesky(
                a @ a.transpose(-2, -1) + 3 * lib.eye(3, dtype=a.dtype), upper=upper)
        check_op(f(ember), f(torch) if torch else None, inputs=[x])
    check_op(_spd(ember), _spd(torch) if torch else None, inputs=[make_inputs([(2, 3, 3)], 2)[0]])


def test_eigh_eigvalsh():
    x = make_inputs([(4, 4)])[0]

    def sym(lib, fn):
        return lambda a: fn(a + a.transpose(-2, -1))
    # eigenvectors up to sign: compare gauge-invariant functions of them
    check_op(sym(ember, lambda s: LA.eigh(s)[0]), sym(torch, lambda s: TL.eigh(s)[0]) if torch else None,
             inputs=[x])
    check_op(sym(ember, lambda s: LA.eigh(s)[1] ** 2), sym(torch, lambda s: TL.eigh(s)[1] ** 2)
             if torch else None, inputs=[x])
    check_op(sym(ember, LA.eigvalsh), sym(torch, TL.eigvalsh) if torch else None, inputs=[x])
    s = x + x.T
    w, v = LA.eigh(ember.tensor(s))
    np.testing.assert_allclose((v @ ember.diag_embed(w) @ v.mT).numpy(), s, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)], ids=str)
def test_svd(shape):
    x = make_inputs([shape])[0]
    check_op(LA.svdvals, _t("svdvals"), inputs=[x])
    check_op(lambda a: LA.svd(a, full_matrices=False).S,
             lambda a: TL.svd(a, full_matrices=False).S, inputs=[x])
    # U and Vh up to a shared sign per singular pair: U diag(w) Vh and U*U are invariant
    w = np.linspace(0.5, 1.5, min(shape))

    def recon(lib, fn):
        def f(a):
            u, s, vh = fn(a, full_matrices=False)
            return (u * lib.tensor(w, dtype=a.dtype)) @ vh, u * u, vh * vh
        return f
    check_op(recon(ember, LA.svd), recon(torch, TL.svd) if torch else None, inputs=[x])
    u, s, vh = LA.svd(ember.tensor(x))  # full_matrices=True (default), no grad
    assert tuple(u.shape) == (shape[0], shape[0]) and tuple(vh.shape) == (shape[1], shape[1])


def test_qr():
    x = make_inputs([(4, 3)])[0]

    def f(lib):
        return lambda a: tuple(lib.linalg.qr(a))
    check_op(f(ember), f(torch) if torch else None, inputs=[x])
    q, r = LA.qr(ember.tensor(x), mode="complete")
    assert tuple(q.shape) == (4, 4) and tuple(r.shape) == (4, 3)
    np.testing.assert_allclose((q @ r).numpy(), x, atol=1e-12)


def test_pinv_lstsq_rank():
    x = make_inputs([(4, 3)])[0]
    b = make_inputs([(4, 2)], 1)[0]
    check_op(LA.pinv, _t("pinv"), inputs=[x])
    check_op(lambda a, y: LA.lstsq(a, y).solution, lambda a, y: TL.lstsq(a, y).solution, inputs=[x, b])
    require_torch()
    low = x @ np.diag([1.0, 1.0, 0.0]) @ x[:3].T  # rank 2
    assert int(LA.matrix_rank(ember.tensor(low))) == int(TL.matrix_rank(torch.tensor(low))) == 2
    res = LA.lstsq(ember.tensor(x), ember.tensor(b))
    tres = TL.lstsq(torch.tensor(x), torch.tensor(b))
    assert int(res.rank) == int(tres.rank) and tuple(res.residuals.shape) == tuple(tres.residuals.shape)


def test_cross():
    check_op(LA.cross, _t("cross"), [(4, 3), (4, 3)])
    check_op(LA.cross, _t("cross"), [(2, 1, 3), (1, 4, 3)])
    check_op(lambda a, b: LA.cross(a, b, dim=0), lambda a, b: TL.cross(a, b, dim=0), [(3, 2), (3, 2)])


@pytest.mark.parametrize("ord_", [None, 2, 1, 3, 0.5, float("inf"), float("-inf"), -1])
def test_vector_norm(ord_):
    kw = {} if ord_ is None else {"ord": ord_}
    check_op(lambda a: LA.vector_norm(a, **kw), lambda a: TL.vector_norm(a, **kw), [(3, 4)])
    check_op(lambda a: LA.vector_norm(a, dim=1, keepdim=True, **kw),
             lambda a: TL.vector_norm(a, dim=1, keepdim=True, **kw), [(3, 4)])


@pytest.mark.parametrize("ord_", ["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")])
def test_matrix_norm(ord_):
    check_op(lambda a: LA.matrix_norm(a, ord_), lambda a: TL.matrix_norm(a, ord_), [(2, 3, 4)])
    check_op(lambda a: LA.matrix_norm(a, ord_, dim=(0, 2), keepdim=True),
             lambda a: TL.matrix_norm(a, ord_, dim=(0, 2), keepdim=True), [(3, 2, 4)])


def test_norm_dispatch():
    check_op(LA.norm, _t("norm"), [(3, 4)])
    check_op(lambda a: LA.norm(a, 1), lambda a: TL.norm(a, 1), [(3, 4)])       # matrix 1-norm
    check_op(lambda a: LA.norm(a, 3), lambda a: TL.norm(a, 3), [(5,)])
    check_op(lambda a: LA.norm(a, dim=(0, 1)), lambda a: TL.norm(a, dim=(0, 1)), [(3, 4, 2)])
    check_op(lambda a: LA.norm(a, dim=-1), lambda a: TL.norm(a, dim=-1), [(3, 4, 2)])


def test_misc_functions():
    check_op(lambda a, b, c: LA.multi_dot([a, b, c]), lambda a, b, c: TL.multi_dot([a, b, c]),
             [(2, 3), (3, 4), (4, 2)])
    check_op(lambda a: LA.matrix_power(a, 3), lambda a: TL.matrix_power(a, 3), inputs=[_wellcond((3, 3))])
    check_op(lambda a: LA.matrix_power(a, -2), lambda a: TL.matrix_power(a, -2), inputs=[_wellcond((3, 3))])
    check_op(LA.vecdot, _t("vecdot"), [(3, 4), (4,)])


def test_second_derivative():
    a = ember.tensor(_wellcond((3, 3)), requires_grad=True)
    ember.autograd.gradgradcheck(lambda x: LA.inv(x), (a,))
    ember.autograd.gradgradcheck(lambda x: LA.det(x), (a,))


def test_errors():
    sing = ember.zeros(3, 3, dtype=ember.float64)
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.inv(sing)
    with pytest.raises(RuntimeError, match="singular"):
        LA.solve(sing, ember.ones(3, dtype=ember.float64))
    with pytest.raises(LA.LinAlgError, match="positive-definite"):
        LA.cholesky(-ember.eye(3))
    with pytest.raises(RuntimeError, match=r"square matrices.*\(2, 3\)"):
        LA.det(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="length 3"):
        LA.cross(ember.ones(2, 4), ember.ones(2, 4))
    inv, info = LA.inv_ex(sing)
    assert int(info) == 1
    L, info = LA.cholesky_ex(ember.eye(2))
    assert int(info) == 0 and np.allclose(L.numpy(), np.eye(2))


def test_float32_keeps_dtype():
    a = ember.tensor(_wellcond((3, 3)).astype(np.float32))
    for out in (LA.inv(a), LA.det(a), LA.svdvals(a), LA.eigh(a)[0], LA.qr(a)[0], LA.pinv(a)):
        assert out.dtype == ember.float32


@pytest.mark.parametrize("upper,left,unit", [(False, True, False), (True, True, False),
                                             (False, False, False), (True, True, True)])
def test_solve_triangular(upper, left, unit):
    a = _wellcond((3, 3))
    b = make_inputs([(3, 2) if left else (2, 3)], 1)[0]
    check_op(lambda x, y: LA.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit),
             (lambda x, y: TL.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit))
             if TL else None, inputs=[a, b])


def test_top_level_aliases():
    a = _wellcond((2, 3, 3))
    for name in ("det", "logdet", "inverse", "pinverse"):
        check_op(getattr(ember, name), getattr(torch, name) if torch else None, inputs=[a])
    check_op(lambda x: ember.slogdet(x)[1], lambda x: torch.slogdet(x)[1] if torch else None, inputs=[a])
    check_op(lambda x: ember.matrix_power(x, 2), lambda x: torch.matrix_power(x, 2), inputs=[a])
    require_torch()
    neg = -_wellcond((3, 3))
    assert np.isnan(ember.logdet(ember.tensor(neg)).numpy()) and np.isnan(torch.logdet(torch.tensor(neg)).numpy())
    spd = a[0] @ a[0].T
    np.testing.assert_allclose(ember.cholesky(ember.tensor(spd)).numpy(), torch.linalg.cholesky(torch.tensor(spd)).numpy())
