"""``ember.backends``: PyTorch's ``torch.backends`` flags, so GPU-era code runs unchanged.

``cudnn`` (``benchmark``, ``deterministic``, ``enabled``, ``allow_tf32``), ``cuda``
(``matmul.allow_tf32``), ``mps`` (``is_available()``: always False) and ``cpu``,
``mkldnn``, ``openmp`` hold the same attributes as PyTorch's. ember computes with NumPy
(or CuPy): these flags are recorded and readable but change no kernel, which is what
PyTorch does too when the library a flag configures is absent. (Not to be confused
with ``ember.backend``, the array-module layer.)
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
