"""The backend: devices, their array modules, transfers, random generators per device,
and the allocator/thread settings.

- ``_device``: ``ember.device`` objects (``'cpu'``, ``'cuda:0'``).
- ``_arrays``: the array module of a device or an array (``xp``: numpy or cupy),
  transfers between devices, the mixed-device check.
- ``_rng``: the default ``ember.Generator`` of each device.
- ``_allocator``: glibc's heap reuse for NumPy temporaries, CuPy's memory pool.
- thread settings: ``set_num_threads``/``get_num_threads`` (``ember/threads.py``).

Ops never import numpy for math; they use ``self.xp``, the array module of their inputs,
so the same op code runs on either device (tests/test_lint_xp.py checks).
"""
from ._device import device, CPU, as_device
from ._arrays import (is_cuda_available, cuda_module, use_cuda_module, array_module_for,
                      get_array_module, device_of, to_device_array, check_same_device)
from ._rng import default_generator_for, seed_cuda
from ._allocator import keep_freed_memory, memory_pool
from ..threads import set_num_threads, get_num_threads

__all__ = ["device", "CPU", "as_device", "is_cuda_available", "cuda_module", "use_cuda_module",
           "array_module_for", "get_array_module", "device_of", "to_device_array",
           "check_same_device", "default_generator_for", "seed_cuda", "keep_freed_memory",
           "memory_pool", "set_num_threads", "get_num_threads"]
