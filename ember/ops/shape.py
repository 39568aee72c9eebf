"""Shape ops: reshape/view, permute/transpose, squeeze/unsqueeze, expand, repeat,
cat/stack/split/chunk, flip/roll, pad, clone, tril/triu. View ops share storage with
their input, as in PyTorch."""
import numpy as np

from ..autograd.op import Op
from ..tensor import Tensor
from ._args import wrap_dim as _wrap_dim, reduce_axes
from . import _generic
from .elementwise import Expand, _array_module
from ._out import with_out

__all__ = ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
           "swapaxes", "swapdims", "t", "movedim", "moveaxis", "expand", "broadcast_to", "repeat", "tile",
           "cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind", "flip",
           "fliplr", "flipud", "roll", "narrow", "pad", "clone", "contiguous", "tril", "triu", "diagonal",
           "diag", "diag_embed", "broadcast_tensors", "atleast_1d", "atleast_2d", "rot90", "ravel"]


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer(shape, numel, op, in_shape):
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s} in {list(shape)}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
                               f"(input shape {tuple(in_shape)})")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {tuple(in_shape)})")
    return shape


class Reshape(Op):
    """Reshape; a view when NumPy can make one (then it shares storage)."""
    torch_name = "View"
    is_view = True

    def forward(self, x):
        self.in_shape = x.shape
        if self.strict:  # .view(): never copy
            y = x.view()
            try:
                y.shape = self.shape
            except AttributeError:
                raise RuntimeError(
                    f"view size is not compatible with input tensor's size and stride (input shape "
                    f"{tuple(x.shape)}, target {self.shape}): at least one dimension spans across two "
                    "contiguous subspaces. Use .reshape(...) instead.") from None
            return y
        return x.reshape(self.shape)

    def view(self, arr):
        return arr.reshape(self.shape)

    def derivative(self, grad):
        return grad.reshape(self.in_shape)


def reshape(input, *shape):
    """Same data in a new shape (a view if possible, else a copy); one dim may be -1."""
    shape = _infer(_shape_arg(shape), input._data.size, "reshape", input._data.shape)
    if shape == input._data.shape:
        return _alias(input)
    out = Reshape.apply(input, shape=shape, strict=False)
    if not _array_module(out._data).shares_memory(out._data, input._data) if out._data.size else False:
        out._base, out._vc, out._view_chain = None, None, ()  # a copy, not a view
    return out


def view(input, *shape):
    """Same storage in a new shape; RuntimeError if the strides don't allow it."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return input.to(shape[0])  # view(dtype) is only supported as a cast
    shape = _infer(_shape_arg(shape), input._data.size, "view", input._data.shape)
    return Reshape.apply(input, shape=shape, strict=True)


class Alias(Op):
    """Same array, new tensor (the result of a no-op view)."""
    is_view = True

    def forward(self, x):
        return x.view()

    def view(self, arr):
        return arr

    def backward(self, grad):
        return grad


def _alias(t):
    return Alias.apply(t)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    s = _wrap_dim(start_dim, nd, "flatten")
    e = _wrap_dim(end_dim, nd, "flatten")
    if nd == 0:
        return reshape(input, 1)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input._data.shape
    return reshape(input, shp[:s] + (-1 if 0 not in shp else int(np.prod(shp[s:e + 1])),) + shp[e + 1:])


ravel = lambda input: reshape(input, -1)  # noqa: E731


def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input._data.ndim, "unflatten")
    shp = input._data.shape
    return reshape(input, shp[:d] + tuple(sizes) + shp[d + 1:])


def squeeze(input, dim=None):
    """Remove size-1 dims (all, or the given ones)."""
    shp = input._data.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        ax = [_wrap_dim(d, len(shp), "squeeze") for d in dims]
        if len(set(ax)) != len(ax):
            raise RuntimeError(f"squeeze(): dim {max(ax, key=ax.count)} appears multiple times in the list of dims")
        new = tuple(s for i, s in enumerate(shp) if not (i in ax and s == 1))
    return reshape(input, new)


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``."""
    nd = input._data.ndim
    d = _wrap_dim(dim, nd + 1, "unsqueeze")
    shp = input._data.shape
    return reshape(input, shp[:d] + (1,) + shp[d:])


