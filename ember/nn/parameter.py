"""``ember.nn.Parameter``: a Tensor that a Module registers as one of its parameters."""
import numpy as np

from ..backend import CPU, to_device_array
from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


def _rebuild_parameter(array, requires_grad, device="cpu"):
    p = Parameter(Tensor._wrap(array), requires_grad)
    if device != "cpu":
        p._data = p.to(device)._data
    return p


class Parameter(Tensor):
    """A Tensor that is a module parameter.

    Assigning a ``Parameter`` to an attribute of a :class:`~ember.nn.Module` adds it to
    the module's ``parameters()``. The parameter shares its array with ``data`` (no copy)
    and is a leaf that requires a gradient by default.

    Args:
        data (Tensor or array-like, optional): the initial value; an empty float32 tensor
            when omitted.
        requires_grad (bool): whether the parameter needs a gradient. Default: True.

    Example:
        >>> w = ember.nn.Parameter(ember.zeros(2, 3))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)  # host: an empty placeholder
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = Tensor(data)._data
        self = cls._wrap(array)
        if data is not None and isinstance(data, Tensor):
            self._vc = data._get_vc()  # shares storage with data, so shares its version
        self.requires_grad_(bool(requires_grad))
        return self

    def __init__(self, data=None, requires_grad=True):  # state is set in __new__
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter,
                (to_device_array(self._data, CPU), self.requires_grad, str(self.device)))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._wrap(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        if self.grad is not None:
            result.grad = Tensor._wrap(self.grad._data.copy())
        return result


class Buffer(Tensor):
    """A marker for a module buffer: ``self.stats = nn.Buffer(ember.zeros(3))`` registers
    ``stats`` as a buffer (like ``register_buffer``), persistent unless
    ``persistent=False``. The module stores a plain Tensor sharing ``data``'s memory.
    """
    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)  # host: an empty placeholder
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = Tensor(data)._data
        self = cls._wrap(array)
        self.persistent = persistent
        return self

    def __init__(self, data=None, *, persistent=True):
        pass
