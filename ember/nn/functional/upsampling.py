"""Resizing (``F.interpolate`` and its deprecated aliases). The ops live in
``ember.ops.upsample``."""
from ...ops.upsample import interpolate, upsample, upsample_nearest, upsample_bilinear

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]
