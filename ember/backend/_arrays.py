"""Array modules and transfers: NumPy on the CPU, CuPy (or a registered stand-in) on CUDA.

Ops never import numpy for math; they use ``self.xp``, the array module of their inputs,
so the same op code runs on either device. The CUDA module is CuPy when it is installed
and sees a GPU; tests register a stand-in with ``use_cuda_module`` (tests/fake_cupy.py).
"""
import numpy as np

from ._device import CPU, device

__all__ = ["is_cuda_available", "cuda_module", "use_cuda_module", "array_module_for",
           "get_array_module", "device_of", "to_device_array", "check_same_device"]


def _probe_cupy():
    try:  # optional: `pip install ember[gpu]`
        import cupy
    except ImportError:
        return None
    try:
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # CuPy without a driver or a device
        return None


# the CUDA array module (cupy, a stand-in, or None) and its array class
_cuda = {"xp": None, "ndarray": None}


def use_cuda_module(module):
    """Make ``module`` (CuPy's API: ``ndarray``, ``asarray``, ``asnumpy``, ``cuda``, ...)
    the array module of "cuda" tensors; None turns CUDA off. Returns the previous one.

    ember calls this at import with CuPy when a GPU is present; tests call it with a
    NumPy-backed stand-in to run the CUDA code path without a GPU.
    """
    prev = _cuda["xp"]
    _cuda["xp"] = module
    _cuda["ndarray"] = None if module is None else module.ndarray
    return prev


use_cuda_module(_probe_cupy())


def is_cuda_available():
    """True when a CUDA array module is in use (CuPy with a GPU, or a test stand-in)."""
    return _cuda["xp"] is not None


def cuda_module():
    """The CUDA array module (cupy), or None without one."""
    return _cuda["xp"]


def array_module_for(d):
    """The array module (numpy or cupy) that stores tensors on device ``d``."""
    if d.type == "cpu":
        return np
    xp = _cuda["xp"]
    if xp is None:
        raise RuntimeError("ember: CUDA is not available on this machine (no CuPy or no GPU); "
                           "install ember[gpu] on a machine with an NVIDIA GPU, or keep tensors on 'cpu'")
    return xp


def get_array_module(arr):
    """numpy for NumPy arrays (and scalars), the CUDA module for CUDA arrays."""
    kind = _cuda["ndarray"]
    if kind is not None and isinstance(arr, kind):
        return _cuda["xp"]
    return np


def device_of(arr):
    """The ``ember.device`` that holds array ``arr``."""
    kind = _cuda["ndarray"]
    if kind is None or not isinstance(arr, kind):
        return CPU
    return device("cuda", arr.device.id)


def to_device_array(arr, d):
    """``arr`` on device ``d`` (the same array when it is already there, else a copy)."""
    kind = _cuda["ndarray"]
    if d.type == "cpu":
        if kind is not None and isinstance(arr, kind):
            return _cuda["xp"].asnumpy(arr)
        return arr
    xp = array_module_for(d)
    idx = xp.cuda.Device().id if d.index is None else d.index  # 'cuda': the current GPU
    if isinstance(arr, kind) and arr.device.id == idx:
        return arr
    with xp.cuda.Device(idx):
        return xp.asarray(arr)


def check_same_device(arrays, name=None):
    """Raise PyTorch's error when ``arrays`` (None entries skipped) live on several devices.

    As in PyTorch, 0-d CPU arrays (scalars) may join a CUDA op: then this returns
    ``(xp, arrays)`` with them copied to the CUDA device, for the caller to retry; else None.
    """
    devs, scalars = [], False
    for a in arrays:
        if a is None or isinstance(a, (int, float, bool, complex, np.generic)):
            continue
        d = device_of(a)
        if d.type == "cpu" and a.ndim == 0:
            scalars = True
            continue
        if d not in devs:
            devs.append(d)
    if len(devs) > 1:
        where = f" (when checking argument in method {name})" if name else ""
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {devs[0]} and {devs[1]}!{where}")
    if not scalars or not devs or devs[0].type == "cpu":
        return None
    dev = devs[0]
    return array_module_for(dev), [a if a is None or isinstance(a, (int, float, bool, complex, np.generic))
                                   or device_of(a) == dev else to_device_array(a, dev) for a in arrays]
