"""Normalization layers: LayerNorm, GroupNorm, LocalResponseNorm, RMSNorm."""
import numbers

import ember
from ..parameter import Parameter
from .. import functional as F
from .module import Module

__all__ = ["LayerNorm", "GroupNorm", "LocalResponseNorm", "RMSNorm"]


class _AffineNorm(Module):
    """Shared by the normalization layers: an optional per-element scale (ones) and shift
    (zeros), registered as None when absent, as PyTorch does."""

    def _init_affine(self, enabled, bias, shape, kw):
        if enabled:
            self.weight = Parameter(ember.ones(shape, **kw))
            if bias:
                self.bias = Parameter(ember.zeros(shape, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight._data[...] = 1
        if getattr(self, "bias", None) is not None:
            self.bias._data[...] = 0


def _kw(device, dtype):
    kw = {}
    if dtype is not None:
        kw["dtype"] = dtype
    if device is not None:
        kw["device"] = device
    return kw


class LayerNorm(_AffineNorm):
    """Layer normalization over the trailing ``normalized_shape`` dimensions (one fused op):
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, statistics per sample.

    Args:
        normalized_shape (int or tuple): the trailing shape to normalize over.
        eps (float): Default: 1e-5.
        elementwise_affine (bool): learnable ``weight`` (ones) and ``bias`` (zeros) of
            shape ``normalized_shape``. Default: True.
        bias (bool): learnable bias (with elementwise_affine). Default: True.

    Shape:
        Input: (*, *normalized_shape). Output: same shape.

    Example:
        >>> ln = ember.nn.LayerNorm(8)
        >>> ln(ember.randn(2, 5, 8)).shape
        ember.Size([2, 5, 8])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        kw = _kw(device, dtype)
        self._init_affine(elementwise_affine, bias, self.normalized_shape, kw)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(_AffineNorm):
    """Group normalization: channels split into ``num_groups`` groups, each (sample,
    group) normalized over its channels and positions, then a per-channel affine.

    Args:
        num_groups (int): number of groups; divides ``num_channels``.
        num_channels (int): C.
        eps (float): Default: 1e-5.
        affine (bool): learnable per-channel ``weight`` and ``bias``. Default: True.

    Shape:
        Input: (N, C, *). Output: same shape.

    Example:
        >>> gn = ember.nn.GroupNorm(2, 6)
        >>> gn(ember.randn(4, 6, 5, 5)).shape
        ember.Size([4, 6, 5, 5])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        kw = _kw(device, dtype)
        self._init_affine(affine, bias, num_channels, kw)

    def forward(self, input):
        if input.ndim >= 2 and input.shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm: expected input with {self.num_channels} channels, "
                               f"got input of shape {tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalization across channels (AlexNet):
    ``x / (k + alpha / size * sum_{window} x^2) ** beta``.

    Args:
        size (int): channels in the window. alpha (float): Default: 1e-4.
        beta (float): Default: 0.75. k (float): Default: 1.0.

    Shape:
        Input: (N, C, *). Output: same shape.

    Example:
        >>> ember.nn.LocalResponseNorm(3)(ember.randn(2, 6, 4, 4)).shape
        ember.Size([2, 6, 4, 4])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(_AffineNorm):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims:
    ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        normalized_shape (int or tuple). eps (float or None): Default: machine epsilon of
            the input dtype. elementwise_affine (bool): learnable ``weight``. Default: True.

    Example:
        >>> ember.nn.RMSNorm(8)(ember.randn(2, 8)).shape
        ember.Size([2, 8])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ember.ones(self.normalized_shape, **_kw(device, dtype)))
        else:
            self.register_parameter("weight", None)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
