"""Indexing ops: ``t[...]`` (ints, slices with steps, None, Ellipsis, integer tensors,
boolean masks), ``t[...] = v``, gather/scatter, index_select, masked_fill, take."""
import warnings

import numpy as np

from ..autograd.op import Op
from ..tensor import Tensor
from ._args import wrap_dim as _wrap_dim
from .elementwise import unbroadcast, _array_module
from ._out import with_out

__all__ = ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select",
           "take", "take_along_dim", "nonzero", "index_add", "index_copy", "index_fill", "argwhere"]


def _index_key(key, xp=np):
    """Convert tensors inside an index to arrays of ``xp`` (the indexed data's module: host
    lists and CPU index tensors go to the GPU, as PyTorch allows); report whether it is
    basic (a view)."""
    if isinstance(key, list) and _sequence_as_tuple(key):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
                      "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq].", UserWarning, stacklevel=4)
        key = tuple(key)
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.ndim == 0 and a.dtype.kind in "iu":
                out.append(int(a))
                continue
            if a.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got {k.dtype}")
            out.append(a)
            basic = False
        elif isinstance(k, (list, np.ndarray, range)):
            a = np.asarray(k)  # host: an index list, copied below for CUDA data
            if a.dtype.kind == "O":
                a = np.asarray([x._data if isinstance(x, Tensor) else x for x in k])  # host: as above
            if a.size == 0 and a.dtype.kind not in "iub":  # `[]` selects nothing, as an int64 index
                a = a.astype(np.int64)
            out.append(a)
            basic = False
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            out.append(int(k))
        elif k is None or k is Ellipsis or isinstance(k, slice):
            if isinstance(k, slice):
                k = slice(*(int(v) if isinstance(v, Tensor) else v for v in (k.start, k.stop, k.step)))
                if k.step is not None and k.step <= 0:
                    raise ValueError("step must be greater than zero")
            out.append(k)
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(k).__name__})")
    if basic and Ellipsis not in out:
        out.append(Ellipsis)  # makes NumPy return a 0-d view instead of a scalar copy
    if xp is not np and not basic:
        out = [xp.asarray(a) if isinstance(a, np.ndarray) else a for a in out]
    return tuple(out), basic


def _sequence_as_tuple(key):
    """PyTorch's legacy rule: a short list holding a sequence, tensor, slice, None or
    Ellipsis indexes like a tuple (``x[[[0, 1], [2, 0]]]`` is ``x[[0, 1], [2, 0]]``)."""
    return len(key) < 32 and any(isinstance(k, (list, tuple, range, slice, Tensor, np.ndarray)) or k is None
                                 or k is Ellipsis for k in key)


def _check_bounds(x_shape, key):
    """Raise PyTorch's IndexError (naming dim and size) for out-of-range integer indices."""
    dim = 0
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis and not
                 (isinstance(k, np.ndarray) and k.dtype == bool)) + sum(
        k.ndim for k in key if isinstance(k, np.ndarray) and k.dtype == bool)
    for k in key:
        if k is Ellipsis:
            dim += len(x_shape) - n_real
            continue
        if k is None:
            continue
        if isinstance(k, np.ndarray) and k.dtype == bool:
            dim += k.ndim
            continue
        if dim >= len(x_shape):
            raise IndexError(f"too many indices for tensor of dimension {len(x_shape)}")
        n = x_shape[dim]
        if isinstance(k, int):
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        elif isinstance(k, np.ndarray) and k.size:
            lo, hi = k.min(), k.max()
            if lo < -n or hi >= n:
                bad = hi if hi >= n else lo
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        dim += 1


class GetItem(Op):
    """``x[key]``: a view for basic keys, a copy for advanced ones."""
    torch_name = "Index"

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x[self.key]
        except IndexError:
            _check_bounds(x.shape, self.key)
            raise

    def view(self, arr):
        return arr[self.key]

    def backward(self, grad):
        return IndexBackward.apply(grad, key=self.key, shape=self.in_shape, basic=self.basic)


class GetItemView(GetItem):
    is_view = True


class IndexBackward(Op):
    """Scatter a gradient into zeros of ``shape`` at ``key`` (adding on repeated indices)."""

    def forward(self, g):
        z = self.xp.zeros(self.shape, dtype=g.dtype)
        if self.basic:
            z[self.key] = g
        else:
            self.xp.add.at(z, self.key, g)
        return z

    def backward(self, grad):
        return (GetItemView if self.basic else GetItem).apply(grad, key=self.key, basic=self.basic)


def getitem(x, key):
    k, basic = _index_key(key, _array_module(x._data))
    return (GetItemView if basic else GetItem).apply(x, key=k, basic=basic)


