"""Compiled loops for memory-bound kernels, when the ``numba`` extra is installed
(``pip install 'ember[numba]'``).

NumPy runs one pass over memory per operation: batch norm's backward, for example, is a
column sum, an ``einsum`` and four elementwise operations over activation-sized arrays,
where one loop per output needs two passes. For such kernels ember keeps plain-Python loop
versions (e.g. ``ember/ops/_norm_loops.py``) that numba compiles at their first call, with:

- ``nogil=True``: ember's own threads run them side by side on parts of the batch
  (ember/threads.py), so the thread policy stays ember's (numba's ``parallel`` mode is not
  used);
- ``fastmath={"reassoc", "contract"}`` only: the compiler may vectorize sums (reorder
  additions) and fuse multiply-adds, but keeps NaN, infinity and signed-zero semantics. A
  compiled loop's bits are the same from run to run and for any thread count (the parts
  depend on the shape), not the same as the NumPy path's;
- ``cache=True``: the machine code is cached next to the source (``__pycache__``), so a new
  process compiles nothing when the directory is writable.

``EMBER_NUMBA=0`` in the environment keeps every kernel on NumPy. Nothing is imported or
compiled until a kernel is first asked for.

Example:
    >>> from ember.ops import _norm_loops
    >>> loops = compiled(_norm_loops)     # None without numba (the caller uses NumPy)
"""
import os

import numpy as np

__all__ = ["available", "compiled", "loops_for", "reset"]

_NUMBA = False         # not looked up yet; then None or the numba module
_MODULES = {}          # source module -> namespace of its compiled loops
FASTMATH = frozenset({"reassoc", "contract"})


def _load():
    global _NUMBA
    _NUMBA = None
    if os.environ.get("EMBER_NUMBA", "1") == "0":
        return
    try:
        import numba
    except Exception:  # noqa: BLE001 - missing, or broken against this NumPy: use NumPy
        return
    _NUMBA = numba


def available():
    """True when compiled loops run (numba is installed and not switched off)."""
    if _NUMBA is False:
        _load()
    return _NUMBA is not None


def reset():
    """Look for numba again (after ``EMBER_NUMBA`` changed; tests)."""
    global _NUMBA
    _NUMBA = False
    _MODULES.clear()


class _Compiled:
    """The compiled versions of a module's ``LOOPS`` (names), as attributes."""

    def __init__(self, module, numba):
        jit = numba.njit(nogil=True, fastmath=set(FASTMATH), cache=True)
        for name in module.LOOPS:
            setattr(self, name, jit(getattr(module, name)))


def compiled(module):
    """The compiled loops of ``module`` (the functions its ``LOOPS`` names), or None when
    numba is absent or switched off."""
    if not available():
        return None
    loops = _MODULES.get(module)
    if loops is None:
        loops = _MODULES[module] = _Compiled(module, _NUMBA)
    return loops


def loops_for(module, *arrays, contiguous=True):
    """``compiled(module)`` when every array is a host float32/float64 array of one dtype,
    C-contiguous unless ``contiguous=False`` (what the loops are written for), else None."""
    dtype = arrays[0].dtype
    for arr in arrays:
        if arr.__class__ is not np.ndarray or arr.dtype != dtype or \
                (contiguous and not arr.flags.c_contiguous):
            return None
    if dtype != np.float32 and dtype != np.float64:
        return None
    return compiled(module)