class Permute(Op):
    is_view = True

    def forward(self, x):
        return x.transpose(self.perm)

    def view(self, arr):
        return arr.transpose(self.perm)

    def derivative(self, grad):
        return _generic.permute(grad, tuple(self.xp.argsort(self.perm)))


def permute(input, *dims):
    """Reorder dims (a view)."""
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} "
                           f"is not equal to len(dims) = {len(dims)}")
    perm = tuple(_wrap_dim(d, nd, "permute") for d in dims)
    if len(set(perm)) != nd:
        raise RuntimeError(f"permute(): duplicate dims are not allowed, got {dims}")
    return Permute.apply(input, perm=perm)


def transpose(input, dim0, dim1):
    """Swap two dims (a view)."""
    nd = input._data.ndim
    a, b = _wrap_dim(dim0, nd, "transpose"), _wrap_dim(dim1, nd, "transpose")
    if nd == 0:
        return _alias(input)
    perm = list(range(nd))
    perm[a], perm[b] = perm[b], perm[a]
    return Permute.apply(input, perm=tuple(perm))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else _alias(input)


def movedim(input, source, destination):
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
                           f"the same number of dims as destination ({dst} dims)")
    given_src, given_dst = src, dst
    src = [_wrap_dim(s, nd, "movedim") for s in src]  # range first, then repeats (PyTorch's order)
    dst = [_wrap_dim(d, nd, "movedim") for d in dst]
    for what, given, wrapped in (("source", given_src, src), ("destination", given_dst, dst)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({given})")
    if nd == 0:
        return _alias(input)
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, perm=tuple(order))