class IndexPut(Op):
    """Out-of-place ``x[key] = v`` (used by ``__setitem__`` through the in-place machinery)."""

    def forward(self, x, v):
        y = x.copy()
        try:
            y[self.key] = v
        except IndexError:
            _check_bounds(x.shape, self.key)
            raise
        except ValueError as e:
            raise RuntimeError(f"setitem: shape mismatch: value tensor of shape {tuple(v.shape)} cannot be "
                               f"broadcast to indexing result of tensor of shape {tuple(x.shape)} "
                               f"with index {self.key!r}") from e
        self.vshape = v.shape
        return y

    def backward(self, grad):
        nx, nv = self.needs_input_grad
        gx = gv = None
        if nx:
            gx = IndexPut.apply(grad, Tensor._wrap(grad._data.dtype.type(0)), key=self.key)
        if nv:
            gv = unbroadcast(GetItem.apply(grad, key=self.key, basic=False), self.vshape)
        return gx, gv


class Gather(Op):
    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.take_along_axis(x, self.index, self.axis)

    def backward(self, grad):
        return ScatterInto.apply(grad, index=self.index, axis=self.axis, shape=self.in_shape, add=True)


class ScatterInto(Op):
    """Zeros of ``shape`` with ``grad`` put (or added) at ``index`` along ``axis``."""
    add = False

    def forward(self, g):
        z = self.xp.zeros(self.shape, dtype=g.dtype)
        if self.add:
            _scatter_add_arr(z, self.axis, self.index, g)
        else:
            self.xp.put_along_axis(z, self.index, g, self.axis)
        return z

    def backward(self, grad):
        return Gather.apply(grad, index=self.index, axis=self.axis)


def _full_index(index, axis):
    """Open-mesh index arrays addressing ``index`` positions along ``axis``."""
    xp = _array_module(index)
    nd = index.ndim
    idx = [xp.arange(s).reshape((1,) * d + (s,) + (1,) * (nd - d - 1)) for d, s in enumerate(index.shape)]
    idx[axis] = index
    return tuple(idx)


def _scatter_add_arr(z, axis, index, src):
    _array_module(z).add.at(z, _full_index(index, axis), src[tuple(slice(s) for s in index.shape)])


def _check_index(op, x, dim, index):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    idx = index._data
    if idx.ndim != x._data.ndim and not (idx.ndim == 0 and x._data.ndim == 0):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(index shape {tuple(idx.shape)}, input shape {tuple(x._data.shape)})")
    n = x._data.shape[dim] if x._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):  # no negative indices here, as in PyTorch
        bad = idx.max() if idx.max() >= n else idx.min()
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {n}")
    return idx


