"""Upsampling layers: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d (PyTorch's)."""
from ...ops.upsample import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resizes ``(N, C, *S)`` inputs (1-3 spatial dims) with ``F.interpolate``.

    Args:
        size: output spatial size, or
        scale_factor: spatial multiplier (float or tuple).
        mode: 'nearest' (default), 'nearest-exact', 'linear', 'bilinear', 'bicubic',
            'trilinear' or 'area'.
        align_corners: for linear-type modes (default False behaviour).
        recompute_scale_factor: compute the coordinate scale from the sizes.

    Example:
        >>> ember.nn.Upsample(scale_factor=2, mode="bilinear")(ember.randn(1, 3, 4, 4)).shape
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``).

    Example:
        >>> ember.nn.UpsamplingNearest2d(scale_factor=2)(ember.randn(1, 3, 4, 4)).shape
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with ``align_corners=True`` (as PyTorch's).

    Example:
        >>> ember.nn.UpsamplingBilinear2d(scale_factor=2)(ember.randn(1, 3, 4, 4)).shape
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
