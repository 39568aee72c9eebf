"""Attach operators and math methods to ``Tensor`` (one place that maps each PyTorch
Tensor method to its ember op)."""
import types

import numpy as np

from . import dtypes as _dt
from .ops import elementwise as E, reduce as R, shape as S, index as I, linalg as L, activation as A
from .ops.inplace import inplace
from .ops._args import wrap_dim, broadcast_shape, torch_dtype_name, check_nonempty_dims, not_implemented_for
from .ops.nn_activation import erf as _erf, erfc as _erfc
from .random import get_numpy_rng
from .tensor import Tensor
from .autograd.op import Op as _Op


def _method(fn):
    fn = getattr(fn, "__wrapped__", fn)  # Tensor methods take no out= (as in PyTorch): skip its wrapper
    if isinstance(fn, types.FunctionType):
        return fn  # a Python function binds as a method itself (no wrapper call per use)

    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = fn.__name__
    m.__doc__ = fn.__doc__
    return m


# -- operators ------------------------------------------------------------------------
def _raw(fn):
    """The op without its ``out=`` wrapper (ember/ops/_out.py): operators skip one call."""
    return getattr(fn, "__wrapped__", fn)


(_add, _sub, _mul, _div, _floor_divide, _remainder, _pow, _neg, _abs, _logical_not, _bitwise_not, _eq, _ne,
 _lt, _le, _gt, _ge, _matmul) = map(_raw, (E.add, E.sub, E.mul, E.div, E.floor_divide, E.remainder, E.pow, E.neg,
                                          E.abs, E.logical_not, E.bitwise_not, E.eq, E.ne, E.lt, E.le, E.gt,
                                          E.ge, L.matmul))
# the arithmetic operators go straight to the op for float tensors of one dtype and Python
# numbers (the common case), and through the full function otherwise
Tensor.__add__ = E.operator(E.Add, E.AddScalar, _add)
Tensor.__radd__ = E.roperator(E.AddScalar, lambda a, b: _add(b, a))
Tensor.__sub__ = E.operator(E.Sub, E.AddScalar, _sub, negate=True)
Tensor.__rsub__ = E.roperator(E.RSubScalar, lambda a, b: _sub(b, a))
Tensor.__mul__ = E.operator(E.Mul, E.MulScalar, _mul)
Tensor.__rmul__ = E.roperator(E.MulScalar, lambda a, b: _mul(b, a))
Tensor.__truediv__ = E.operator(E.Div, E.DivScalar, lambda a, b: _div(a, b))
Tensor.__rtruediv__ = E.roperator(E.RDivScalar, lambda a, b: _div(b, a))
Tensor.__floordiv__ = lambda a, b: _floor_divide(a, b)
Tensor.__rfloordiv__ = lambda a, b: _floor_divide(b, a)
Tensor.__mod__ = lambda a, b: _remainder(a, b)
Tensor.__rmod__ = lambda a, b: _remainder(b, a)
Tensor.__pow__ = lambda a, b: _pow(a, b)
Tensor.__rpow__ = lambda a, b: _pow(b, a)
Tensor.__matmul__ = lambda a, b: _matmul(a, b)
Tensor.__rmatmul__ = lambda a, b: _matmul(b, a)
Tensor.__neg__ = lambda a: _neg(a)
Tensor.__pos__ = lambda a: a
Tensor.__abs__ = lambda a: _abs(a)
Tensor.__invert__ = lambda a: _logical_not(a) if a._data.dtype == np.bool_ else _bitwise_not(a)
Tensor.__eq__ = lambda a, b: _eq(a, b)
Tensor.__ne__ = lambda a, b: _ne(a, b)
Tensor.__lt__ = lambda a, b: _lt(a, b)
Tensor.__le__ = lambda a, b: _le(a, b)
Tensor.__gt__ = lambda a, b: _gt(a, b)
Tensor.__ge__ = lambda a, b: _ge(a, b)


def _bitop(npfn, name):
    def op(a, b):
        x = a._data
        y = b._data if isinstance(b, Tensor) else b
        dt = _dt.result_dtype(a, b)
        broadcast_shape(name, getattr(x, "shape", ()), getattr(y, "shape", ()))
        if y.__class__ is int and dt.kind in "iu":
            y = np.array(y).astype(dt)[()]  # Python ints wrap around into the tensor's dtype, as in PyTorch
        if dt.kind == "f":
            raise NotImplementedError(f"{name}(): \"{name}_cpu\" not implemented for '{torch_dtype_name(dt)}'")
        from .backend import get_array_module
        xp = get_array_module(x)
        return Tensor._wrap(xp.asarray(getattr(xp, npfn)(x, y)).astype(dt, copy=False))
    return op