@with_out
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` along ``dim`` (dim=1 example)."""
    d = _wrap_dim(dim, input._data.ndim, "gather")
    idx = _check_index("gather", input, d, index)
    if input._data.ndim == 0:  # a 0-d input behaves as one element along dim 0
        return Gather.apply(input.reshape(1), index=idx.reshape(1), axis=0).reshape(())
    shape, ishape = input._data.shape, idx.shape
    for i, (s, n) in enumerate(zip(shape, ishape)):
        if i != d and n > s:
            raise RuntimeError(f"gather(): Size does not match at dimension {i} expected index {list(ishape)} to "
                               f"be smaller than self {list(shape)} apart from dimension {d}")
    if any(n != s for i, (s, n) in enumerate(zip(shape, ishape)) if i != d):  # index covers a corner only
        input = input[tuple(slice(None) if i == d else slice(0, n) for i, n in enumerate(ishape))]
    return Gather.apply(input, index=idx, axis=d)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)


class Scatter(Op):
    """Out-of-place scatter of ``src`` into ``x`` at ``index`` along ``axis`` (reduce None or 'add')."""

    def forward(self, x, src):
        y = x.copy()
        full = _full_index(self.index, self.axis)
        s = src if src.ndim == 0 else src[tuple(slice(n) for n in self.index.shape)]
        if self.reduce == "add":
            self.xp.add.at(y, full, s)
        elif self.reduce == "multiply":
            self.xp.multiply.at(y, full, s)
        else:
            y[full] = s
        self.src_shape = src.shape
        return y

    def backward(self, grad):
        nx, ns = self.needs_input_grad
        gx = gs = None
        if nx:
            gx = grad if self.reduce == "add" else Scatter.apply(
                grad, Tensor._wrap(grad._data.dtype.type(0)), index=self.index, axis=self.axis, reduce=None)
        if ns:
            g = Gather.apply(grad, index=self.index, axis=self.axis)
            if tuple(self.src_shape) != tuple(self.index.shape):
                from .shape import pad as _pad
                widths = []
                for s, i in zip(reversed(self.src_shape), reversed(self.index.shape)):
                    widths += [0, s - i]
                g = _pad(g, widths)
            gs = g
        return gx, gs


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Write ``src`` (tensor or scalar ``value``) into a copy of ``input`` at ``index`` along ``dim``."""
    xp = _array_module(input._data)
    d = _wrap_dim(dim, input._data.ndim, "scatter")
    idx = _check_index("scatter", input, d, index)
    if src is None:
        src = value
    if not isinstance(src, Tensor):
        src = Tensor._wrap(xp.asarray(src, dtype=input._data.dtype))
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"scatter: reduce argument must be either add or multiply, got {reduce}")
    return Scatter.apply(input, src, index=idx, axis=d, reduce=reduce)


def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (repeats accumulate)."""
    d = _wrap_dim(dim, input._data.ndim, "scatter_add")
    idx = _check_index("scatter_add", input, d, index)
    return Scatter.apply(input, src, index=idx, axis=d, reduce="add")


class IndexSelect(Op):
    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.take(x, self.index, axis=self.axis)

    def backward(self, grad):
        return IndexAddInto.apply(grad, index=self.index, axis=self.axis, shape=self.in_shape)


class IndexAddInto(Op):
    def forward(self, g):
        z = self.xp.zeros(self.shape, dtype=g.dtype)
        idx = (slice(None),) * self.axis + (self.index,)
        self.xp.add.at(z, idx, g)
        return z

    def backward(self, grad):
        return IndexSelect.apply(grad, index=self.index, axis=self.axis)


@with_out
def index_select(input, dim, index):
    """Rows (along ``dim``) picked by a 1-d integer index."""
    xp = _array_module(input._data)
    d = _wrap_dim(dim, input._data.ndim, "index_select")
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input._data.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    n = input._data.shape[d] if input._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"index_select(): index {bad} out of range for tensor of size "
                           f"{tuple(input._data.shape)} at dimension {d}")
    if input._data.ndim == 0:  # one element of a 0-d tensor: still 0-d
        return IndexSelect.apply(input.reshape(1), index=idx.reshape(-1), axis=0).reshape(())
    return IndexSelect.apply(input, index=idx.reshape(-1), axis=d)


def index_add(input, dim, index, source, *, alpha=1):
    d = _wrap_dim(dim, input._data.ndim, "index_add")
    idx = index._data.reshape(-1)
    return input + IndexAddInto.apply(source * alpha if alpha != 1 else source, index=idx, axis=d,
                                      shape=input._data.shape)


def index_copy(input, dim, index, source):
    d = _wrap_dim(dim, input._data.ndim, "index_copy")
    key = (slice(None),) * d + (index._data,)
    return IndexPut.apply(input, source, key=key)


def index_fill(input, dim, index, value):
    xp = _array_module(input._data)
    d = _wrap_dim(dim, input._data.ndim, "index_fill")
    key = (slice(None),) * d + (index._data.reshape(-1),)
    v = value if isinstance(value, Tensor) else Tensor._wrap(xp.asarray(value, dtype=input._data.dtype))
    return IndexPut.apply(input, v, key=key)


class MaskedFill(Op):
    def forward(self, x, v):
        self.vshape = v.shape
        return self.xp.where(self.mask, v, x)

    def backward(self, grad):
        nx, nv = self.needs_input_grad
        zero = Tensor._wrap(grad._data.dtype.type(0))
        gx = MaskedFill.apply(grad, zero, mask=self.mask) if nx else None
        gv = None
        if nv:
            from .elementwise import Where
            gv = unbroadcast(Where.apply(grad, zero, cond=self.xp.broadcast_to(self.mask, grad._data.shape)), self.vshape)
        return gx, gv


def masked_fill(input, mask, value):
    """A copy of ``input`` with ``value`` where ``mask`` (broadcastable bool) is True."""
    xp = _array_module(input._data)
    m = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
    try:
        np.broadcast_shapes(m.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: mask of shape {tuple(m.shape)} is not broadcastable to input of "
                           f"shape {tuple(input._data.shape)}") from None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value._data.ndim} dimension(s).")
        v = value.to(input.dtype)
    else:
        v = Tensor._wrap(xp.asarray(value, dtype=input._data.dtype))
    return MaskedFill.apply(input, v, mask=m)


@with_out
def masked_select(input, mask):
    xp = _array_module(input._data)
    m = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    shape = np.broadcast_shapes(m.shape, input._data.shape)
    return getitem(input.expand(shape), Tensor._wrap(xp.broadcast_to(m, shape)))


@with_out
def take(input, index):
    return getitem(input.reshape(-1), index)


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an ``(n, ndim)`` int64 tensor, or one 1-d tensor per
    dim with ``as_tuple=True``. A 0-d input gives shape ``(n, 0)`` (n is 0 or 1)."""
    xp = _array_module(input._data)
    if input._data.ndim == 0:
        n = int(bool(input._data))
        if as_tuple:
            return (Tensor._wrap(xp.zeros(n, np.int64)),)
        return Tensor._wrap(xp.zeros((n, 0), np.int64))
    nz = xp.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in nz)
    return Tensor._wrap(xp.stack(nz, axis=1).astype(np.int64) if nz else xp.zeros((0, 0), np.int64))


def argwhere(input):
    return nonzero(input)
