"""Pooling layers with PyTorch's names, arguments and reprs: MaxPool, AvgPool,
AdaptiveAvgPool, AdaptiveMaxPool, MaxUnpool, LPPool (1-d, 2-d, 3-d)."""
from ...ops import pool as P
from ...ops._im2col import ntuple
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d",
           "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d"]


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                "dilation={dilation}, ceil_mode={ceil_mode}").format(**self.__dict__)

    def forward(self, input):
        return P._max_poolnd(self._nd, input, self.kernel_size, self.stride, self.padding,
                             self.dilation, self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over ``(N, C, L)``; arguments as ``F.max_pool1d``.

    Example:
        >>> ember.nn.MaxPool1d(2)(ember.randn(4, 3, 10)).shape   # (4, 3, 5)
    """
    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over ``(N, C, H, W)`` (PyTorch's ``nn.MaxPool2d``).

    Args:
        kernel_size, stride (default kernel_size), padding (-inf), dilation, ceil_mode,
        return_indices: see ``F.max_pool2d``.

    Example:
        >>> ember.nn.MaxPool2d(2)(ember.randn(4, 3, 8, 8)).shape   # (4, 3, 4, 4)
    """
    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over ``(N, C, D, H, W)``; arguments as ``F.max_pool3d``."""
    _nd = 3


class _AvgPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        nd, name = self._nd, type(self).__name__
        if nd == 1:
            self.kernel_size = ntuple(kernel_size, 1, "kernel_size", name)
            self.stride = ntuple(stride if stride is not None else kernel_size, 1, "stride", name)
            self.padding = ntuple(padding, 1, "padding", name)
        else:
            self.kernel_size = kernel_size
            self.stride = stride if (stride is not None) else kernel_size
            self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        if nd != 1:
            self.divisor_override = divisor_override

    def extra_repr(self):
        return "kernel_size={}, stride={}, padding={}".format(self.kernel_size, self.stride,
                                                              self.padding)

    def forward(self, input):
        return P._avg_poolnd(self._nd, input, self.kernel_size, self.stride, self.padding,
                             self.ceil_mode, self.count_include_pad,
                             getattr(self, "divisor_override", None))


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling (PyTorch's ``nn.AvgPool1d``; no divisor_override).

    Example:
        >>> ember.nn.AvgPool1d(2)(ember.randn(4, 3, 10)).shape   # (4, 3, 5)
    """
    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling (PyTorch's ``nn.AvgPool2d``); arguments as ``F.avg_pool2d``.

    Example:
        >>> ember.nn.AvgPool2d(2)(ember.randn(4, 3, 8, 8)).shape   # (4, 3, 4, 4)
    """
    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling (PyTorch's ``nn.AvgPool3d``)."""
    _nd = 3


class _AdaptiveAvgPoolNd(Module):
    _nd = 2

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return "output_size={}".format(self.output_size)

    def forward(self, input):
        return P._adaptive_avgnd(self._nd, input, self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed length ``output_size`` over ``(N, C, L)``."""
    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed ``output_size`` (int or (H, W); None keeps that dim).

    Example:
        >>> ember.nn.AdaptiveAvgPool2d((1, 1))(ember.randn(2, 8, 7, 7)).shape   # (2, 8, 1, 1)
    """
    _nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed ``output_size`` over ``(N, C, D, H, W)``."""
    _nd = 3


class _AdaptiveMaxPoolNd(Module):
    _nd = 2

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return "output_size={}".format(self.output_size)

    def forward(self, input):
        return P._adaptive_maxnd(self._nd, input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed length ``output_size`` over ``(N, C, L)``."""
    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed ``output_size``; ``return_indices`` as ``MaxPool2d``.

    Example:
        >>> ember.nn.AdaptiveMaxPool2d(2)(ember.randn(2, 8, 7, 7)).shape   # (2, 8, 2, 2)
    """
    _nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed ``output_size`` over ``(N, C, D, H, W)``."""
    _nd = 3


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        nd, name = self._nd, type(self).__name__
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = ntuple(stride if stride is not None else kernel_size, nd, "stride", name)
        self.padding = ntuple(padding, nd, "padding", name)

    def extra_repr(self):
        return "kernel_size={}, stride={}, padding={}".format(self.kernel_size, self.stride,
                                                              self.padding)

    def forward(self, input, indices, output_size=None):
        return P._max_unpoolnd(self._nd, input, indices, self.kernel_size, self.stride,
                               self.padding, output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool1d``: ``forward(input, indices, output_size=None)``."""
    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool2d`` (non-maximal positions are zero).

    Example:
        >>> pool, unpool = ember.nn.MaxPool2d(2, return_indices=True), ember.nn.MaxUnpool2d(2)
        >>> y, i = pool(x); unpool(y, i).shape == x.shape
    """
    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool3d``."""
    _nd = 3


class _LPPoolNd(Module):
    _nd = 2

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return ("norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, "
                "ceil_mode={ceil_mode}").format(**self.__dict__)

    def forward(self, input):
        return P._lp_poolnd(self._nd, input, self.norm_type, self.kernel_size, self.stride,
                            self.ceil_mode)


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 1-D windows."""
    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 2-D windows (p=inf: max pooling).

    Example:
        >>> ember.nn.LPPool2d(2, 2)(ember.randn(1, 3, 8, 8)).shape   # (1, 3, 4, 4)
    """
    _nd = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3-D windows."""
    _nd = 3
