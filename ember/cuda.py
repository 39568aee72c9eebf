"""``ember.cuda``: the GPU through CuPy (``pip install 'ember[gpu]'``).

Every function answers safely without a GPU (``is_available()`` False, counts 0, seeding
and synchronizing do nothing harmful), so CPU code that calls them runs unchanged.

Example:
    >>> device = "cuda" if ember.cuda.is_available() else "cpu"
    >>> model = model.to(device)
"""
from .backend import (is_cuda_available, cuda_module, as_device, default_generator_for, seed_cuda,
                      memory_pool)

__all__ = ["is_available", "device_count", "current_device", "set_device", "device",
           "get_device_name", "get_device_capability", "get_device_properties", "synchronize",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed", "get_rng_state",
           "set_rng_state", "get_rng_state_all", "set_rng_state_all", "memory_allocated",
           "max_memory_allocated", "memory_reserved", "max_memory_reserved", "empty_cache",
           "reset_peak_memory_stats", "is_initialized", "init"]

_peak = {"allocated": 0, "reserved": 0}


def is_available():
    """True when CuPy is installed and sees an NVIDIA GPU."""
    return is_cuda_available()


def is_initialized():
    return is_cuda_available()


def init():
    """Nothing to initialize ahead of time (CuPy starts lazily)."""


def device_count():
    """The number of GPUs (0 without CUDA)."""
    xp = cuda_module()
    return 0 if xp is None else xp.cuda.runtime.getDeviceCount()


def current_device():
    """The index of the selected GPU (0 without CUDA, as PyTorch would fail; ember answers 0)."""
    xp = cuda_module()
    return 0 if xp is None else xp.cuda.Device().id


def set_device(device):
    """Select the GPU new CUDA arrays go to (an index, ``'cuda:1'`` or a device)."""
    xp = cuda_module()
    if xp is None:
        return
    idx = device if isinstance(device, int) else (as_device(device).index or 0)
    xp.cuda.Device(idx).use()


class device:
    """Context manager selecting a GPU: ``with ember.cuda.device(1): ...``."""

    def __init__(self, device):
        self.idx = device if isinstance(device, int) else (as_device(device).index or 0)
        self._ctx = None

    def __enter__(self):
        xp = cuda_module()
        if xp is not None:
            self._ctx = xp.cuda.Device(self.idx)
            self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
        return False


def _index(device):
    if device is None:
        return current_device()
    return device if isinstance(device, int) else (as_device(device).index or 0)


def get_device_properties(device=None):
    """CuPy's property dict of the GPU (``name``, ``totalGlobalMem``, ``major``, ...)."""
    xp = cuda_module()
    if xp is None:
        raise RuntimeError("ember.cuda.get_device_properties: CUDA is not available")
    return xp.cuda.runtime.getDeviceProperties(_index(device))


def get_device_name(device=None):
    """The GPU's name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
    name = get_device_properties(device)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None):
    """``(major, minor)`` compute capability."""
    p = get_device_properties(device)
    return int(p["major"]), int(p["minor"])


def synchronize(device=None):
    """Wait until the GPU has finished the queued work (a no-op without CUDA)."""
    xp = cuda_module()
    if xp is not None:
        with xp.cuda.Device(_index(device)):
            xp.cuda.Stream.null.synchronize()


# -- random numbers: one ember.Generator per GPU (see ember/backend/_rng.py) ----------
def manual_seed(seed):
    """Seed the current GPU's default generator (harmless without CUDA)."""
    seed_cuda(seed, [current_device()])


def manual_seed_all(seed):
    """Seed every GPU's default generator."""
    seed_cuda(seed, range(max(device_count(), 1)))


def seed():
    import random
    manual_seed(random.getrandbits(63))


def seed_all():
    import random
    manual_seed_all(random.getrandbits(63))


def initial_seed():
    return default_generator_for(f"cuda:{current_device()}").initial_seed()


def get_rng_state(device="cuda"):
    """The GPU generator's state (a uint8 tensor)."""
    return default_generator_for(_as_cuda(device)).get_state()


def set_rng_state(new_state, device="cuda"):
    default_generator_for(_as_cuda(device)).set_state(new_state)


def get_rng_state_all():
    return [get_rng_state(i) for i in range(max(device_count(), 1))]


def set_rng_state_all(new_states):
    for i, s in enumerate(new_states):
        set_rng_state(s, i)


def _as_cuda(device):
    return f"cuda:{device}" if isinstance(device, int) else as_device(device)


# -- memory: CuPy's caching pool plays PyTorch's caching allocator -------------------
def memory_allocated(device=None):
    """Bytes of GPU memory held by arrays (0 without CUDA)."""
    pool = memory_pool()
    if pool is None:
        return 0
    used = int(pool.used_bytes())
    _peak["allocated"] = max(_peak["allocated"], used)
    return used


def max_memory_allocated(device=None):
    """The largest ``memory_allocated`` seen since start or ``reset_peak_memory_stats``."""
    memory_allocated(device)
    return _peak["allocated"]


def memory_reserved(device=None):
    """Bytes the pool holds from the driver (allocated plus cached)."""
    pool = memory_pool()
    if pool is None:
        return 0
    total = int(pool.total_bytes())
    _peak["reserved"] = max(_peak["reserved"], total)
    return total


def max_memory_reserved(device=None):
    memory_reserved(device)
    return _peak["reserved"]


def reset_peak_memory_stats(device=None):
    _peak["allocated"] = _peak["reserved"] = 0


def empty_cache():
    """Give the pool's cached (unused) blocks back to the driver."""
    pool = memory_pool()
    if pool is not None:
        pool.free_all_blocks()
