"""ember's dtypes: thin named wrappers over NumPy dtypes, with PyTorch's names and
type-promotion rules.

``ember.float32`` prints as ``ember.float32`` and compares by identity; the NumPy dtype
behind it is ``d.numpy``. Promotion follows PyTorch, not NumPy: a Python float next to
an integer tensor gives the default float dtype (float32), and Python scalars or 0-d
tensors never widen a dimensioned tensor of the same category.
"""
import numpy as np

__all__ = ["dtype", "float16", "half", "float32", "float", "float64", "double",
           "uint8", "int8", "int16", "short", "int32", "int", "int64", "long", "bool",
           "get_default_dtype", "set_default_dtype", "promote_types"]

_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A tensor element type (``ember.float32``, ``ember.int64``, ...)."""
    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_dtype):
        self.name = name
        self.numpy = np.dtype(np_dtype)
        kind = self.numpy.kind
        self.is_floating_point = kind == "f"
        self.is_signed = kind in "fi"
        self.itemsize = self.numpy.itemsize
        self._category = _FLOAT if kind == "f" else (_BOOL if kind == "b" else _INT)

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):  # pickle as the singleton
        return (_by_name, (self.name,))

    def to_real(self):
        return self


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NUMPY = {d.numpy: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}
_default_float = float32


def _by_name(name):
    return _NAMES[name]


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError if ember has none."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _FROM_NUMPY:
            return _FROM_NUMPY[d]
        raise TypeError(f"ember has no dtype for numpy dtype {d}; supported: "
                        + ", ".join(x.name for x in _ALL)) from None


def to_numpy_dtype(d):
    """The NumPy dtype of an ember dtype (also accepts NumPy dtypes, Python types, names)."""
    if d is None:
        return _default_float.numpy
    if type(d) is dtype:
        return d.numpy
    if d is _pyfloat:
        return _default_float.numpy
    if d is _pyint:
        return np.dtype(np.int64)
    if d is _pybool:
        return np.dtype(np.bool_)
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d].numpy
    try:
        npd = np.dtype(d)
    except TypeError:
        raise TypeError(f"expected an ember dtype, got {d!r}") from None
    return from_numpy_dtype(npd).numpy


import builtins as _b  # noqa: E402  (Python's own types, shadowed by the names above)
_pyfloat, _pyint, _pybool = _b.float, _b.int, _b.bool


def get_default_dtype():
    """The default floating dtype (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Set the default floating dtype: ember.float32 or ember.float64."""
    global _default_float
    if d not in (float16, float32, float64):
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_float = d


def promote_types(a, b):
    """The dtype PyTorch gives an op on two tensors of dtypes a and b."""
    return from_numpy_dtype(np.promote_types(a.numpy, b.numpy))


def result_dtype(a, b):
    """Result NumPy dtype of a binary op between ``a`` and ``b`` (Tensors or Python scalars).

    PyTorch rules: dimensioned tensors win over 0-d tensors, which win over Python
    scalars, unless the weaker operand is of a higher category (bool < int < float).
    """
    ca, cb = _rank(a), _rank(b)
    da, db = _np_dtype_of(a), _np_dtype_of(b)
    if ca == cb:
        if da == db:
            return da
        ka, kb = _cat(da), _cat(db)
        if ka != kb:  # PyTorch keeps the higher category's dtype: int64 + float32 -> float32
            return da if ka > kb else db
        return np.promote_types(da, db)
    if ca > cb:
        a, b, ca, cb, da, db = b, a, cb, ca, db, da
    # a is the stronger operand
    ka, kb = _cat(da), _cat(db)
    if kb > ka:
        if cb == 2:  # weak operand is a Python scalar: default dtype of its category
            return _default_float.numpy if kb == _FLOAT else np.dtype(np.int64)
        return db if kb == _FLOAT else np.promote_types(da, db)
    return da


def _cat(npd):
    k = npd.kind
    return _FLOAT if k == "f" else (_BOOL if k == "b" else _INT)


def _rank(x):
    """0: dimensioned tensor, 1: 0-d tensor, 2: Python scalar."""
    d = getattr(x, "_data", None)
    if d is None:
        return 2
    return 0 if d.ndim else 1


def _np_dtype_of(x):
    d = getattr(x, "_data", None)
    if d is not None:
        return d.dtype
    if isinstance(x, _pybool):
        return np.dtype(np.bool_)
    if isinstance(x, _pyint):
        return np.dtype(np.int64)
    if isinstance(x, _pyfloat):
        return np.dtype(np.float64)
    if isinstance(x, np.generic):
        return x.dtype
    raise TypeError(f"unsupported operand type {type(x).__name__}")
