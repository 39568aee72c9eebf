"""The fake CUDA device: ember's "cuda" tensors run on tests/cuda/fake_cupy.py (NumPy
underneath, refused by NumPy as CuPy arrays are). With real CuPy and a GPU present
(EMBER_REAL_CUDA=1), the same tests run on the GPU instead."""
import os

import pytest

import ember
from ember import backend

from . import fake_cupy


@pytest.fixture(autouse=True)
def fake_cuda():
    """Register the fake device as "cuda" for one test, and restore afterwards."""
    if os.environ.get("EMBER_REAL_CUDA") == "1" and backend.is_cuda_available():
        yield backend.cuda_module()
        return
    prev = backend.use_cuda_module(fake_cupy.module)
    try:
        yield fake_cupy.module
    finally:
        backend.use_cuda_module(prev)
