"""``matmul``: the matrix products of ember's kernels (convolutions, linear layers, RNNs).

Host float32/float64 products go through MKL's GEMM when the ``mkl`` extra is installed
(``ember/backend/_mkl.py``: 8-20% faster than NumPy's OpenBLAS on this project's machine),
everything else through ``xp.matmul``. ``EMBER_MKL=0`` switches MKL off.
"""
import numpy as np

from ..backend import _mkl

__all__ = ["matmul"]


def matmul(xp, a, b, out=None):
    """``a @ b`` for 2-D operands or batches of them (3-D, a 2-D operand shared by the
    batch), written into ``out`` when given (C-contiguous rows)."""
    if xp is np and a.ndim >= 2 and b.ndim >= 2 and max(a.ndim, b.ndim) <= 3:
        if out is None:
            lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            dtype = np.result_type(a, b)
            if dtype.kind != "f" or a.dtype != dtype or b.dtype != dtype:
                return xp.matmul(a, b)
            out = xp.empty(lead + (a.shape[-2], b.shape[-1]), dtype=dtype)
        if _mkl.gemm(a, b, out) is not None:
            return out
    return xp.matmul(a, b, out=out)
