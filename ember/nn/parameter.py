"""``ember.nn.Parameter``: a Tensor that a Module registers as one of its parameters."""
import copy

from ..tensor import Tensor

__all__ = ["Parameter"]


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._wrap(array), requires_grad)


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

    def __new__(cls, data=None, requires_grad=True):
        import numpy as np

        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = Tensor(data)._data
        self = Tensor._wrap.__func__(cls, array, requires_grad=bool(requires_grad)) \
            if hasattr(Tensor._wrap, "__func__") else None
        if self is None or type(self) is not cls:
            self = _make_subclass(cls, array, requires_grad)
        return self

    def __init__(self, data=None, requires_grad=True):  # state is set in __new__
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._wrap(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        if self.grad is not None:
            result.grad = copy.deepcopy(self.grad, memo)
        return result


def _make_subclass(cls, array, requires_grad):
    """Build an instance of a Tensor subclass around ``array`` without copying."""
    base = Tensor._wrap(array, requires_grad=False)
    self = object.__new__(cls)
    slots = []
    for klass in type(base).__mro__:
        slots.extend(getattr(klass, "__slots__", ()))
    for name in slots:
        if name in ("__dict__", "__weakref__"):
            continue
        try:
            object.__setattr__(self, name, object.__getattribute__(base, name))
        except AttributeError:
            pass
    if hasattr(base, "__dict__"):
        for k, v in base.__dict__.items():
            object.__setattr__(self, k, v)
    self.requires_grad = bool(requires_grad)
    return self
