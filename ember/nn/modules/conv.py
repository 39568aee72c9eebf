"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, with PyTorch's
constructor arguments, parameter names and shapes, and default initialisation."""
import math

from ...ops.conv import _convnd, _conv_transposend, pad_indexed
from ...ops._im2col import ntuple
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _empty(shape, device, dtype):
    import ember
    kw = {}
    if dtype is not None:
        kw["dtype"] = dtype
    if device is not None:
        kw["device"] = device
    return ember.empty(*shape, **kw)


class _ConvNd(Module):
    _nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        kernel_size = ntuple(kernel_size, nd, "kernel_size", name)
        stride = ntuple(stride, nd, "stride", name)
        dilation = ntuple(dilation, nd, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one "
                                 "of ['valid', 'same']")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
        else:
            padding = ntuple(padding, nd, "padding", name)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.output_padding = ntuple(output_padding, nd, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        if self.transposed:
            wshape = (in_channels, out_channels // groups) + kernel_size
        else:
            wshape = (out_channels, in_channels // groups) + kernel_size
        self.weight = Parameter(_empty(wshape, device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_channels,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        nd = self._nd
        if self.padding != (0,) * nd:
            s += ", padding={padding}"
        if self.dilation != (1,) * nd:
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * nd:
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0,
                         groups, bias, padding_mode, device, dtype)

    def _pads(self):
        if self.padding == "valid":
            z = (0,) * self._nd
            return z, z
        if self.padding == "same":
            tot = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            lo = tuple(t // 2 for t in tot)
            return lo, tuple(t - a for t, a in zip(tot, lo))
        return self.padding, self.padding

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            lo, hi = self._pads()
            input = pad_indexed(input, lo, hi, self.padding_mode, type(self).__name__)
            return _convnd(self._nd, input, weight, bias, self.stride, 0, self.dilation,
                           self.groups)
        return _convnd(self._nd, input, weight, bias, self.stride, self.padding, self.dilation,
                       self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


_CONV_DOC = """{nd}-D convolution layer (PyTorch's ``nn.Conv{nd}d``).

Args:
    in_channels, out_channels: channel counts.
    kernel_size: int or tuple.
    stride: default 1.
    padding: int, tuple, ``'valid'`` or ``'same'``. Default 0.
    dilation: default 1.
    groups: default 1 (``in_channels`` groups = depthwise).
    bias: learnable bias (default True).
    padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.

Attributes:
    weight: ``(out_channels, in_channels / groups, {kdims})``, kaiming_uniform_(a=sqrt(5)).
    bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

Shape:
    Input ``(N, C_in, {dims})`` (or unbatched), output ``(N, C_out, {odims})``.

Example:
    >>> conv = ember.nn.Conv{nd}d(3, 16, 3, padding=1)
    >>> conv(ember.randn(8, 3, {ex})).shape
"""


class Conv1d(_Conv):
    _nd = 1


class Conv2d(_Conv):
    _nd = 2


class Conv3d(_Conv):
    _nd = 3


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        return _conv_transposend(self._nd, input, self.weight, self.bias, self.stride,
                                 self.padding, self.output_padding, self.groups, self.dilation,
                                 output_size=output_size)


_CONVT_DOC = """{nd}-D transposed convolution layer (PyTorch's ``nn.ConvTranspose{nd}d``), the
gradient of a convolution with respect to its input.

Args:
    in_channels, out_channels, kernel_size, stride, padding, groups, bias, dilation: as the
        convolution that this layer transposes.
    output_padding: extra size on one side of each output dim (< stride or dilation).

Attributes:
    weight: ``(in_channels, out_channels / groups, {kdims})``.
    bias: ``(out_channels,)``.

Shape:
    ``O = (S - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1``;
    ``forward(input, output_size=None)`` may ask for any size in ``[O, O + stride)``.

Example:
    >>> up = ember.nn.ConvTranspose{nd}d(16, 3, 3, stride=2, padding=1, output_padding=1)
    >>> up(ember.randn(8, 16, {ex})).shape
"""


class ConvTranspose1d(_ConvTranspose):
    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    _nd = 2


class ConvTranspose3d(_ConvTranspose):
    _nd = 3


_EX = {1: ("L", "kL", "L_out", "32"), 2: ("H, W", "kH, kW", "H_out, W_out", "32, 32"),
       3: ("D, H, W", "kD, kH, kW", "D_out, H_out, W_out", "8, 16, 16")}
for _nd, _c in ((1, Conv1d), (2, Conv2d), (3, Conv3d)):
    _c.__doc__ = _CONV_DOC.format(nd=_nd, dims=_EX[_nd][0], kdims=_EX[_nd][1],
                                  odims=_EX[_nd][2], ex=_EX[_nd][3])
for _nd, _c in ((1, ConvTranspose1d), (2, ConvTranspose2d), (3, ConvTranspose3d)):
    _c.__doc__ = _CONVT_DOC.format(nd=_nd, dims=_EX[_nd][0], kdims=_EX[_nd][1],
                                   odims=_EX[_nd][2], ex=_EX[_nd][3])