Tensor.__and__ = Tensor.__rand__ = _bitop("bitwise_and", "bitwise_and")
Tensor.__or__ = Tensor.__ror__ = _bitop("bitwise_or", "bitwise_or")
Tensor.__xor__ = Tensor.__rxor__ = _bitop("bitwise_xor", "bitwise_xor")
Tensor.__getitem__ = lambda self, key: I.getitem(self, key)


def _is_masked_fill(k, value):
    """``x[..., bool_mask] = 0-d value`` (one tensor index, a mask): PyTorch runs masked_fill_,
    which casts the value."""
    arrays = [a for a in k if hasattr(a, "dtype") and not isinstance(a, np.generic)]  # NumPy or CUDA arrays
    return value._data.ndim == 0 and len(arrays) == 1 and arrays[0].dtype == np.bool_


def _setitem(self, key, value):
    from .backend import get_array_module
    xp = get_array_module(self._data)
    k, basic = I._index_key(key, xp)
    if not isinstance(value, Tensor):
        value = Tensor._wrap(xp.asarray(value, dtype=self._data.dtype))
    elif value._data.dtype != self._data.dtype:
        if not basic and not _is_masked_fill(k, value):  # index_put_ does not cast (PyTorch)
            I._check_bounds(self._data.shape, k)  # ... after checking the indices
            self._data[k]  # noqa: B018 - and that they broadcast together (IndexError)
            raise RuntimeError(f"setitem: Index put requires the source and destination dtypes match, got "
                               f"{torch_dtype_name(self._data.dtype)} for the destination and "
                               f"{torch_dtype_name(value._data.dtype)} for the source.")
        value = value.to(self.dtype)
    from .autograd.grad_mode import STATE
    if not STATE.enabled or not (self._rg or value._rg):
        try:
            self._data[k] = value._data
        except IndexError:
            I._check_bounds(self._data.shape, k)
            raise
        except ValueError as e:
            if "read-only" in str(e):
                raise RuntimeError("setitem: cannot write into an expanded tensor; clone() it first") from None
            raise RuntimeError(f"setitem: value of shape {tuple(value._data.shape)} cannot be broadcast to "
                               f"the indexed region of a tensor of shape {tuple(self._data.shape)}") from e
        self._bump_version()
        return
    inplace(self, lambda t, v: I.IndexPut.apply(t, v, key=k), value, op="setitem")


Tensor.__setitem__ = _setitem


def _iop(fn, name):
    def m(self, other):
        return inplace(self, fn, other, op=name)
    m.__name__ = name
    return m


Tensor.__iadd__ = _iop(_add, "__iadd__")
Tensor.__isub__ = _iop(_sub, "__isub__")
Tensor.__imul__ = _iop(_mul, "__imul__")
Tensor.__itruediv__ = _iop(_div, "__itruediv__")
Tensor.__ipow__ = _iop(_pow, "__ipow__")

# -- out-of-place methods ---------------------------------------------------------------
for _name in ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "neg",
              "negative", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square",
              "abs", "absolute", "sign", "sgn", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
              "atan2", "floor", "ceil", "round", "trunc", "frac", "reciprocal", "clamp", "clip", "maximum",
              "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge", "equal", "logical_and",
              "logical_or", "logical_xor", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite",
              "isclose", "allclose", "lerp", "addcmul", "addcdiv", "nan_to_num", "signbit", "erfinv", "xlogy", "hypot", "deg2rad", "rad2deg"]:
    setattr(Tensor, _name, _method(getattr(E, _name)))
Tensor.erf = _method(_erf)
Tensor.erfc = _method(_erfc)
Tensor.multiply = Tensor.mul
Tensor.divide = Tensor.div
Tensor.subtract = Tensor.sub
Tensor.greater = Tensor.gt
Tensor.less = Tensor.lt
Tensor.greater_equal = Tensor.ge
Tensor.less_equal = Tensor.le
Tensor.not_equal = Tensor.ne
Tensor.arctan2 = Tensor.atan2
Tensor.where = lambda self, condition, y: E.where(condition, self, y)

for _name in ["sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "aminmax", "argmax", "argmin",
              "logsumexp", "norm", "cumsum", "cumprod", "all", "any", "count_nonzero", "median", "mode",
              "nansum", "nanmean"]:
    setattr(Tensor, _name, _method(getattr(R, _name)))

