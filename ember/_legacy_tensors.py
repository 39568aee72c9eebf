"""PyTorch's legacy typed constructors: ``ember.FloatTensor([1, 2])`` and friends.

Each name builds a CPU tensor of one dtype (``LongTensor([1.7])`` is ``tensor([1])``,
int64) and works with ``isinstance``: ``isinstance(x, ember.FloatTensor)`` is True for
exactly the float32 tensors, as in PyTorch. They are not subclasses of ``ember.Tensor``
(PyTorch's are not either); new code should use ``ember.tensor(data, dtype=...)``.

Example:
    >>> ember.DoubleTensor([1, 2]).dtype
    ember.float64
    >>> isinstance(ember.tensor([1.0]), ember.FloatTensor)
    True
"""
from . import dtypes as _dt
from .tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
           "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


class _TensorType(type):
    """Metaclass of the typed constructors: calling one makes a tensor of its dtype,
    ``isinstance`` checks the dtype."""

    def __call__(cls, *args, device=None):
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}(): expected a tensor of dtype {cls.dtype}, got "
                                f"{args[0].dtype}")
            return args[0]
        if not args:
            args = (0,)
        return Tensor(*args, dtype=cls.dtype)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __repr__(cls):
        return f"<class 'ember.{cls.__name__}'>"


def _make(name, dtype):
    return _TensorType(name, (), {"dtype": dtype, "__module__": "ember",
                                   "__doc__": f"Legacy constructor of {dtype} CPU tensors."})


FloatTensor = _make("FloatTensor", _dt.float32)
DoubleTensor = _make("DoubleTensor", _dt.float64)
HalfTensor = _make("HalfTensor", _dt.float16)
LongTensor = _make("LongTensor", _dt.int64)
IntTensor = _make("IntTensor", _dt.int32)
ShortTensor = _make("ShortTensor", _dt.int16)
CharTensor = _make("CharTensor", _dt.int8)
ByteTensor = _make("ByteTensor", _dt.uint8)
BoolTensor = _make("BoolTensor", _dt.bool)
