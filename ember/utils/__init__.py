"""ember.utils: helpers outside the core tensor library (PyTorch's ``torch.utils``).

``ember.utils.data`` holds datasets, samplers and the DataLoader.
"""
from . import data

__all__ = ["data"]
