"""Randomness: every random draw in ember goes through a ``Generator``.

A Generator wraps a NumPy PCG64 bit generator. ``ember.manual_seed(s)`` reseeds the
default one; ``get_state()``/``set_state()`` round-trip exactly, so a checkpointed run
resumes bit for bit.
"""
import json

import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "get_numpy_rng"]


class Generator:
    """A source of random numbers (``ember.Generator().manual_seed(0)``).

    Example:
        >>> g = ember.Generator().manual_seed(42)
        >>> ember.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 67280421310721  # PyTorch's default initial seed
        self._np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        """Reseed from OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor (JSON of the bit generator's state)."""
        from .tensor import Tensor
        st = {"seed": self._seed, "bit_generator": self._np.bit_generator.state}
        raw = np.frombuffer(json.dumps(st).encode(), dtype=np.uint8).copy()
        return Tensor._wrap(raw)

    def set_state(self, state):
        raw = state._data if hasattr(state, "_data") else np.asarray(state, dtype=np.uint8)
        st = json.loads(bytes(np.asarray(raw, dtype=np.uint8)).decode())
        self._seed = st["seed"]
        bg = np.random.PCG64()
        bg.state = st["bit_generator"]
        self._np = np.random.Generator(bg)
        return self

    def __getstate__(self):
        return {"device": self.device, "seed": self._seed, "bg": self._np.bit_generator.state}

    def __setstate__(self, st):
        self.device, self._seed = st["device"], st["seed"]
        bg = np.random.PCG64()
        bg.state = st["bg"]
        self._np = np.random.Generator(bg)


default_generator = Generator()


def get_numpy_rng(generator=None):
    """The numpy.random.Generator to draw from: ``generator``'s, or the default one's."""
    return (generator or default_generator)._np


def manual_seed(seed):
    """Seed the default generator (and so every default random draw in ember)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
