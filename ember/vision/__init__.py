"""ember.vision: datasets and transforms with torchvision's module names.

``from ember.vision import datasets, transforms`` replaces
``from torchvision import datasets, transforms``.
"""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
