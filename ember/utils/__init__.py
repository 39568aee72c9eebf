"""ember.utils: helpers outside the core tensor library (PyTorch's ``torch.utils``).

``ember.utils.data`` holds datasets, samplers and the DataLoader;
``ember.utils.checkpoint`` activation checkpointing.
"""
from . import data
from . import checkpoint

__all__ = ["data", "checkpoint"]
