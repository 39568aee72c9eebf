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
