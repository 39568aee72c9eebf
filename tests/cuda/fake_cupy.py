"""A stand-in for CuPy to test ember's CUDA code path without a GPU.

``FakeArray`` holds a NumPy array but is a distinct type that NumPy refuses, as CuPy's
arrays are: ``np.asarray(a)`` / ``np.exp(a)`` / ``np_array + a`` raise ``TypeError``
(CuPy: "Implicit conversion to a NumPy array is not allowed"). Anything in ember that
would fall back to NumPy math on tensor data therefore fails here as it would on a GPU.
The module mirrors the part of CuPy's API ember uses: NumPy's functions (wrapped: arrays
in and out are FakeArrays), ``asnumpy``, ``ndarray.get``, ``cuda.Device``,
``cuda.runtime``, ``cuda.Stream``, ``get_default_memory_pool``, ``fuse``, ``random``.
As in CuPy, reductions and element indexing give 0-d arrays, not NumPy scalars.

Use: ``prev = ember.backend.use_cuda_module(fake_cupy.module)`` (tests/cuda/conftest.py).
"""
import sys
import types

import numpy as np

_MSG = "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly."
# NumPy names that CuPy lacks (calling them through the stand-in fails as on a GPU)
_MISSING = {"errstate", "seterr", "geterr", "frompyfunc", "vectorize", "memmap", "fromfile",
            "fromstring", "frombuffer", "loadtxt", "genfromtxt", "save", "savez", "load"}


# ufuncs a NumPy scalar's arithmetic/comparison operators call
_OPERATOR_UFUNCS = {"add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "remainder",
                    "power", "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                    "bitwise_and", "bitwise_or", "bitwise_xor", "matmul"}


class _Device:
    """``cupy.cuda.Device``: a context manager; arrays made inside know their device id."""
    current = 0

    def __init__(self, device=None):
        self.id = _Device.current if device is None else int(device)
        self._prev = []

    def __enter__(self):
        self._prev.append(_Device.current)
        _Device.current = self.id
        return self

    def __exit__(self, *exc):
        _Device.current = self._prev.pop()

    def use(self):
        _Device.current = self.id

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def _unwrap(x):
    """FakeArrays (also inside lists/tuples/dicts) to their NumPy arrays; NumPy arrays refused
    as CuPy refuses them (scalars, dtypes and everything else pass)."""
    if isinstance(x, FakeArray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type <class 'numpy.ndarray'> (a NumPy array mixed with "
                        f"CUDA arrays; shape {x.shape})")
    if type(x) in (list, tuple):
        return type(x)(_unwrap(v) for v in x)
    if type(x) is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x, dev=None):
    """NumPy results to FakeArrays (NumPy scalars become 0-d arrays, as CuPy returns)."""
    if isinstance(x, np.ndarray):
        return FakeArray(x, dev)
    if isinstance(x, np.generic):
        return FakeArray(np.asarray(x), dev)
    if isinstance(x, tuple):  # NumPy's named results (SVDResult, ...) come back as tuples, as CuPy's
        return tuple(_wrap(v, dev) for v in x)
    if type(x) is list:
        return [_wrap(v, dev) for v in x]
    return x


def _func(fn, name):
    def call(*args, **kwargs):
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    call.__name__ = name
    call.__wrapped__ = fn
    return call


class FakeArray:
    """A "device" array: NumPy storage, but NumPy itself may not touch it."""
    __slots__ = ("_a", "_dev")
    __array_priority__ = 100

    def __init__(self, a, dev=None):
        self._a = a
        self._dev = _Device.current if dev is None else dev

    # NumPy refuses to convert or compute on it, as it does CuPy arrays
    def __array__(self, *args, **kwargs):
        raise TypeError(_MSG)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # `np.float32(2) / a` reaches here through the NumPy scalar's operator; CuPy
        # computes it on the device, so the stand-in does too. Explicit NumPy calls with
        # CUDA arrays (np.exp(a)) are refused: ember must use the array module.
        if method == "__call__" and ufunc.__name__ in _OPERATOR_UFUNCS and not kwargs and len(inputs) == 2 \
                and any(isinstance(v, np.generic) for v in inputs):
            return _wrap(ufunc(*_unwrap(inputs)), self._dev)
        raise TypeError(f"numpy.{ufunc.__name__} called on a CUDA array: {_MSG}")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} called on a CUDA array: {_MSG}")

    # CuPy's own API
    @property
    def device(self):
        return _Device(self._dev)

    def get(self, stream=None, out=None):
        """The array copied to the host (a NumPy array)."""
        return self._a.copy()

    def set(self, arr):
        self._a[...] = arr

    def __cuda_array_interface__(self):  # pragma: no cover - presence only
        raise NotImplementedError

    # plain attributes
    shape = property(lambda self: self._a.shape)

    @shape.setter
    def shape(self, value):  # CuPy's in-place reshape (AttributeError when a copy would be needed)
        self._a.shape = value
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    base = property(lambda self: None if self._a.base is None else FakeArray(self._a.base, self._dev))
    T = property(lambda self: FakeArray(self._a.T, self._dev))
    mT = property(lambda self: FakeArray(self._a.swapaxes(-1, -2), self._dev))
    real = property(lambda self: FakeArray(self._a.real, self._dev))
    imag = property(lambda self: FakeArray(self._a.imag, self._dev))

    def __getattr__(self, name):  # methods: reshape, sum, astype, ...
        if name.startswith("__") or name in ("tofile", "dump", "dumps", "tobytes", "ctypes"):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr, self._dev)
        dev = self._dev

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)), dev)
        return method

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)], self._dev)

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for v in self._a:
            yield _wrap(v, self._dev)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return "fake_cupy." + repr(self._a)

    def __copy__(self):
        return FakeArray(self._a.copy(), self._dev)

    def __deepcopy__(self, memo):
        return FakeArray(self._a.copy(), self._dev)

    def __reduce__(self):
        return (_rebuild, (self._a, self._dev))

    def __dlpack__(self, *a, **k):
        raise TypeError(_MSG)