for _name in ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
              "swapaxes", "swapdims", "t", "movedim", "moveaxis", "expand", "broadcast_to", "repeat", "tile",
              "split", "chunk", "unbind", "flip", "fliplr", "flipud", "roll", "narrow", "clone", "contiguous",
              "tril", "triu", "diagonal", "diag", "diag_embed", "rot90", "ravel"]:
    setattr(Tensor, _name, _method(getattr(S, _name)))
Tensor.view_as = lambda self, other: S.view(self, other._data.shape)
Tensor.reshape_as = lambda self, other: S.reshape(self, other._data.shape)
Tensor.expand_as = lambda self, other: S.expand(self, other._data.shape)
Tensor.T = property(lambda self: S.permute(self, tuple(range(self._data.ndim - 1, -1, -1))),
                    doc="The tensor with its dims reversed.")
Tensor.mT = property(lambda self: S.transpose(self, -2, -1), doc="Transpose of the last two dims.")
Tensor.H = Tensor.T
Tensor.mH = Tensor.mT

for _name in ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select", "take",
              "take_along_dim", "nonzero", "index_add", "index_copy", "index_fill", "argwhere"]:
    setattr(Tensor, _name, _method(getattr(I, _name)))

for _name in ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm", "baddbmm", "tensordot"]:
    setattr(Tensor, _name, _method(getattr(L, _name)))

for _name in ["relu", "sigmoid", "tanh", "softmax", "log_softmax"]:
    setattr(Tensor, _name, _method(getattr(A, _name)))


def _sort(self, dim=-1, descending=False, stable=False, op="sort"):
    import collections
    X = self._data
    d = wrap_dim(dim, X.ndim, op)
    r = collections.namedtuple("sort", ["values", "indices"])
    from .backend import get_array_module
    xp = get_array_module(X)
    if X.ndim == 0:
        return r(self.clone(), Tensor._wrap(xp.zeros((), dtype=np.int64)))
    if descending and X.dtype.kind != "b":  # sort the negated values (widened: small ints would wrap)
        idx = xp.argsort(-X.astype(np.int64) if X.dtype.kind in "iu" else -X, axis=d, kind="stable")
    else:
        idx = xp.argsort(X, axis=d, kind="stable")
    if descending and X.dtype.kind == "b":
        idx = xp.flip(xp.argsort(X, axis=d, kind="stable"), d)
    it = Tensor._wrap(idx.astype(np.int64))
    return r(I.gather(self, d, it), it)


def _argsort(self, dim=-1, descending=False, stable=False):
    return _sort(self, dim, descending, op="argsort").indices


def _topk(self, k, dim=-1, largest=True, sorted=True):
    import collections
    d = wrap_dim(dim, self._data.ndim, "topk")
    if self._data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = self._data.shape[d] if self._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, dim {d} has size {n})")
    s = _sort(self, d, descending=largest, op="topk")
    r = collections.namedtuple("topk", ["values", "indices"])
    if self._data.ndim == 0:
        return r(*s)
    return r(S.narrow(s.values, d, 0, k), S.narrow(s.indices, d, 0, k))


