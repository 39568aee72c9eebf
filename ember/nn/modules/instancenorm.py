"""Instance normalization layers: InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
(PyTorch's defaults: ``affine=False``, ``track_running_stats=False``)."""
import warnings

from .. import functional as F
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _batched_dim = 3

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, input):
        d = self._batched_dim
        if input.ndim not in (d - 1, d):
            raise ValueError(f"expected {d - 1}D or {d}D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.ndim == self._batched_dim - 1
        fdim = 0 if unbatched else 1
        if input.shape[fdim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{type(self).__name__}: expected input's size at dim={fdim} to match "
                    f"num_features ({self.num_features}), but got input of shape "
                    f"{tuple(input.shape)}")
            warnings.warn(
                f"{type(self).__name__}: input's size at dim={fdim} does not match "
                f"num_features ({self.num_features}); since affine=False num_features is "
                "not used.", stacklevel=2)
        if unbatched:
            input = input.unsqueeze(0)
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                              self.bias, self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of a (N, C, L) or unbatched (C, L) input: each (sample,
    channel) is normalized over L.

    Args:
        num_features (int): C.
        eps (float): Default: 1e-5.
        momentum (float): running-statistics factor. Default: 0.1.
        affine (bool): learnable per-channel ``weight`` and ``bias``. Default: False.
        track_running_stats (bool): keep running statistics and use them in eval mode.
            Default: False.

    Shape:
        Input: (N, C, L) or (C, L). Output: same shape.

    Example:
        >>> ember.nn.InstanceNorm1d(4)(ember.randn(2, 4, 10)).shape
        ember.Size([2, 4, 10])
    """
    _batched_dim = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of a (N, C, H, W) or unbatched (C, H, W) input; see
    :class:`InstanceNorm1d`.

    Example:
        >>> ember.nn.InstanceNorm2d(3)(ember.randn(2, 3, 8, 8)).shape
        ember.Size([2, 3, 8, 8])
    """
    _batched_dim = 4


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of a (N, C, D, H, W) or unbatched (C, D, H, W) input; see
    :class:`InstanceNorm1d`.

    Example:
        >>> ember.nn.InstanceNorm3d(3)(ember.randn(2, 3, 4, 4, 4)).shape
        ember.Size([2, 3, 4, 4, 4])
    """
    _batched_dim = 5
