"""Pooling functions (``F.max_pool2d``, ``F.avg_pool2d``, adaptive pooling, unpooling,
power-average pooling). The ops live in ``ember.ops.pool``."""
from ...ops.pool import (max_pool1d, max_pool2d, max_pool3d, max_pool1d_with_indices,
                         max_pool2d_with_indices, max_pool3d_with_indices, avg_pool1d,
                         avg_pool2d, avg_pool3d, adaptive_avg_pool1d, adaptive_avg_pool2d,
                         adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d,
                         adaptive_max_pool3d, adaptive_max_pool1d_with_indices,
                         adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices,
                         max_unpool1d, max_unpool2d, max_unpool3d, lp_pool1d, lp_pool2d,
                         lp_pool3d)

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "lp_pool1d", "lp_pool2d", "lp_pool3d"]
