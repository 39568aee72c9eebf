"""Devices and their array modules: NumPy on the CPU, CuPy on CUDA (when installed).

Ops never import numpy for math; they use ``self.xp``, the array module of their inputs,
so the same op code runs on either device.
"""
import numpy as np

__all__ = ["device", "get_array_module", "is_cuda_available"]

try:  # optional: `pip install ember[gpu]`
    import cupy as _cupy
    try:
        _cuda_ok = _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver / no device
        _cuda_ok = False
except ImportError:
    _cupy = None
    _cuda_ok = False


def is_cuda_available():
    return _cuda_ok


class device:
    """Where a tensor lives: ``ember.device('cpu')`` or ``ember.device('cuda', 0)``."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and (
            self.index == other.index or self.index is None or other.index is None)

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self):
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(d):
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, int):
        d = device("cuda", d)
    else:
        d = device(d)
    return d


def array_module_for(d):
    """The array module (numpy or cupy) that stores tensors on device ``d``."""
    if d.type == "cpu":
        return np
    if not _cuda_ok:
        raise RuntimeError("ember: CUDA is not available on this machine (no CuPy or no GPU); "
                           "install ember[gpu] on a machine with an NVIDIA GPU, or keep tensors on 'cpu'")
    return _cupy


def get_array_module(arr):
    """numpy for NumPy arrays, cupy for CuPy arrays."""
    if type(arr) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(arr)


def device_of(arr):
    if type(arr) is np.ndarray or _cupy is None or not isinstance(arr, _cupy.ndarray):
        return CPU
    return device("cuda", arr.device.id)


def to_device_array(arr, d):
    """Copy (if needed) ``arr`` onto device ``d``."""
    if d.type == "cpu":
        if _cupy is not None and isinstance(arr, _cupy.ndarray):
            return _cupy.asnumpy(arr)
        return arr
    xp = array_module_for(d)
    with xp.cuda.Device(d.index or 0):
        return xp.asarray(arr)


def keep_freed_memory(enabled=True):
    """Let glibc's malloc reuse freed memory for big NumPy temporaries (Linux/glibc only).

    By default glibc serves allocations above a dynamic threshold (128 KB to 32 MB) with
    fresh ``mmap`` pages and returns them on free, so every activation-sized temporary is
    page-faulted (zero-filled) again on every op. Raising the mmap threshold to 32 MB and
    the trim threshold to 1 GB keeps freed blocks in the heap for reuse: the role
    PyTorch's caching allocator plays for it. Measured: the CNN training step -28%,
    ResNet-18 -10%, peak memory within +9%. ember calls this once at import; call
    ``keep_freed_memory(False)`` to restore glibc's defaults.

    Returns:
        True if the settings were applied (glibc found), else False.
    """
    import ctypes
    import ctypes.util
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to tune
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    if enabled:
        ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) and mallopt(M_TRIM_THRESHOLD, 1 << 30)
    else:  # glibc's defaults (the mmap threshold becomes dynamic again only in new processes)
        ok = mallopt(M_MMAP_THRESHOLD, 128 << 10) and mallopt(M_TRIM_THRESHOLD, 128 << 10)
    return bool(ok)