def _rebuild(a, dev):
    return FakeArray(a, dev)


def _binop(name):
    def op(self, other):
        return _wrap(getattr(self._a, name)(_unwrap(other)), self._dev)
    op.__name__ = name
    return op


def _iop(name):
    def op(self, other):
        getattr(self._a, name)(_unwrap(other))
        return self
    op.__name__ = name
    return op


def _unop(name):
    def op(self):
        return _wrap(getattr(self._a, name)(), self._dev)
    op.__name__ = name
    return op


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
           "lshift", "rshift", "divmod"):
    setattr(FakeArray, f"__{_n}__", _binop(f"__{_n}__"))
    setattr(FakeArray, f"__r{_n}__", _binop(f"__r{_n}__"))
    if _n != "divmod":
        setattr(FakeArray, f"__i{_n}__", _iop(f"__i{_n}__"))
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeArray, f"__{_n}__", _binop(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(FakeArray, f"__{_n}__", _unop(f"__{_n}__"))
FakeArray.__hash__ = None


class _Ufunc:
    """A NumPy ufunc taking and giving FakeArrays (``__call__``, ``reduce``, ``at``, ...)."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout = uf.nin, uf.nout

    def __call__(self, *args, **kwargs):
        return _wrap(self._uf(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, name):
        return _func(getattr(self._uf, name), f"{self.__name__}.{name}")


class _Namespace(types.ModuleType):
    """A module whose NumPy functions are wrapped on first use."""

    def __init__(self, name, src, extra=None):
        super().__init__(name)
        self._src = src
        for k, v in (extra or {}).items():
            setattr(self, k, v)

    def __getattr__(self, name):
        if name.startswith("__") or name in _MISSING:
            raise AttributeError(f"module 'cupy' has no attribute '{name}'")
        attr = getattr(self._src, name)
        if isinstance(attr, np.ufunc):
            out = _Ufunc(attr)
        elif isinstance(attr, type) or isinstance(attr, types.ModuleType) or not callable(attr):
            out = attr  # dtypes (np.float32), constants (np.pi, np.newaxis)
        else:
            out = _func(attr, name)
        setattr(self, name, out)
        return out


# -- the module ----------------------------------------------------------------------
def asarray(a, dtype=None, order=None, **kw):
    """Copy host data to the "device" (or return a device array as it is)."""
    if isinstance(a, FakeArray):
        if a._dev != _Device.current:  # another device: a copy on this one
            return FakeArray(np.array(a._a, dtype=dtype), _Device.current)
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    if type(a) in (list, tuple) and any(isinstance(v, FakeArray) for v in a):
        return FakeArray(np.asarray([_unwrap(v) for v in a], dtype=dtype))
    return FakeArray(np.array(a, dtype=dtype, order=order or "K"))


def array(a, dtype=None, copy=True, order="K", ndmin=0, **kw):
    if isinstance(a, FakeArray):
        return FakeArray(np.array(a._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    if type(a) in (list, tuple) and any(isinstance(v, FakeArray) for v in a):
        a = [_unwrap(v) for v in a]
    return FakeArray(np.array(a, dtype=dtype, order=order, ndmin=ndmin))


def asnumpy(a, stream=None, order="C", out=None):
    """A device array copied to the host."""
    return a.get() if isinstance(a, FakeArray) else np.asarray(a)


def get_array_module(*args):
    return module if any(isinstance(a, FakeArray) for a in args) else np


def fuse(*args, **kwargs):
    """``cupy.fuse``: the stand-in runs the Python function as it is."""
    if args and callable(args[0]):
        return args[0]
    return lambda f: f


class _Pool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


_POOL = _Pool()


class _Stream:
    def synchronize(self):
        pass


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 2

    @staticmethod
    def getDeviceProperties(i):
        return {"name": b"Fake CUDA device (NumPy)", "major": 9, "minor": 0, "totalGlobalMem": 1 << 34}


_cuda = types.SimpleNamespace(Device=_Device, runtime=_Runtime, Stream=types.SimpleNamespace(null=_Stream()),
                              get_device_id=lambda: _Device.current)

module = _Namespace("fake_cupy", np, {
    "ndarray": FakeArray, "asarray": asarray, "array": array, "asnumpy": asnumpy,
    "get_array_module": get_array_module, "fuse": fuse, "cuda": _cuda,
    "get_default_memory_pool": lambda: _POOL,
    "linalg": _Namespace("fake_cupy.linalg", np.linalg),
    "fft": _Namespace("fake_cupy.fft", np.fft),
    "lib": types.SimpleNamespace(stride_tricks=_Namespace("fake_cupy.lib.stride_tricks",
                                                          np.lib.stride_tricks)),
})
sys.modules.setdefault("fake_cupy", module)