moveaxis = movedim


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` (-1 keeps a dim) without copying."""
    sizes = _shape_arg(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({len(shp)})")
    lead = len(sizes) - len(shp)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 not allowed in leading, non-existing dimension {i}")
            target.append(s)
        else:
            cur = shp[i - lead]
            if s == -1:
                s = cur
            if cur != 1 and cur != s:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                                   f"({cur}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}."
                                   f"  Tensor sizes: {list(shp)}")
            target.append(s)
    target = tuple(target)
    if target == shp:
        return _alias(input)
    return Expand.apply(input, shape=target)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


class Repeat(Op):
    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.tile(x, self.reps)

    def backward(self, grad):
        # view the gradient as (rep0, s0, rep1, s1, ...) and sum the rep axes
        reps, shp = self.reps, (1,) * (len(self.reps) - len(self.in_shape)) + self.in_shape
        inter = []
        for r, s in zip(reps, shp):
            inter += [r, s]
        g = grad.reshape(inter).sum(tuple(range(0, 2 * len(reps), 2)))
        return g.reshape(self.in_shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (PyTorch's ``Tensor.repeat``)."""
    reps = _shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return Repeat.apply(input, reps=reps)


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Cat(Op):
    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return self.xp.concatenate(xs, axis=self.axis)

    def backward(self, grad):
        out = []
        start = 0
        for n, need in zip(self.sizes, self.needs_input_grad):
            out.append(narrow(grad, self.axis, start, n) if need else None)
            start += n
        return tuple(out)


@with_out
def cat(tensors, dim=0):
    """Concatenate along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated")
    # legacy: 1-d empty tensors are skipped (dims unchecked), but still take part in type promotion
    kept = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)]
    if not kept:
        kept = tensors[:1]
        d = 0
    else:
        d = _wrap_dim(dim, kept[0]._data.ndim, "cat")
    ref = kept[0]._data
    for i, t in enumerate(kept):
        s = t._data.shape
        if len(s) != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(s, ref.shape)) if j != d):
            raise RuntimeError(f"torch.cat(): Sizes of tensors must match except in dimension {d}. "
                               f"Expected shape {tuple(ref.shape)} (any size at dim {d}) but got "
                               f"{tuple(s)} for tensor number {i} in the list.")
    dts = {t._data.dtype for t in tensors}
    if len(dts) > 1:
        from .. import dtypes as _dt
        dt = tensors[0]._data.dtype
        for t in tensors[1:]:
            dt = _dt.result_dtype(Tensor._wrap(np.empty((1,), dt)), t)  # host: a dtype probe
        kept = [t.to(_dt.from_numpy_dtype(dt)) for t in kept]
    if len(kept) == 1:
        return kept[0].clone()  # (an op, so tracing sees it too)
    return Cat.apply(*kept, axis=d)


concat = concatenate = cat


@with_out
def stack(tensors, dim=0):
    """Stack same-shape tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    d = _wrap_dim(dim, len(s0) + 1, "stack")
    for i, t in enumerate(tensors):
        if t._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 "
                               f"and {list(t._data.shape)} at entry {i}")
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t) for t in tensors], 0)


def atleast_1d(t):
    return reshape(t, 1) if t._data.ndim == 0 else t


def atleast_2d(t):
    return reshape(t, (1,) * (2 - t._data.ndim) + t._data.shape) if t._data.ndim < 2 else t


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` along ``dim`` (a view)."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input._data.ndim, "narrow")
    n = input._data.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return input[idx]


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of a size (last may be smaller) or of the given sizes (views)."""
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s and n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                               f"size at dimension {d}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (views)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = input._data.shape[_wrap_dim(dim, input._data.ndim, "chunk")]
    if n == 0:  # PyTorch: `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


def unbind(input, dim=0):
    """The slices along ``dim`` as a tuple (views)."""
    d = _wrap_dim(dim, input._data.ndim, "unbind", scalar_ok=False)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input._data.shape[d]))


class Flip(Op):
    is_view = False

    def forward(self, x):
        return self.xp.flip(x, self.axes).copy()

    def backward(self, grad):
        return Flip.apply(grad, axes=self.axes)


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = reduce_axes(dims, input._data.ndim, "flip") or ()  # checked, no repeats; () on 0-d
    return Flip.apply(input, axes=axes)


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


def rot90(input, k=1, dims=(0, 1)):
    k %= 4
    a, b = dims
    if k == 0:
        return input.clone()
    if k == 1:
        return transpose(flip(input, b), a, b)
    if k == 2:
        return flip(input, (a, b))
    return flip(transpose(input, a, b), b)


class Roll(Op):
    def forward(self, x):
        return self.xp.roll(x, self.shifts, self.axes)

    def backward(self, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in self.shifts), axes=self.axes)


def roll(input, shifts, dims=None):
    """Rotate elements along ``dims`` (flattened if None)."""
    if input._data.size == 0:  # PyTorch returns empty tensors before looking at dims
        return clone(input)
    if dims is None:
        return reshape(Roll.apply(reshape(input, -1), shifts=(shifts,) if isinstance(shifts, int) else tuple(shifts),
                                  axes=(0,)), input._data.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(_wrap_dim(d, input._data.ndim, "roll", scalar_ok=False) for d in dims)
    return Roll.apply(input, shifts=shifts, axes=axes)


class PadConstant(Op):
    torch_name = "ConstantPadNd"
    def forward(self, x):
        self.in_shape = x.shape
        width = self.width
        if any(lo < 0 or hi < 0 for lo, hi in width):  # negative padding crops
            crop = tuple(slice(-lo if lo < 0 else 0, s + hi if hi < 0 else s)
                         for (lo, hi), s in zip(width, x.shape))
            x = x[crop]
            width = [(max(lo, 0), max(hi, 0)) for lo, hi in width]
        return self.xp.pad(x, width, mode="constant", constant_values=self.value)

    def backward(self, grad):
        return PadConstant.apply(grad, width=[(-lo, -hi) for lo, hi in self.width], value=0)


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``.

    Modes: 'constant' (``value``, default 0), 'reflect', 'replicate', 'circular'.
    """
    xp = _array_module(input._data)
    pad = tuple(int(p) for p in pad)
    nd = input._data.ndim
    if len(pad) % 2 or len(pad) // 2 > nd:
        raise RuntimeError(f"pad: padding length must be divisible by 2 and at most twice the number of "
                           f"dims ({nd}), got pad={pad} for input of shape {tuple(input._data.shape)}")
    width = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        width[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return PadConstant.apply(input, width=width, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown padding mode '{mode}'")
    from .index import index_select
    out = input
    for ax, (lo, hi) in enumerate(width):
        if lo == 0 and hi == 0:
            continue
        n = input._data.shape[ax]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"pad: padding size should be less than the corresponding input dimension "
                               f"for reflect mode, but got: padding ({lo}, {hi}) at dimension {ax} of input "
                               f"{tuple(input._data.shape)}")
        i = xp.arange(-lo, n + hi)
        if mode == "reflect":
            i = xp.abs(i)
            i = xp.where(i >= n, 2 * (n - 1) - i, i)
        elif mode == "replicate":
            i = xp.clip(i, 0, n - 1)
        else:
            i = i % n
        out = index_select(out, ax, Tensor._wrap(i.astype(np.int64)))
    return out


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


def clone(input, *, memory_format=None):
    """A copy with its own storage (differentiable)."""
    return Clone.apply(input)


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


class TriMask(Op):
    torch_name = "Tril"
    def forward(self, x):
        self.mask = (self.xp.tril if self.lower else self.xp.triu)(self.xp.ones(x.shape[-2:], dtype=bool), self.k)
        return self.xp.where(self.mask, x, x.dtype.type(0))

    def backward(self, grad):
        return TriMask.apply(grad, lower=self.lower, k=self.k)


def _check_matrix(input, op):
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")


@with_out
def tril(input, diagonal=0):
    _check_matrix(input, "tril")
    return TriMask.apply(input, lower=True, k=diagonal)


@with_out
def triu(input, diagonal=0):
    _check_matrix(input, "triu")
    return TriMask.apply(input, lower=False, k=diagonal)


class Diagonal(Op):
    is_view = True

    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.diagonal(x, self.offset, self.a, self.b)

    def view(self, arr):
        return self.xp.diagonal(arr, self.offset, self.a, self.b)

    def backward(self, grad):
        return DiagEmbed.apply(grad, offset=self.offset, a=self.a, b=self.b, shape=self.in_shape)


class DiagEmbed(Op):
    def forward(self, g):
        z = self.xp.zeros(self.shape, dtype=g.dtype)
        v = self.xp.diagonal(z, self.offset, self.a, self.b)
        v.setflags(write=True)
        v[...] = g
        return z

    def backward(self, grad):
        return Diagonal.apply(grad, offset=self.offset, a=self.a, b=self.b)


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input._data.ndim
    a, b = _wrap_dim(dim1, nd, "diagonal"), _wrap_dim(dim2, nd, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=offset, a=a, b=b)


def diag(input, diagonal=0):
    """1-d -> a square matrix with it on the diagonal; 2-d -> its diagonal."""
    if input._data.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")
    if input._data.ndim == 1:
        n = input._data.shape[0] + abs(diagonal)
        return DiagEmbed.apply(input, offset=diagonal, a=0, b=1, shape=(n, n))
    return Diagonal.apply(input, offset=diagonal, a=0, b=1).clone()


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input._data.shape[-1] + abs(offset)
    shape = input._data.shape[:-1] + (n, n)
    if (dim1, dim2) != (-2, -1):
        raise NotImplementedError("diag_embed: only dim1=-2, dim2=-1 are supported")
    nd = len(shape)
    return DiagEmbed.apply(input, offset=offset, a=nd - 2, b=nd - 1, shape=shape)
