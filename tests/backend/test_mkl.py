"""MKL's GEMM path (ember/backend/_mkl.py, ember/ops/_gemm.py): the same products as
NumPy for every operand layout it takes, NumPy's ``matmul`` for the rest, results
independent of alignment, and ``EMBER_MKL=0`` switches it off."""
import os

import numpy as np
import pytest

from ember.backend import _mkl
from ember.ops._gemm import matmul

MKL_REQUIRED = os.environ.get("CI") == "true"   # the test extra installs it: never skip there


@pytest.fixture
def mkl():
    if not _mkl.available():
        if MKL_REQUIRED:
            pytest.fail("MKL is part of the test extra: libmkl_rt was not found")
        pytest.skip("the mkl extra is not installed")
    return _mkl


def _views(r, shape, dtype):
    """The same matrix as a C-order array, an F-order array, and a strided row slice."""
    m = r.standard_normal(shape).astype(dtype)
    wide = np.zeros(shape[:-1] + (shape[-1] + 5,), dtype)
    wide[..., :shape[-1]] = m
    return {"C": m, "F": np.asfortranarray(m), "rows": wide[..., :shape[-1]]}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("la", ["C", "F", "rows"])
@pytest.mark.parametrize("lb", ["C", "F", "rows"])
def test_gemm_matches_numpy_for_each_layout(mkl, dtype, la, lb):
    r = np.random.default_rng(0)
    a, b = _views(r, (37, 61), dtype)[la], _views(r, (61, 45), dtype)[lb]
    out = np.empty((37, 45), dtype)
    assert mkl.gemm(a, b, out) is out
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(out, a @ b, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", ["both3d", "shared_a", "shared_b", "transposed_b"])
def test_batched_gemm_matches_numpy(mkl, case):
    r = np.random.default_rng(1)
    a = r.standard_normal((5, 33, 40)).astype(np.float32)
    b = r.standard_normal((5, 40, 29)).astype(np.float32)
    if case == "shared_a":
        a = a[0]
    elif case == "shared_b":
        b = b[0]
    elif case == "transposed_b":
        b = r.standard_normal((5, 29, 40)).astype(np.float32).swapaxes(1, 2)
    out = np.empty((5, 33, 29), np.float32)
    assert mkl.gemm(a, b, out) is out
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-5, atol=1e-5)


def test_what_gemm_leaves_to_numpy(mkl):
    r = np.random.default_rng(2)
    a = r.standard_normal((40, 50)).astype(np.float32)
    b = r.standard_normal((50, 60)).astype(np.float32)
    out = np.empty((40, 60), np.float32)
    assert mkl.gemm(a[:, ::2], b[::2], out) is None                  # no unit stride
    assert mkl.gemm(a.astype(np.float64), b, out) is None             # mixed dtypes
    assert mkl.gemm(a.astype(np.int32), b.astype(np.int32), np.zeros((40, 60), np.int32)) is None
    assert mkl.gemm(a[:2, :3], b[:3, :4], out[:2, :4]) is None        # too small to pay
    assert mkl.gemm(a, b, np.empty((60, 40), np.float32).T) is None   # out not row-major
    overlapping = np.lib.stride_tricks.as_strided(np.empty((3, 40, 60), np.float32),
                                                  strides=(4 * 60, 4 * 60, 4))
    assert mkl.gemm(np.stack([a] * 3), b, overlapping) is None        # out rows overlap
    square = r.standard_normal((64, 64)).astype(np.float32)
    assert mkl.gemm(square, square, square) is None                   # out aliases an operand
    # ... and matmul runs NumPy for those, with the same results
    np.testing.assert_allclose(matmul(np, a[:, ::2], b[::2]), a[:, ::2] @ b[::2], rtol=1e-6)
    np.testing.assert_allclose(matmul(np, square, square), square @ square, rtol=1e-5, atol=1e-4)


def test_results_do_not_depend_on_alignment(mkl):
    """The same product from operands at different byte offsets: the same bits (MKL's
    conditional numerical reproducibility, AUTO), as ember's resume tests need."""
    r = np.random.default_rng(3)
    A = r.standard_normal((77, 301)).astype(np.float32)
    B = r.standard_normal((301, 123)).astype(np.float32)
    results = []
    for off in (0, 1, 3, 16):
        ba = np.zeros(A.size + 32, np.float32)
        a = ba[off:off + A.size].reshape(A.shape)
        a[...] = A
        bb = np.zeros(B.size + 32, np.float32)
        b = bb[off:off + B.size].reshape(B.shape)
        b[...] = B
        results.append(mkl.gemm(a, b, np.empty((77, 123), np.float32)).copy())
    for res in results[1:]:
        np.testing.assert_array_equal(res, results[0])


def test_ember_mkl_0_switches_it_off(monkeypatch):
    monkeypatch.setenv("EMBER_MKL", "0")
    _mkl.reset()
    try:
        assert not _mkl.available()
        a = np.ones((64, 64), np.float32)
        assert _mkl.gemm(a, a, np.empty_like(a)) is None
        np.testing.assert_array_equal(matmul(np, a, a), a @ a)
    finally:
        monkeypatch.delenv("EMBER_MKL")
        _mkl.reset()
