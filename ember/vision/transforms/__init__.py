"""ember.vision.transforms: image transforms with torchvision's names.

Accepts NumPy ``H x W`` / ``H x W x C`` arrays (uint8 usually) and ember Tensors
``(..., C, H, W)``; pure NumPy. ``functional`` holds the functional forms.
"""
from . import functional
from ._image import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, Grayscale, Lambda, Normalize,
                         Pad, PILToTensor, RandomAffine, RandomApply, RandomCrop,
                         RandomErasing, RandomGrayscale, RandomHorizontalFlip,
                         RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize,
                         ToTensor)

__all__ = ["functional", "InterpolationMode", "Compose", "ToTensor", "PILToTensor",
           "Normalize", "Lambda", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomRotation", "RandomCrop", "RandomResizedCrop", "Resize", "CenterCrop",
           "Pad", "ColorJitter", "RandomAffine", "RandomErasing", "Grayscale",
           "RandomGrayscale", "RandomApply"]
