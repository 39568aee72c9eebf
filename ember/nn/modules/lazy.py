"""Lazy modules: ``LazyLinear``, ``LazyConv*``, ``LazyConvTranspose*``, ``LazyBatchNorm*``,
``LazyInstanceNorm*`` -- the input size is taken from the first input.

Until the first forward the parameters are ``UninitializedParameter`` placeholders (no
shape, no memory). The first call reads the size (``in_features``, ``in_channels`` or
``num_features``), materialises every placeholder *in place* -- the same Parameter
objects, so an optimizer built before the first forward keeps working -- draws the
initial values with the regular module's ``reset_parameters`` (the same random draws
PyTorch makes) and turns the module into its regular class (``LazyLinear`` -> ``Linear``).
"""
import numpy as np

import ember

from ..parameter import Parameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _Uninitialized:
    __slots__ = ()  # same layout as Tensor, so materialize can switch the class in place
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder its shape (uninitialised values) and make it a regular tensor."""
        dt = ember.dtypes.to_numpy_dtype(dtype) if dtype is not None else self._data.dtype
        from ...backend import as_device, array_module_for, get_array_module
        # on the placeholder's device (moved by .to()/.cuda() before the first forward)
        xp = get_array_module(self._data) if device is None else array_module_for(as_device(device))
        self._data = xp.empty(tuple(shape), dtype=dt)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    @property
    def shape(self):
        raise RuntimeError(f"Can't access the shape of an uninitialized parameter or buffer. This "
                           "error usually happens in `load_state_dict` when trying to load an "
                           "uninitialized parameter into an initialized one. Call `forward` to "
                           "initialize the parameters before accessing their attributes.")


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter without a shape yet; ``materialize(shape)`` turns it into a ``Parameter``."""
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, ember.empty(0, dtype=dtype or ember.get_default_dtype()),
                                 requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass  # all set up by __new__


class UninitializedBuffer(_Uninitialized, ember.Tensor):
    """A buffer without a shape yet; ``materialize(shape)`` turns it into a plain Tensor."""
    __slots__ = ()
    cls_to_become = ember.Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        return cls._wrap(np.empty(0, dtype=ember.dtypes.to_numpy_dtype(dtype or ember.get_default_dtype())))  # host: an empty placeholder

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass


class LazyModuleMixin:
    """Infers the module's parameters from its first input (see the module docstring)."""
    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._register_lazy_hook()

    def _register_lazy_hook(self):
        self._lazy_hook = self.register_forward_pre_hook(LazyModuleMixin._infer_parameters)

    def has_uninitialized_params(self):
        tensors = list(self._parameters.values()) + list(self._buffers.values())
        return any(isinstance(t, _Uninitialized) for t in tensors)

    @staticmethod
    def _infer_parameters(module, args):
        if not args:
            raise RuntimeError(f"{type(module).__name__}: the first call needs the input tensor")
        module.initialize_parameters(*args)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
        module._lazy_hook.remove()
        del module._lazy_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dimension of the first input.

    Example:
        >>> fc = nn.LazyLinear(10)
        >>> fc(ember.randn(4, 32)).shape; fc        # now Linear(in_features=32, ...)
    """
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with ember.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    def _lazy_init(self, out_channels, bias, dtype):
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if not self.has_uninitialized_params():
            return
        batched = self._nd + 2
        if input.ndim not in (batched - 1, batched):
            raise RuntimeError(f"Expected {batched - 1}D (unbatched) or {batched}D (batched) input "
                               f"to {type(self).__name__}, but got input of size: {tuple(input.shape)}")
        with ember.no_grad():
            self.in_channels = input.shape[1] if input.ndim == batched else input.shape[0]
            if self.in_channels % self.groups:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups) + tuple(self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups) + tuple(self.kernel_size)
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(base, transposed):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, *args, bias=True,
                 device=None, dtype=None, **kwargs):
        if transposed:  # (output_padding, groups, bias, dilation, padding_mode) positionally
            base.__init__(self, 0, 0, kernel_size, stride, padding, *args, bias=False, **kwargs)
        else:           # (dilation, groups, bias, padding_mode) positionally
            args = list(args)
            if len(args) >= 3:
                bias = args.pop(2)
            base.__init__(self, 0, 0, kernel_size, stride, padding, *args, bias=False, **kwargs)
        self._lazy_init(out_channels, bias, dtype)
        self._register_lazy_hook()
    name = "Lazy" + base.__name__
    doc = (f"``{base.__name__}`` whose ``in_channels`` is read from the first input "
           f"(dimension 1, or 0 for an unbatched input).")
    return type(name, (_LazyConvMixin, base), {"__init__": __init__, "cls_to_become": base,
                                               "__doc__": doc, "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


class _LazyNormMixin(LazyModuleMixin):
    def _lazy_init(self, affine, track_running_stats, dtype):
        self.num_features = 0
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = ember.tensor(0, dtype=ember.int64)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if not self.has_uninitialized_params():
            return
        with ember.no_grad():
            self.num_features = input.shape[1] if input.ndim > 1 else input.shape[0]
            for name in ("weight", "bias", "running_mean", "running_var"):
                t = getattr(self, name)
                if isinstance(t, _Uninitialized):
                    t.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base, affine_default, track_default):
    def __init__(self, eps=1e-5, momentum=0.1, affine=affine_default,
                 track_running_stats=track_default, device=None, dtype=None):
        # the regular __init__ wants a positive size: build with 1, then swap in placeholders
        base.__init__(self, 1, eps, momentum, affine, track_running_stats)
        self._lazy_init(affine, track_running_stats, dtype)
        self._register_lazy_hook()
    name = "Lazy" + base.__name__
    doc = f"``{base.__name__}`` whose ``num_features`` is read from the first input (dimension 1)."
    return type(name, (_LazyNormMixin, base), {"__init__": __init__, "cls_to_become": base,
                                               "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d, True, True)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, True, True)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, True, True)
# (the lazy instance norms default to affine=True, track_running_stats=True, as in PyTorch)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, True, True)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, True, True)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, True, True)
