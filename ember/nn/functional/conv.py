"""Convolutions (``F.conv2d`` ...), transposed convolutions, and ``unfold`` / ``fold``
(im2col / col2im as public functions). The ops live in ``ember.ops.conv``."""
from ...ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
                         conv_transpose3d)
from ...ops.fold import unfold, fold

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]
