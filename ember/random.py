"""Randomness: every random draw in ember goes through a ``Generator``.

A Generator is PyTorch's CPU generator rebuilt on NumPy: a 32-bit Mersenne Twister
(``numpy.random.MT19937``) seeded the way PyTorch seeds it, plus the one cached normal
sample PyTorch keeps. ``ember.manual_seed(s)`` then ``rand``/``randn``/``randint``/
``randperm``/``uniform_``/``normal_`` and the ``nn.init`` functions built on them give
the same numbers as PyTorch CPU after ``torch.manual_seed(s)`` (the transforms are in
``ember/_random_draws.py``). Other distributions (bernoulli, dropout masks, multinomial,
poisson, exponential, ...) draw from the same stream through ``get_numpy_rng`` with
NumPy's own transforms: reproducible, but not PyTorch's numbers.

``get_state()``/``set_state()`` round-trip exactly, so a checkpointed run resumes bit
for bit.
"""
import json

import numpy as np

from ._random_draws import mt19937_key

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "get_numpy_rng"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


class Generator:
    """A source of random numbers (``ember.Generator().manual_seed(0)``).

    Example:
        >>> g = ember.Generator().manual_seed(42)
        >>> ember.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._bg = np.random.MT19937()
        self._bg.state = {"bit_generator": "MT19937",
                          "state": {"key": mt19937_key(seed), "pos": 624}}
        self._np = np.random.Generator(self._bg)  # shares the stream with _bg
        self._normal_cache = None
        return self

    def seed(self):
        """Reseed from OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def _state_dict(self):
        st = self._bg.state["state"]
        return {"seed": self._seed, "key": [int(k) for k in st["key"]], "pos": int(st["pos"]),
                "normal_cache": self._normal_cache}

    def _load_state_dict(self, st):
        if "key" not in st:
            raise RuntimeError("Generator.set_state: this state was saved by an older ember "
                               "(a PCG64 generator, before ember drew PyTorch's numbers); "
                               "reseed with manual_seed instead")
        self._seed = st["seed"]
        self._bg = np.random.MT19937()
        self._bg.state = {"bit_generator": "MT19937",
                          "state": {"key": np.array(st["key"], dtype=np.uint32), "pos": st["pos"]}}
        self._np = np.random.Generator(self._bg)
        self._normal_cache = st.get("normal_cache")

    def get_state(self):
        """The state as a uint8 tensor (JSON of the Mersenne Twister state)."""
        from .tensor import Tensor
        raw = np.frombuffer(json.dumps(self._state_dict()).encode(), dtype=np.uint8).copy()
        return Tensor._wrap(raw)

    def set_state(self, state):
        raw = state._data if hasattr(state, "_data") else np.asarray(state, dtype=np.uint8)
        self._load_state_dict(json.loads(bytes(np.asarray(raw, dtype=np.uint8)).decode()))
        return self

    def __getstate__(self):
        return {"device": self.device, **self._state_dict()}

    def __setstate__(self, st):
        self.device = st["device"]
        self._load_state_dict(st)


default_generator = Generator()


def _gen(generator=None, device=None):
    """``generator``, or the default one of ``device`` (the CPU's when None)."""
    if generator is not None:
        return generator
    if device is None or device == "cpu" or getattr(device, "type", None) == "cpu":
        return default_generator
    from .backend import default_generator_for
    return default_generator_for(device)


def get_numpy_rng(generator=None):
    """The numpy.random.Generator to draw from: ``generator``'s, or the default one's.
    It shares the Mersenne Twister stream with the PyTorch-compatible draws."""
    return _gen(generator)._np


def manual_seed(seed):
    """Seed the default generator (and so every default random draw in ember), and the
    CUDA devices' generators as PyTorch does."""
    from .backend import seed_cuda
    seed_cuda(seed)
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
