"""The compiled-loop loader (ember/backend/_jit.py): numba is found when installed (the
test extra installs it: never skipped under CI), ``EMBER_NUMBA=0`` switches it off, and
``loops_for`` hands out the loops only for arrays they are written for."""
import os

import numpy as np
import pytest

from ember.backend import _jit
from ember.ops import _norm_loops

NUMBA_REQUIRED = os.environ.get("CI") == "true"


@pytest.fixture
def fresh_loader():
    _jit.reset()
    yield _jit
    _jit.reset()


def test_numba_is_found(fresh_loader):
    if not _jit.available():
        if NUMBA_REQUIRED:
            pytest.fail("numba is part of the test extra but could not be imported")
        pytest.skip("the numba extra is not installed")
    loops = _jit.compiled(_norm_loops)
    assert loops is _jit.compiled(_norm_loops)          # compiled once per module
    for name in _norm_loops.LOOPS:
        assert callable(getattr(loops, name))


def test_switched_off_by_environment(fresh_loader, monkeypatch):
    monkeypatch.setenv("EMBER_NUMBA", "0")
    _jit.reset()
    assert not _jit.available()
    assert _jit.compiled(_norm_loops) is None
    assert _jit.loops_for(_norm_loops, np.zeros((2, 3, 4), np.float32)) is None


def test_loops_only_for_contiguous_float_arrays_of_one_dtype(fresh_loader):
    if not _jit.available():
        pytest.skip("the numba extra is not installed")
    a32 = np.zeros((2, 3, 4), np.float32)
    assert _jit.loops_for(_norm_loops, a32, a32.copy()) is not None
    assert _jit.loops_for(_norm_loops, a32.astype(np.float64)) is not None
    assert _jit.loops_for(_norm_loops, a32.swapaxes(1, 2)) is None         # not C-order
    assert _jit.loops_for(_norm_loops, a32, a32.astype(np.float64)) is None  # mixed dtypes
    assert _jit.loops_for(_norm_loops, a32.astype(np.int32)) is None
    assert _jit.loops_for(_norm_loops, a32.astype(np.float16)) is None
