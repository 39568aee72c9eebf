"""``ember.cuda``: GPU availability through CuPy (``pip install ember[gpu]``)."""
from .backend import is_cuda_available


def is_available():
    """True when CuPy is installed and sees an NVIDIA GPU."""
    return is_cuda_available()


def device_count():
    if not is_cuda_available():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def synchronize(device=None):
    if is_cuda_available():
        import cupy
        cupy.cuda.Stream.null.synchronize()


def current_device():
    return 0
