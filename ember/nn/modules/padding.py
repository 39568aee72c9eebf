"""Padding layers (``ember.nn.ZeroPad2d``, ``ReflectionPad2d``, ...), thin modules over ``F.pad``."""
from ...ops.shape import pad
from .module import Module

__all__ = []


def _expand(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(padding)
    if len(padding) != 2 * n:
        raise ValueError(f"padding must be an int or a {2 * n}-tuple, got {padding}")
    return padding


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = _expand(padding, self.dims)
        self.value = value

    def forward(self, input):
        if input.dim() not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {self.dims + 1}D or {self.dims + 2}D input "
                             f"(got {input.dim()}D input of shape {tuple(input.shape)})")
        if self.mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self.mode)

    def extra_repr(self):
        if type(self).__name__.startswith("Constant"):  # PyTorch's own two formats
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _make(name, mode, dims, doc):
    def __init__(self, padding, *args):
        _PadNd.__init__(self, padding, *args)
    cls = type(name, (_PadNd,), {"mode": mode, "dims": dims, "__doc__": doc, "__module__": __name__})
    if name.startswith("Constant"):
        cls.__init__ = lambda self, padding, value: _PadNd.__init__(self, padding, value)
    else:
        cls.__init__ = lambda self, padding: _PadNd.__init__(self, padding, 0.0)
    globals()[name] = cls
    __all__.append(name)


for _d in (1, 2, 3):
    _make(f"ZeroPad{_d}d", "constant", _d, f"Pad the last {_d} dim(s) with zeros.\n\n"
          "Args:\n    padding: int or (left, right[, top, bottom[, front, back]]).\n\n"
          "Example:\n    >>> nn.ZeroPad2d(1)(ember.ones(1, 1, 2, 2)).shape\n    ember.Size([1, 1, 4, 4])")
    _make(f"ConstantPad{_d}d", "constant", _d, f"Pad the last {_d} dim(s) with a constant ``value``.")
    _make(f"ReflectionPad{_d}d", "reflect", _d, f"Pad the last {_d} dim(s) by reflecting at the border.")
    _make(f"ReplicationPad{_d}d", "replicate", _d, f"Pad the last {_d} dim(s) by repeating the border.")
    _make(f"CircularPad{_d}d", "circular", _d, f"Pad the last {_d} dim(s) circularly (wrap around).")
