"""Threads: ``ember.set_num_threads`` / ``get_num_threads`` and ember's thread policy.

The policy (measured in benchmarks/README.md, issue "CPU speed"): NumPy's BLAS runs
single-threaded, and ember spreads big work over ``get_num_threads()`` threads itself
(large GEMMs split by rows, convolutions and RNN kernels over the batch, optimizer
updates over parameter blocks, big copies), with **work sharing**: the calling thread
works too and takes the next unclaimed part, and waits only for parts another thread has
already started. So on a quiet machine the work runs on every core, and on a busy one a
worker the OS has not scheduled yet never holds the caller up -- the caller simply does
its share (multi-threaded BLAS instead waits for each of its threads at every call: a
128x784 @ 784x512 GEMM took 0.9 ms on one thread and 60 ms on two with the cores busy).

The default thread count is ``OMP_NUM_THREADS`` when set, else the number of cores (at
most 4). Process-wide effect at ``import ember``: NumPy's BLAS is set to one thread (through
threadpoolctl, when installed). ``EMBER_BLAS_THREADS=keep`` in the environment leaves
BLAS's own threading alone (ember's splitting then uses one thread). With the ``mkl``
extra, ember's GEMMs run on MKL's sequential layer (``ember/backend/_mkl.py``) under the
same policy.
"""
import os

__all__ = ["set_num_threads", "get_num_threads", "apply_blas_policy"]

_requested = None          # set by set_num_threads; None: the default below


def _default_threads():
    """``OMP_NUM_THREADS`` when it is a positive integer (as PyTorch reads it: launchers
    such as ``ember train --nproc`` and ``mpiexec`` wrappers set it per process), else the
    cores, at most 4."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        n = 0
    return n if n > 0 else max(1, min(4, os.cpu_count() or 1))


_DEFAULT = _default_threads()
_blas_kept = False         # EMBER_BLAS_THREADS=keep: BLAS threads as the user set them


def set_num_threads(n):
    """Use ``n`` threads for ember's parallel work (PyTorch's intra-op threads).

    Example:
        >>> ember.set_num_threads(1)    # e.g. one process per core
    """
    global _requested
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _requested = n
    if _blas_kept:
        from .ops._im2col import _blas_libs
        for c in _blas_libs() or ():
            c.set_num_threads(n)


def get_num_threads():
    """The number of threads ember's parallel work may use."""
    if _blas_kept:
        return 1
    return _requested or _DEFAULT


def apply_blas_policy():
    """Set NumPy's BLAS to one thread (see the module doc); run once at import."""
    global _blas_kept
    if os.environ.get("EMBER_BLAS_THREADS", "").lower() == "keep":
        _blas_kept = True
        return
    from .ops._im2col import _blas_libs
    for c in _blas_libs() or ():
        c.set_num_threads(1)
