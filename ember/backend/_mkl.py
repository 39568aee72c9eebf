"""Intel MKL's GEMM for host float32/float64 matrix products, when the ``mkl`` extra is
installed (``pip install 'ember[mkl]'``).

NumPy's wheels multiply through OpenBLAS. On the machine of benchmarks/README.md
(Xeon, AVX-512) MKL's single-threaded ``sgemm`` runs the convolution and MLP shapes
8-20% faster (PROFILE_CONV.md, session 5); PyTorch's CPU wheels use MKL too. ember calls
``cblas_?gemm`` / ``cblas_?gemm_batch_strided`` of ``libmkl_rt`` through ``ctypes``
(which releases the GIL during the call, so ember's own threads run products side by
side), with MKL's *sequential* threading layer: ember splits big products over its threads
itself (ember/threads.py), exactly as with OpenBLAS. MKL's conditional numerical
reproducibility is set to ``AUTO`` so that a product's bits do not depend on its
operands' alignment: results stay the same from run to run and for any thread count.

Process-wide effects, at the first product: ``libmkl_rt`` is loaded into the process
(privately: its symbols do not replace anyone's) and its threading layer is set to
sequential. ``EMBER_MKL=0`` in the environment keeps ember on NumPy's ``matmul``.

``gemm(a, b, out)`` returns ``out`` after ``out = a @ b``, or None when MKL is absent or the
operands are outside what the call handles (the caller then runs ``numpy.matmul``).
"""
import ctypes
import glob
import os
import sys

import numpy as np

__all__ = ["available", "gemm", "reset"]

_LIB = False           # not looked up yet; then None or the loaded library
_SGEMM = _DGEMM = _SBATCH = _DBATCH = None
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SEQUENTIAL = 1        # MKL_THREADING_SEQUENTIAL
_CBWR_AUTO = 2         # MKL_CBWR_AUTO
# below this many multiply-adds the ctypes call (a few microseconds) is not worth it
MIN_MACS = 1 << 15


def _candidates():
    """Where the mkl wheel puts ``libmkl_rt`` (``<prefix>/lib``), then the loader's path."""
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(
            sys.executable)))):
        yield from sorted(glob.glob(os.path.join(prefix, "lib", "libmkl_rt.so*")))
    yield "libmkl_rt.so.2"
    yield "libmkl_rt.so"


def _load():
    global _LIB, _SGEMM, _DGEMM, _SBATCH, _DBATCH
    _LIB = None
    if os.environ.get("EMBER_MKL", "1") == "0" or not sys.platform.startswith("linux"):
        return
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_LOCAL", 0))
            lib.MKL_Set_Threading_Layer.argtypes = [ctypes.c_int]
            lib.MKL_Set_Threading_Layer(_SEQUENTIAL)
            lib.MKL_CBWR_Set.argtypes = [ctypes.c_int]
            lib.MKL_CBWR_Set(_CBWR_AUTO)
        except (OSError, AttributeError):
            continue
        i, vp = ctypes.c_int, ctypes.c_void_p
        for name, real in (("s", ctypes.c_float), ("d", ctypes.c_double)):
            f = getattr(lib, f"cblas_{name}gemm")
            f.argtypes = [i, i, i, i, i, i, real, vp, i, vp, i, real, vp, i]
            f.restype = None
            fb = getattr(lib, f"cblas_{name}gemm_batch_strided")
            fb.argtypes = [i, i, i, i, i, i, real, vp, i, i, vp, i, i, real, vp, i, i, i]
            fb.restype = None
        _SGEMM, _DGEMM = lib.cblas_sgemm, lib.cblas_dgemm
        _SBATCH, _DBATCH = lib.cblas_sgemm_batch_strided, lib.cblas_dgemm_batch_strided
        _LIB = lib
        return


def available():
    """True when products go through MKL (the extra is installed and not switched off)."""
    if _LIB is False:
        _load()
    return _LIB is not None


def reset():
    """Look for MKL again at the next product (after ``EMBER_MKL`` changed; tests)."""
    global _LIB
    _LIB = False


def _layout(strides, rows, cols):
    """``(trans, ld)`` of a ``rows x cols`` matrix with element ``strides`` for row-major
    BLAS, or None when neither stride is the unit."""
    sr, sc = strides
    if sc == 1 and (sr >= max(1, cols) or rows == 1):
        return _NO_TRANS, max(sr, cols, 1)
    if sr == 1 and (sc >= max(1, rows) or cols == 1):
        return _TRANS, max(sc, rows, 1)
    return None


def _strides(arr, size):
    st = arr.strides
    if any(s % size for s in st):
        return None
    return tuple(s // size for s in st)


def gemm(a, b, out):
    """``out[...] = a @ b`` through MKL for 2-D ``a (M, K)``, ``b (K, N)`` or batches (3-D
    ``a`` and/or ``b``; a 2-D operand is shared by every item), ``out`` of the result's
    shape with unit inner stride; returns ``out``, or None when it did not run."""
    if _LIB is False:
        _load()
    if _LIB is None:
        return None
    dt = out.dtype
    if dt == np.float32:
        one, single, batched = ctypes.c_float(1.0), _SGEMM, _SBATCH
    elif dt == np.float64:
        one, single, batched = ctypes.c_double(1.0), _DGEMM, _DBATCH
    else:
        return None
    if a.dtype != dt or b.dtype != dt or a.__class__ is not np.ndarray or \
            b.__class__ is not np.ndarray or out.__class__ is not np.ndarray:
        return None
    if not (a.flags.aligned and b.flags.aligned and out.flags.aligned and out.flags.writeable):
        return None
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if b.shape[-2] != k or out.shape[-2:] != (m, n) or m * n * k < MIN_MACS:
        return None
    nb = out.shape[0] if out.ndim == 3 else 1
    if out.ndim not in (2, 3) or a.ndim not in (2, out.ndim) or b.ndim not in (2, out.ndim) \
            or (a.ndim == 3 and a.shape[0] != nb) or (b.ndim == 3 and b.shape[0] != nb):
        return None
    if np.may_share_memory(out, a) or np.may_share_memory(out, b):
        return None
    size = dt.itemsize
    sa, sb, so = _strides(a, size), _strides(b, size), _strides(out, size)
    if sa is None or sb is None or so is None:
        return None
    la, lb = _layout(sa[-2:], m, k), _layout(sb[-2:], k, n)
    if la is None or lb is None or so[-1] != 1 or so[-2] < max(1, n):
        return None
    ldc = so[-2]
    if out.ndim == 2:
        single(_ROW_MAJOR, la[0], lb[0], m, n, k, one, a.ctypes.data, la[1],
               b.ctypes.data, lb[1], type(one)(0.0), out.ctypes.data, ldc)
        return out
    bsa = sa[0] if a.ndim == 3 else 0
    bsb = sb[0] if b.ndim == 3 else 0
    if min(bsa, bsb) < 0 or so[0] < m * ldc:      # (outputs of the batch must not overlap)
        return None
    batched(_ROW_MAJOR, la[0], lb[0], m, n, k, one, a.ctypes.data, la[1], bsa,
            b.ctypes.data, lb[1], bsb, type(one)(0.0), out.ctypes.data, ldc, so[0], nb)
    return out
