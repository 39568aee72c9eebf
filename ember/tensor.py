"""``ember.Tensor``: an n-dimensional array with automatic differentiation.

The Tensor wraps a backend array (``_data``: numpy on the CPU, cupy on CUDA) and the
autograd state: ``requires_grad``, ``grad``, ``grad_fn``. The class is kept lean
(``__slots__``, no validation on the internal path) because every op creates one.
Operators and math methods are attached in ``ember._tensor_methods``.
"""
import numpy as np

from . import dtypes as _dt
from .autograd import engine as _engine
from .autograd import op as _op
from .autograd.grad_mode import STATE
from .backend import CPU, as_device, device_of, to_device_array, get_array_module as _xp_of

__all__ = ["Tensor"]


class Tensor:
    """A multi-dimensional array that can record operations for autograd.

    Create tensors with ``ember.tensor(data)``, ``ember.zeros(...)``, ``ember.randn(...)``
    and friends rather than the constructor (``ember.Tensor(2, 3)`` makes an
    uninitialised float32 tensor of shape (2, 3), as in PyTorch).

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 4.]], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """
    __slots__ = ("_data", "_rg", "_grad", "grad_fn", "_vc", "_base", "_view_chain",
                 "_acc", "_retains_grad", "_out_nr", "__weakref__")

    def __init__(self, *args, dtype=None, device=None):
        if len(args) == 1 and not isinstance(args[0], int):
            if dtype is None and not isinstance(args[0], (Tensor, np.ndarray, np.generic)):
                # ember.Tensor([1, 2]) is float, as in PyTorch (arrays keep their dtype:
                # nn.Parameter(array) relies on it)
                dtype = _dt.get_default_dtype()
            arr = _to_array(args[0], dtype)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = np.empty(tuple(shape), dtype=_dt.to_numpy_dtype(dtype))
        self._init(arr, False, None)

    @classmethod
    def _wrap(cls, arr, requires_grad=False, grad_fn=None):
        """Internal constructor: wrap ``arr`` as is (no copy, no checks). Every Tensor
        ember makes (ops, creation functions, the engine) is built here or in __init__,
        both through ``_init``."""
        if arr.__class__ is not np.ndarray and isinstance(arr, np.generic):
            arr = np.asarray(arr)  # NumPy math on 0-d arrays returns scalars
        t = object.__new__(cls)
        t._init(arr, requires_grad, grad_fn)
        return t

    def _init(self, arr, requires_grad, grad_fn):
        self._data = arr
        self._rg = requires_grad
        self._grad = None
        self.grad_fn = grad_fn
        self._vc = None
        self._base = None
        self._view_chain = ()
        self._acc = None
        self._retains_grad = False
        self._out_nr = 0   # which output of grad_fn this tensor is

    # -- autograd state ------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set whether autograd records ops on this (leaf) tensor; returns self."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, "
                               f"got {self.dtype}")
        self._rg = bool(requires_grad)
        return self

    @property
    def grad(self):
        """The accumulated gradient of a leaf (None until a backward reaches it)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {tuple(value.shape)} "
                                   f"vs tensor {tuple(self.shape)}")
        self._grad = value

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def retains_grad(self):
        return self._retains_grad

    def _get_vc(self):
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    @property
    def _version(self):
        return 0 if self._vc is None else self._vc[0]

    def _bump_version(self):
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _acc_node(self):
        return _op._edge(self)[0]

    def detach(self):
        """A new tensor sharing storage, cut from the graph (requires_grad=False)."""
        t = Tensor._wrap(self._data)
        t._vc = self._get_vc()
        return t

    def detach_(self):
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self):
        """A detached tensor sharing this tensor's storage; assigning replaces the storage."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        value = value._data if isinstance(value, Tensor) else _to_array(value, None)
        self._data = value

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def _retain(grad):
            t = ref()
            if t is not None:
                g = grad.detach() if not STATE.enabled else grad
                t._grad = Tensor._wrap(g._data.copy()) if t._grad is None else t._grad + g
        self.grad_fn._register_tensor_hook(self._out_nr, _retain)
        self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``.remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, nr = _op._edge(self)
        return node._register_tensor_hook(nr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a backward has accumulated into this leaf's
        ``.grad`` (e.g. to start an optimizer step or a gradient all-reduce for this
        parameter while the rest of backward still runs). Returns a handle with
        ``.remove()``.

        Example:
            >>> w = ember.ones(3, requires_grad=True)
            >>> h = w.register_post_accumulate_grad_hook(lambda p: print(p.grad))
            >>> (w * 2).sum().backward()
            tensor([2., 2., 2.])
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        node = _op._edge(self)[0]
        hooks = node._post_acc_hooks
        if hooks is None:
            hooks = node._post_acc_hooks = []
        hooks.append(hook)
        return _op._RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. the graph leaves (see
        ``ember.autograd.backward``)."""
        if gradient is None and inputs is None and not create_graph and self._rg:
            # the common `loss.backward()`: skip the argument normalisation
            d = self._data
            if d.size == 1:
                if d.__class__ is np.ndarray:
                    one = _ONES.get(d.dtype)
                    if one is None:
                        one = _ONES[d.dtype] = np.ones((), d.dtype)
                    one = one.copy() if not d.ndim else one.copy().reshape(d.shape)
                else:
                    one = _xp_of(d).ones(d.shape, d.dtype)
                _engine.backward_scalar(self, one, bool(retain_graph))
                return
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- metadata ------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self):
        return _dt._FROM_NUMPY[self._data.dtype]

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def itemsize(self):
        return self._data.itemsize

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if type(self._data) is np.ndarray else int(self._data.data.ptr)

    # -- conversion ----------------------------------------------------------------
    def numpy(self, force=False):
        """The NumPy array behind this CPU tensor (shares memory)."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError("can't convert cuda tensor to numpy. Use Tensor.cpu() first.")
            return to_device_array(self._data, CPU)
        return self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return to_device_array(self._data, CPU).tolist()

    def __array__(self, dtype=None, copy=None):
        arr = to_device_array(self._data, CPU)
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        """Convert dtype and/or device: ``t.to(ember.float64)``, ``t.to('cpu')``,
        ``t.to(other)``."""
        for a in args:
            if isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif a is not None:
                device = a
        t = self
        if device is not None:
            dev = as_device(device)
            if dev != self.device:
                from .ops.elementwise import ToDevice
                t = ToDevice.apply(t, device=dev)
        if dtype is not None and _dt.to_numpy_dtype(dtype) != t._data.dtype:
            from .ops.elementwise import Cast
            t = Cast.apply(t, dtype=_dt.to_numpy_dtype(dtype))
        if copy and t is self:
            t = self.clone()
        return t

    def type(self, dtype=None):
        if dtype is None:
            return "ember." + {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}[self._data.dtype.kind] + "Tensor"
        return self.to(dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(as_device("cuda" if device is None else device))

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def long(self):
        return self.to(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def short(self):
        return self.to(_dt.int16)

    def bool(self):
        return self.to(_dt.bool)

    def byte(self):
        return self.to(_dt.uint8)

    def char(self):
        return self.to(_dt.int8)

    def type_as(self, other):
        return self.to(other.dtype)

    # -- Python protocol -----------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__
    # NumPy defers to Tensor's reflected operators (np.float64(2) * t is a Tensor)
    __array_ufunc__ = None

    def __repr__(self):
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        arr = to_device_array(self._data, CPU)
        return (_rebuild, (arr, self._rg, str(self.device)))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment")
        t = type(self).__new__(type(self))
        Tensor.__init__(t, self._data.copy())
        t._rg = self._rg
        if self._grad is not None:
            t._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = t
        return t


_ONES = {}  # dtype -> a 0-d one: the seed gradient of ``loss.backward()`` is a fresh copy


def _rebuild(arr, requires_grad, device="cpu"):
    t = Tensor._wrap(arr)
    if device != "cpu":
        t = t.to(device)
    t._rg = requires_grad
    return t


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``ember.Size([2, 3])``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


def _wrap_dim(dim, ndim, op="op"):
    """A non-negative axis for ``dim`` in a tensor of ``ndim`` dims (IndexError if out of range)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _to_array(data, dtype):
    """A fresh backend array from Python data / arrays / tensors, with PyTorch's dtype
    inference (floats -> default float dtype, ints -> int64, bools -> bool)."""
    npd = None if dtype is None else _dt.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data
        return arr.copy() if npd is None else arr.astype(npd)
    if isinstance(data, np.generic):  # NumPy scalars keep their dtype, as in PyTorch
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        if npd is None:
            _dt.from_numpy_dtype(data.dtype)  # TypeError for unsupported dtypes
            return data.copy()
        return data.astype(npd)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensors_to_lists(data)
    arr = np.array(data)
    if npd is not None:
        return arr.astype(npd, copy=False)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(_dt.get_default_dtype().numpy, copy=False)
    if kind in "iu":
        return arr.astype(np.int64, copy=False)
    if kind == "b":
        return arr
    raise TypeError(f"tensor(): could not infer a dtype for data of type {type(data).__name__} "
                    f"(numpy made {arr.dtype}); pass numbers, nested lists of numbers, or arrays")


def _flat(seq):
    for x in seq:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


_op._Tensor = Tensor
