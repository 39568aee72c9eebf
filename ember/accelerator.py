"""``ember.accelerator``: PyTorch's device-agnostic accelerator API.

An accelerator here is a CUDA GPU reached through CuPy (``pip install 'ember[gpu]'``);
without one, ``is_available()`` is False and ``current_accelerator()`` None, so code
such as ``device = torch.accelerator.current_accelerator() or "cpu"`` picks the CPU.
"""
from .backend import device as _device, is_cuda_available

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]

_index = 0


def is_available():
    """True when an accelerator (a CUDA GPU through CuPy) can be used."""
    return is_cuda_available()


def current_accelerator(check_available=False):
    """``ember.device('cuda')`` when a GPU is usable, else None."""
    return _device("cuda") if is_cuda_available() else None


def device_count():
    """Number of accelerator devices (0 without one)."""
    from . import cuda
    return cuda.device_count()


def current_device_index():
    return _index if is_cuda_available() else -1


def set_device_index(device):
    """Select the accelerator device by index (ember uses one device per process)."""
    global _index
    _index = device.index if hasattr(device, "index") and device.index is not None else int(device)


current_device_idx = current_device_index
set_device_idx = set_device_index


def synchronize(device=None):
    """Wait for queued accelerator work (a no-op without one)."""
    from . import cuda
    cuda.synchronize(device)
