"""Random number generators per device.

Each CUDA device has its own ``ember.Generator`` (``ember.cuda.manual_seed``), as in
PyTorch. Draws for CUDA tensors run the device's Mersenne Twister on the host and copy the
result over: reproducible from the seed, and the same numbers as a CPU draw after the same
seed (PyTorch's CUDA generator is a Philox counter, so its numbers differ from both).
"""
from ._device import as_device

__all__ = ["default_generator_for", "cuda_generators", "seed_cuda"]

_cuda_generators = {}


def default_generator_for(dev):
    """The default ``ember.Generator`` of device ``dev`` (the CPU's is ``ember.default_generator``)."""
    dev = as_device(dev)
    if dev.type == "cpu":
        from ..random import default_generator
        return default_generator
    idx = dev.index or 0
    g = _cuda_generators.get(idx)
    if g is None:
        from ..random import Generator
        g = _cuda_generators[idx] = Generator(device=f"cuda:{idx}")
    return g


def cuda_generators(count):
    """The default generators of CUDA devices 0..count-1."""
    return [default_generator_for(f"cuda:{i}") for i in range(count)]


def seed_cuda(seed, devices=None):
    """Seed the default generators of ``devices`` (indices; None: every one made so far
    and device 0)."""
    idx = set(_cuda_generators) | {0} if devices is None else devices
    for i in idx:
        default_generator_for(f"cuda:{i}").manual_seed(seed)