def _kthvalue(self, k, dim=-1, keepdim=False):
    import collections
    d = wrap_dim(dim, self._data.ndim, "kthvalue")
    n = self._data.shape[d] if self._data.ndim else 1
    if self._data.ndim:
        check_nonempty_dims(self._data.shape, (d,), "kthvalue")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if self._data.ndim:
        not_implemented_for("kthvalue_cpu", self, "b")
    s = _sort(self, d, op="kthvalue")
    if self._data.ndim == 0:
        return collections.namedtuple("kthvalue", ["values", "indices"])(*s)
    v, i = S.narrow(s.values, d, k - 1, 1), S.narrow(s.indices, d, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(d), i.squeeze(d)
    return collections.namedtuple("kthvalue", ["values", "indices"])(v, i)


Tensor.sort = _sort
Tensor.argsort = _argsort
Tensor.topk = _topk
Tensor.kthvalue = _kthvalue
Tensor.unique = lambda self, sorted=True, return_inverse=False, return_counts=False, dim=None: _unique(
    self, sorted, return_inverse, return_counts, dim)


def _unique(t, sorted=True, return_inverse=False, return_counts=False, dim=None):
    from .backend import get_array_module
    xp = get_array_module(t._data)
    res = xp.unique(t._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(res, tuple):
        return Tensor._wrap(res)
    out = [Tensor._wrap(res[0])]
    for r in res[1:]:
        out.append(Tensor._wrap(xp.asarray(r).astype(np.int64).reshape(t._data.shape if r is res[1] and
                                                                        return_inverse and dim is None else -1)))
    return tuple(out)


def _bincount(self, weights=None, minlength=0):
    w = None if weights is None else weights._data
    from .backend import get_array_module
    r = get_array_module(self._data).bincount(self._data, w, minlength=minlength)
    return Tensor._wrap(r if w is not None else r.astype(np.int64))


Tensor.bincount = _bincount


def _new(fill):
    def m(self, *size, dtype=None, device=None, requires_grad=False):
        shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        npd = self._data.dtype if dtype is None else _dt.to_numpy_dtype(dtype)
        t = Tensor._wrap(_on_device(fill(tuple(shape), npd), self, device))
        if requires_grad:
            t.requires_grad_()
        return t
    return m


Tensor.new_zeros = _new(np.zeros)
Tensor.new_ones = _new(np.ones)
Tensor.new_empty = _new(np.empty)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    npd = self._data.dtype if dtype is None else _dt.to_numpy_dtype(dtype)
    return Tensor._wrap(_on_device(np.full(tuple(size), fill_value, dtype=npd), self, device))


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from .creation import tensor
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _on_device(arr, like, device=None):
    """Host array ``arr`` on ``device`` (default: ``like``'s device), as ``Tensor.new_*`` make."""
    if device is None and like._data.__class__ is np.ndarray:
        return arr
    from .backend import as_device, to_device_array
    return to_device_array(arr, like.device if device is None else as_device(device))


def _dev(t):
    """The device whose generator draws for ``t`` (None: the CPU's)."""
    return None if t._data.__class__ is np.ndarray else t.device


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor

# -- in-place methods ---------------------------------------------------------------------


def _inplace_method(fn, name):
    def m(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)
    m.__name__ = name
    m.__doc__ = f"In-place version of ``{name[:-1]}``."
    return m


for _name, _fn in [("add_", E.add), ("sub_", E.sub), ("mul_", E.mul), ("div_", E.div), ("pow_", E.pow),
                   ("neg_", E.neg), ("exp_", E.exp), ("log_", E.log), ("sqrt_", E.sqrt), ("abs_", E.abs),
                   ("clamp_", E.clamp), ("clip_", E.clamp), ("floor_", E.floor), ("ceil_", E.ceil),
                   ("round_", E.round), ("trunc_", E.trunc), ("sign_", E.sign), ("reciprocal_", E.reciprocal),
                   ("sin_", E.sin), ("cos_", E.cos), ("rsqrt_", E.rsqrt), ("square_", E.square),
                   ("lerp_", E.lerp), ("addcmul_", E.addcmul), ("addcdiv_", E.addcdiv), ("fmod_", E.fmod),
                   ("remainder_", E.remainder), ("maximum_", E.maximum), ("minimum_", E.minimum),
                   ("relu_", A.relu), ("sigmoid_", A.sigmoid), ("tanh_", A.tanh), ("erf_", _erf),
                   ("masked_fill_", I.masked_fill), ("index_fill_", I.index_fill), ("index_add_", I.index_add),
                   ("index_copy_", I.index_copy), ("scatter_", I.scatter), ("scatter_add_", I.scatter_add),
                   ("tril_", S.tril), ("triu_", S.triu), ("nan_to_num_", E.nan_to_num)]:
    setattr(Tensor, _name, _inplace_method(_fn, _name))


def _copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcastable) into this tensor's storage."""
    if not isinstance(src, Tensor):
        src = Tensor._wrap(np.asarray(src))
    if src._data.__class__ is not self._data.__class__ and src.device != self.device:
        src = src.to(self.device)  # copy_ crosses devices, as in PyTorch

    def fn(t, s):
        s = s.to(t.dtype) if s._data.dtype != t._data.dtype else s
        return _CopyInto.apply(t, s)
    return inplace(self, fn, src, op="copy_")


class _CopyInto(_Op):
    """``src`` broadcast to ``t``'s shape: the value ``t.copy_(src)`` writes. Gradient: zero
    for the overwritten ``t`` (its old values are never read: they may be NaN garbage from
    ``empty``), the incoming one summed back to ``src``'s shape (PyTorch's CopyBackwards)."""
    torch_name = "Copy"

    def forward(self, t, s):
        self.s_shape = s.shape
        return s.copy() if s.shape == t.shape else self.xp.broadcast_to(s, t.shape).copy()

    def derivative(self, grad):
        nt, ns = self.needs_input_grad
        return (grad * 0 if nt else None), (E.unbroadcast(grad, self.s_shape) if ns else None)


Tensor.copy_ = _copy_


def _fill_raw(self, arr):
    """Write ``arr`` into the tensor (leaf or not, outside the graph): init ops."""
    from .autograd.grad_mode import STATE
    if STATE.enabled and self._rg and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the initialisation in `with ember.no_grad():`.")
    if arr.__class__ is np.ndarray and self._data.__class__ is not np.ndarray:
        from .backend import to_device_array
        arr = to_device_array(arr, self.device)  # drawn or built on the host
    if STATE.enabled and self.grad_fn is not None:
        return inplace(self, lambda t: Tensor._wrap(arr) + t * 0, op="fill_")
    self._data[...] = arr
    self._bump_version()
    return self


def _zero_(self):
    return _fill_raw(self, self._data.dtype.type(0))


def _fill_(self, value):
    v = value.item() if isinstance(value, Tensor) else value
    return _fill_raw(self, np.asarray(v, dtype=self._data.dtype))


def _draw_like(self, fill):
    """An array shaped and laid out like ``self._data`` (so serial kernels fill it in
    PyTorch's memory order), filled by ``fill(arr)`` (ember/_random_draws.py)."""
    dt = self._data.dtype
    work = dt if dt in (np.float32, np.float64) or dt.kind != "f" else np.dtype(np.float32)
    if isinstance(self._data, np.ndarray):
        arr = np.empty_like(self._data, dtype=work, order="K")
    else:  # a device array: draw on the host in logical order
        arr = np.empty(self._data.shape, dtype=work)
    fill(arr)
    return arr.astype(dt, copy=False)


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    from . import _random_draws, random
    gen = random._gen(generator, _dev(self))
    return _fill_raw(self, _draw_like(self, lambda a: _random_draws.normal(gen, a, mean, std)))


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    from . import _random_draws, random
    gen = random._gen(generator, _dev(self))
    return _fill_raw(self, _draw_like(self, lambda arr: _random_draws.uniform(gen, arr, a, b)))


def _bernoulli_(self, p=0.5, *, generator=None):
    from . import _random_draws, random
    gen = random._gen(generator, _dev(self))
    pv = p.cpu()._data if isinstance(p, Tensor) else p
    return _fill_raw(self, _draw_like(self, lambda arr: _random_draws.bernoulli(gen, arr, pv)))


def _random_(self, from_=0, to=None, *, generator=None):
    from . import _random_draws, random
    gen = random._gen(generator, _dev(self))
    if to is None and not from_:
        return _fill_raw(self, _draw_like(self, lambda arr: _random_draws.random_full(gen, arr)))
    if to is None:
        from_, to = 0, from_
    return _fill_raw(self, _draw_like(self, lambda arr: _random_draws.randint(gen, arr, from_, to)))


def _exponential_(self, lambd=1.0, *, generator=None):
    from . import random
    rng = get_numpy_rng(generator) if _dev(self) is None else random._gen(generator, _dev(self))._np
    return _fill_raw(self, rng.exponential(1.0 / lambd, self._data.shape).astype(self._data.dtype))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    from . import random
    rng = get_numpy_rng(generator) if _dev(self) is None else random._gen(generator, _dev(self))._np
    return _fill_raw(self, rng.lognormal(mean, std, self._data.shape).astype(self._data.dtype))


Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.normal_ = _normal_
Tensor.uniform_ = _uniform_
Tensor.bernoulli_ = _bernoulli_
Tensor.random_ = _random_
Tensor.exponential_ = _exponential_
Tensor.log_normal_ = _log_normal_


def _bernoulli(self, p=None, *, generator=None):
    from .creation import bernoulli
    return bernoulli(self, p, generator=generator)


Tensor.bernoulli = _bernoulli
Tensor.apply_ = lambda self, fn: _fill_raw(self, np.vectorize(fn)(self._data).astype(self._data.dtype))
Tensor.map_ = lambda self, other, fn: _fill_raw(self, np.vectorize(fn)(self._data, other._data).astype(self._data.dtype))
Tensor.share_memory_ = lambda self: self
Tensor.is_shared = lambda self: False
Tensor.pin_memory = lambda self: self
Tensor.is_pinned = lambda self: False
Tensor.untyped_storage = lambda self: self._data
Tensor.resize_ = lambda self, *shape: _resize_(self, S._shape_arg(shape))


def _resize_(self, shape):
    n = int(np.prod(shape))
    flat = self._data.reshape(-1)
    new = np.zeros(n, dtype=self._data.dtype)
    new[:min(n, flat.size)] = flat[:n]
    self._data = new.reshape(shape)
    return self
