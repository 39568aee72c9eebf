"""Reductions over dims (with ``keepdim``): sum, mean, var/std, prod, max/min,
amax/amin, argmax/argmin, logsumexp, norm, cumsum/cumprod, all/any."""
import builtins
import collections

import numpy as np

from .. import dtypes as _dt
from ..autograd.op import Op
from ..tensor import Tensor
from ._args import wrap_dim as _wrap_dim, reduce_axes, check_nonempty_dims, not_implemented_for, require_float
from .elementwise import Expand, expand_to, where, exp, sqrt, abs, _array_module
from ._out import with_out

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax",
           "amin", "argmax", "argmin", "logsumexp", "norm", "cumsum", "cumprod", "all", "any",
           "count_nonzero", "aminmax", "median", "mode", "nansum", "nanmean"]

return_types_max = collections.namedtuple("max", ["values", "indices"])
return_types_min = collections.namedtuple("min", ["values", "indices"])


def _axes(dim, ndim, op):
    """Normalise ``dim`` (None, int, or sequence) to a sorted tuple of axes, or None for all
    (``()`` on a 0-d tensor: nothing to reduce)."""
    return reduce_axes(dim, ndim, op)


def _keep_shape(in_shape, axes):
    """Shape of a keepdim reduction over ``axes`` (None: all)."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else s for i, s in enumerate(in_shape))


def _expand_back(grad, in_shape, axes, keepdim):
    """Broadcast a reduced gradient (a Tensor or a raw array) back over the reduced axes."""
    if axes is not None and not keepdim:  # (a full reduction's gradient broadcasts as it is)
        keep = _keep_shape(in_shape, axes)
        if grad.shape != keep:
            grad = grad.reshape(keep)
    return expand_to(grad, in_shape)


class Sum(Op):
    def forward(self, x):
        self.in_shape = x.shape
        axes = self.axes
        if x.dtype.kind in "bui" and x.dtype != np.uint64:
            return x.sum(axis=axes, keepdims=self.keepdim, dtype=np.int64)
        if x.__class__ is np.ndarray:  # what x.sum runs, without its Python wrapper
            if (axes is not None and x.ndim >= 3 and self.dtype is None
                    and tuple(sorted(a % x.ndim for a in axes)) == (0,) + tuple(range(2, x.ndim))):
                s = sum_but_channels(self.xp, x)
                return s.reshape((1, -1) + (1,) * (x.ndim - 2)) if self.keepdim else s
            return self.xp.add.reduce(x, axis=axes, dtype=self.dtype, keepdims=self.keepdim)
        return x.sum(axis=axes, keepdims=self.keepdim, dtype=self.dtype)

    def derivative(self, grad):
        return _expand_back(grad, self.in_shape, self.axes, self.keepdim)


# elements from which Sum's per-channel reduction takes the matrix-vector path
_CHANNEL_SUM_MIN = 1 << 16


def sum_but_channels(xp, x):
    """The sum over every axis but 1 of an ``(N, C, *S)`` array (a convolution's bias
    gradient, batch-norm-like statistics), shape ``(C,)``. A big contiguous float array is
    summed plane by plane with one BLAS matrix-vector product, then the N rows added:
    NumPy's strided reduction over axes (0, 2, 3) ran 2-7x slower (128x64x14x14: 0.79
    against 0.11 ms)."""
    if x.size >= _CHANNEL_SUM_MIN and x.dtype.kind == "f" and x.dtype.itemsize >= 4 \
            and x.flags.c_contiguous:
        n, c = x.shape[:2]
        planes = x.reshape(n * c, -1)
        return (planes @ xp.ones(planes.shape[1], dtype=x.dtype)).reshape(n, c).sum(0)
    return xp.add.reduce(x, axis=(0,) + tuple(range(2, x.ndim)))


@with_out(dtypes="compute")
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dims if None). Integer and bool inputs sum to int64."""
    axes = None if dim is None else _axes(dim, input._data.ndim, "sum")
    if dtype is None:
        return Sum.apply(input, axes=axes, keepdim=keepdim, dtype=None)
    return _in_dtype(lambda x: Sum.apply(x, axes=axes, keepdim=keepdim, dtype=None), input, dtype)


def _in_dtype(op, input, dtype):
    """``op(input)`` computed in ``dtype`` (PyTorch casts the input first); integer ops that
    accumulate in int64 are cast back to a narrower requested integer dtype."""
    npd = _dt.to_numpy_dtype(dtype)
    out = op(input.to(dtype) if input._data.dtype != npd else input)
    return out if out._data.dtype == npd else out.to(dtype)


@with_out
def nansum(input, dim=None, keepdim=False):
    dim = _axes(dim, input._data.ndim, "nansum")
    if input._data.dtype.kind != "f":
        return sum(input, dim, keepdim)
    return sum(where(input != input, 0.0, input), dim, keepdim)


class Mean(Op):
    def forward(self, x):
        self.in_shape = x.shape
        y = _mean_array(x, self.axes, self.keepdim)
        return y.astype(x.dtype, copy=False)

    def derivative(self, grad):
        n = _count(self.in_shape, self.axes)
        return _expand_back(grad / n if n else grad * float("nan"), self.in_shape, self.axes, self.keepdim)


def _mean_array(x, axes, keepdims):
    """``x.mean`` on an array; NaN without NumPy's "Mean of empty slice" warning over
    empty dims (PyTorch is silent there)."""
    if x.size:
        if x.__class__ is np.ndarray and (x.dtype == np.float32 and x.size <= 1 << 24 or x.dtype == np.float64):
            # x.mean without its Python wrapper: the same sum over the count. (NumPy divides in
            # float64 and rounds; one float32 division rounds the same while the count is exact
            # in float32: double rounding of a quotient through 53 bits is harmless.)
            s = _array_module(x).add.reduce(x, axis=axes, keepdims=keepdims)
            return s / float(x.size // s.size)
        return x.mean(axis=axes, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x.sum(axis=axes, keepdims=keepdims) / x.dtype.type(0)


def _count(shape, axes):
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


@with_out
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all dims if None). Needs a floating dtype, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {input.dtype}")
    return Mean.apply(input, axes=None if dim is None else _axes(dim, input._data.ndim, "mean"),
                      keepdim=keepdim)


@with_out
def nanmean(input, dim=None, keepdim=False):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype}")
    dim = _axes(dim, input._data.ndim, "nanmean")
    ok = input == input
    return nansum(input, dim, keepdim) / sum(ok, dim, keepdim)


class Var(Op):
    def forward(self, x):
        self.save_for_backward(x)
        axes = self.axes
        n = _count(x.shape, axes)
        self.n = n
        m = _mean_array(x, axes, True)
        d = x - m
        v = (d * d).sum(axis=axes, keepdims=self.keepdim)
        div = n - self.correction
        with np.errstate(divide="ignore", invalid="ignore"):  # PyTorch divides by max(0, n - correction)
            out = v / x.dtype.type(div if div > 0 else 0)
        return out.astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        div = self.n - self.correction
        g = _expand_back(grad, x._data.shape, self.axes, self.keepdim)
        return g * (x - x.mean(self.axes, keepdim=True)) * (2.0 / div if div > 0 else float("nan"))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@with_out
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``; Bessel-corrected by default (``correction=1``)."""
    return _var(input, dim, unbiased, keepdim, correction, "var")


def _var(input, dim, unbiased, keepdim, correction, op):
    if isinstance(dim, bool):  # var(x, False): old positional `unbiased`
        unbiased, dim = dim, None
    require_float(op, input)
    return Var.apply(input, axes=_axes(dim, input._data.ndim, op), keepdim=keepdim,
                     correction=_correction(unbiased, correction))


@with_out
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``; Bessel-corrected by default."""
    return sqrt(_var(input, dim, unbiased, keepdim, correction, "std"))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    v = _var(input, dim, unbiased, keepdim, correction, "var_mean")
    return v, mean(input, None if isinstance(dim, bool) else dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    v = _var(input, dim, unbiased, keepdim, correction, "std_mean")
    return sqrt(v), mean(input, None if isinstance(dim, bool) else dim, keepdim)


class Prod(Op):
    def forward(self, x):
        self.save_for_backward(x)
        y = x.prod(axis=self.axes, keepdims=self.keepdim)
        return y.astype(np.int64) if x.dtype.kind in "bui" else y

    def backward(self, grad):
        # recorded backward (double backward): the division form, in ember ops (fine
        # away from zeros; the raw path below is exact with zeros)
        (x,) = self.saved_tensors
        X = x._data
        out = x.prod(self.axes, keepdim=True) if self.axes else x.prod().reshape([1] * X.ndim)
        return _expand_back(grad, X.shape, self.axes, self.keepdim) * out / x

    def backward_raw(self, grad):
        # product of the others, computed without dividing (correct with zeros):
        # exclusive cumulative products from both sides along the flattened reduced axes
        (X,) = self.saved_arrays
        axes = self.axes if self.axes is not None else tuple(range(X.ndim))
        moved = self.xp.moveaxis(X, axes, tuple(range(-len(axes), 0)))
        flat = moved.reshape(moved.shape[:moved.ndim - len(axes)] + (-1,))
        ones = self.xp.ones(flat.shape[:-1] + (1,), dtype=X.dtype)
        left = self.xp.concatenate([ones, self.xp.cumprod(flat, -1)[..., :-1]], -1)
        right = self.xp.concatenate([self.xp.cumprod(flat[..., ::-1], -1)[..., :-1][..., ::-1], ones], -1) \
            if flat.shape[-1] else flat
        others = (left * right).reshape(moved.shape)
        others = self.xp.moveaxis(others, tuple(range(-len(axes), 0)), axes)
        return grad.reshape(_keep_shape(X.shape, self.axes)) * others


@with_out(dtypes="compute")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over ``dim`` (one dim or all); integer and bool inputs give int64."""
    axes = _axes(dim, input._data.ndim, "prod")
    if dtype is not None:
        return _in_dtype(lambda x: Prod.apply(x, axes=axes, keepdim=keepdim), input, dtype)
    return Prod.apply(input, axes=axes, keepdim=keepdim)


class MaxDim(Op):
    """max/min along one dim; the gradient goes to the selected index."""
    torch_name = "Max"

    def forward(self, x):
        ax = self.axis
        if x.shape[ax] == 0:
            raise IndexError(f"{self.op}(): Expected reduction dim {ax} to have non-zero size.")
        idx = (x.argmax if self.is_max else x.argmin)(axis=ax, keepdims=True)
        if x.dtype.kind == "f":  # NaN propagates and wins, as in PyTorch
            nan = self.xp.isnan(x)
            if nan.any():
                idx = self.xp.where(nan.any(axis=ax, keepdims=True), nan.argmax(axis=ax, keepdims=True), idx)
        self.in_shape = x.shape
        self.idx = idx
        y = self.xp.take_along_axis(x, idx, ax)
        idx = idx.astype(np.int64, copy=False)
        if self.keepdim:
            return y, idx
        return self.xp.squeeze(y, ax), self.xp.squeeze(idx, ax)

    def backward(self, grad, _grad_indices=None):
        from .index import ScatterInto
        g = grad if self.keepdim else grad.unsqueeze(self.axis)
        return ScatterInto.apply(g, index=self.idx, axis=self.axis, shape=self.in_shape)


class AMax(Op):
    """amax/amin over dims; the gradient is split evenly among ties, as in PyTorch."""
    torch_name = "Amax"

    def forward(self, x):
        if not x.size:  # (only an empty input can have an empty reduced dim)
            check_nonempty_dims(x.shape, self.axes, self.op)
        if x.__class__ is np.ndarray:  # what x.max / x.min run, without their Python wrapper
            xp = self.xp
            y = (xp.maximum if self.is_max else xp.minimum).reduce(x, axis=self.axes, keepdims=True)
        else:
            y = (x.max if self.is_max else x.min)(axis=self.axes, keepdims=True)
        self.save_for_backward(x, y)
        return y if self.keepdim else y.reshape(_reduced_shape(x.shape, self.axes))

    def backward(self, grad):
        return self._grad(grad, *self.saved_arrays, Tensor._wrap)

    def backward_raw(self, grad):
        return self._grad(grad, *self.saved_arrays, lambda a: a)

    def _grad(self, grad, x, y, as_grad_type):
        """The gradient split over the ties (a constant mask of the saved arrays), written
        once for a Tensor or a raw ``grad``."""
        dtype = grad._data.dtype if isinstance(grad, Tensor) else grad.dtype
        mask = (x == y).astype(dtype)
        count = mask.sum(axis=self.axes, keepdims=True)
        g = grad if self.keepdim or self.axes is None else grad.reshape(_keep_shape(x.shape, self.axes))
        return g / as_grad_type(count) * as_grad_type(mask)  # (PyTorch's order; broadcast by the product)


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _max_min(input, dim, keepdim, is_max, other=None):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        from .elementwise import maximum, minimum
        return (maximum if is_max else minimum)(input, dim)
    if dim is None:
        return AMax.apply(input, axes=None, keepdim=False, is_max=is_max, op=name)
    ax = _wrap_dim(dim, input._data.ndim, name)
    if input._data.ndim == 0:
        ax = None
        v = input.clone() if input._rg else input
        xp = _array_module(input._data)
        return (return_types_max if is_max else return_types_min)(v, Tensor._wrap(xp.array(0)))
    values, indices = MaxDim.apply(input, axis=ax, keepdim=keepdim, is_max=is_max, op=name)
    return (return_types_max if is_max else return_types_min)(values, indices)


@with_out
def max(input, dim=None, keepdim=False):
    """Max of all elements, or ``(values, indices)`` along ``dim``, or ``maximum(input, other)``."""
    return _max_min(input, dim, keepdim, True)


@with_out
def min(input, dim=None, keepdim=False):
    """Min of all elements, or ``(values, indices)`` along ``dim``, or ``minimum(input, other)``."""
    return _max_min(input, dim, keepdim, False)


def _amax_axes(input, dim, op):
    """amax/amin dims: as ``_axes``, but an empty reduced dim is reported before a repeated
    one (PyTorch's order of checks)."""
    if isinstance(dim, (list, tuple)) and len(dim) > 1 and input._data.ndim:
        check_nonempty_dims(input._data.shape, [_wrap_dim(d, input._data.ndim, op) for d in dim], op)
    return _axes(dim if dim != () else None, input._data.ndim, op)


@with_out(dtypes="exact")
def amax(input, dim=(), keepdim=False):
    return AMax.apply(input, axes=_amax_axes(input, dim, "amax"), keepdim=keepdim, is_max=True, op="amax")


@with_out(dtypes="exact")
def amin(input, dim=(), keepdim=False):
    return AMax.apply(input, axes=_amax_axes(input, dim, "amin"), keepdim=keepdim, is_max=False, op="amin")


@with_out
def aminmax(input, *, dim=None, keepdim=False):
    r = collections.namedtuple("aminmax", ["min", "max"])
    return r(amin(input, () if dim is None else dim, keepdim), amax(input, () if dim is None else dim, keepdim))


def _arg_extreme(input, dim, keepdim, op):
    xp = _array_module(input._data)
    X = input._data
    if X.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if X.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = xp.asarray(getattr(X, op)()).astype(np.int64)
        return Tensor._wrap(r.reshape((1,) * X.ndim) if keepdim else r)
    ax = _wrap_dim(dim, X.ndim, op)
    if X.ndim == 0:
        return Tensor._wrap(xp.zeros((), dtype=np.int64))
    check_nonempty_dims(X.shape, (ax,), op)
    return Tensor._wrap(getattr(X, op)(axis=ax, keepdims=keepdim).astype(np.int64, copy=False))


@with_out(dtypes="exact")
def argmax(input, dim=None, keepdim=False):
    """Index of the max (first one on ties), flattened if ``dim`` is None."""
    return _arg_extreme(input, dim, keepdim, "argmax")


@with_out(dtypes="exact")
def argmin(input, dim=None, keepdim=False):
    """Index of the min (first one on ties), flattened if ``dim`` is None."""
    return _arg_extreme(input, dim, keepdim, "argmin")


class LogSumExp(Op):
    torch_name = "Logsumexp"
    def forward(self, x):
        m = x.max(axis=self.axes, keepdims=True, initial=-np.inf)  # -inf: the identity, for empty dims
        m = self.xp.where(self.xp.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # log(0) = -inf over empty dims, as in PyTorch
            s = self.xp.log(self.xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        out = s if self.keepdim else s.reshape(_reduced_shape(x.shape, self.axes))
        self.save_for_backward(x, out)  # the output itself: keeps double backward exact
        return out

    def backward(self, grad):
        x, s = self.saved_tensors
        # s is the keepdim result saved above (a constant unless it is the output)
        s_keep = s if s._data.ndim == x._data.ndim else s.reshape(_keep_shape(x._data.shape, self.axes))
        return _expand_back(grad, x._data.shape, self.axes, self.keepdim) * exp(x - s_keep)


@with_out
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input), dim))`` computed stably."""
    if input._data.dtype.kind != "f":
        input = input.float()
    return LogSumExp.apply(input, axes=_axes(dim, input._data.ndim, "logsumexp"), keepdim=keepdim)


@with_out(dtypes="exact")
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements if None): p = 2/'fro', 1, inf, -inf, 0, or any
    number; 'nuc' is not supported."""
    if dtype is not None:
        input = input.to(dtype)
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError("norm: p='nuc' is not supported by ember")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {input.dtype}")
    dim = _axes(dim, input._data.ndim, "norm")
    if p in (float("inf"), float("-inf")) and input._data.size == 0 and (
            dim is None or builtins.any(input._data.shape[a] == 0 for a in dim)):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because "
                           f"the operation does not have an identity")
    if p == 2:
        return _L2Norm.apply(input, axes=_axes(dim, input._data.ndim, "norm"), keepdim=keepdim)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    if p == float("inf"):
        return amax(abs(input), dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return amin(abs(input), dim if dim is not None else (), keepdim)
    if p == 0:
        return sum(input != 0, dim, keepdim).to(input.dtype)
    return sum(abs(input) ** p, dim, keepdim) ** (1.0 / p)


class _L2Norm(Op):
    torch_name = "LinalgVectorNorm"
    def forward(self, x):
        y = self.xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        out = y if self.keepdim else y.reshape(_reduced_shape(x.shape, self.axes))
        self.save_for_backward(x, out)
        return out

    def backward(self, grad):
        x, y = self.saved_tensors
        yk = y if y._data.ndim == x._data.ndim else y.reshape(_keep_shape(x._data.shape, self.axes))
        # subgradient 0 at the origin, as in PyTorch
        safe = where(yk == 0, 1.0, yk)
        return _expand_back(grad, x._data.shape, self.axes, self.keepdim) * x / safe


class CumSum(Op):
    torch_name = "Cumsum"
    def forward(self, x):
        return self.xp.cumsum(x, axis=self.axis, dtype=np.int64 if x.dtype.kind in "bui" else None)

    def backward(self, grad):
        return grad.flip(self.axis).cumsum(self.axis).flip(self.axis)


@with_out(dtypes="compute")
def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``."""
    if dtype is not None:
        _wrap_dim(dim, input._data.ndim, "cumsum")
        if _dt.to_numpy_dtype(dtype) == np.bool_ and input._data.ndim and input._data.size:
            raise NotImplementedError("cumsum(): \"cumsum_out_cpu\" not implemented for 'Bool'")
        return _in_dtype(lambda x: cumsum(x, dim), input, dtype)
    ax = _wrap_dim(dim, input._data.ndim, "cumsum")
    if input._data.ndim == 0:  # a 0-d tensor is its own cumulative sum (still 0-d)
        return CumSum.apply(input.reshape(1), axis=0).reshape(())
    return CumSum.apply(input, axis=ax)


class CumProd(Op):
    torch_name = "Cumprod"
    def forward(self, x):
        y = self.xp.cumprod(x, axis=self.axis)
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        ax = self.axis
        # d y_j / d x_i = y_j / x_i for j >= i (inputs assumed nonzero)
        return (grad * y).flip(ax).cumsum(ax).flip(ax) / x


@with_out(dtypes="compute")
def cumprod(input, dim, *, dtype=None):
    """Cumulative product along ``dim``; integer and bool inputs give int64, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        input = input.long()
    ax = _wrap_dim(dim, input._data.ndim, "cumprod")
    if input._data.ndim == 0:
        return CumProd.apply(input.reshape(1), axis=0).reshape(())
    return CumProd.apply(input, axis=ax)


@with_out
def all(input, dim=None, keepdim=False):
    axes = _axes(dim, input._data.ndim, "all")
    return _logical_reduction("all", input, axes, keepdim)


def _logical_reduction(fn, input, axes, keepdim):
    """all/any: bool, except uint8 inputs give uint8 (PyTorch's legacy byte masks)."""
    xp = _array_module(input._data)
    r = xp.asarray(getattr(xp, fn)(input._data, axis=axes, keepdims=keepdim))
    return Tensor._wrap(r.astype(np.uint8) if input._data.dtype == np.uint8 else r)


@with_out
def any(input, dim=None, keepdim=False):
    axes = _axes(dim, input._data.ndim, "any")
    return _logical_reduction("any", input, axes, keepdim)


def count_nonzero(input, dim=None):
    xp = _array_module(input._data)
    axes = _axes(dim, input._data.ndim, "count_nonzero")
    return Tensor._wrap(xp.asarray(xp.count_nonzero(input._data, axis=axes)).astype(np.int64))


@with_out
def median(input, dim=None, keepdim=False):
    """Lower median (as PyTorch); with ``dim``, ``(values, indices)``."""
    xp = _array_module(input._data)
    X = input._data
    if dim is None:
        if X.size == 0:  # PyTorch: NaN (cast to the dtype), its kernel never runs
            with np.errstate(invalid="ignore"):
                return Tensor._wrap(xp.array(np.nan).astype(X.dtype))
        not_implemented_for("median_cpu", input, "b")
        flat = input.reshape(-1)
        k = (flat._data.size - 1) // 2
        idx = int(xp.argsort(flat._data, kind="stable")[k])
        return flat[idx]
    ax = _wrap_dim(dim, X.ndim, "median")
    r = collections.namedtuple("median", ["values", "indices"])
    if X.ndim == 0:
        not_implemented_for("median_out", input, "b")
        return r(input.clone(), Tensor._wrap(xp.zeros((), dtype=np.int64)))
    check_nonempty_dims(X.shape, (ax,), "median")
    not_implemented_for("median_out", input, "b")
    k = (X.shape[ax] - 1) // 2
    order = xp.argsort(X, axis=ax, kind="stable")
    idx = xp.take(order, [k], axis=ax)
    from .index import gather
    vals = gather(input, ax, Tensor._wrap(idx.astype(np.int64)))
    if not keepdim:
        return r(vals.squeeze(ax), Tensor._wrap(xp.squeeze(idx, ax).astype(np.int64)))
    return r(vals, Tensor._wrap(idx.astype(np.int64)))


@with_out
def mode(input, dim=-1, keepdim=False):
    xp = _array_module(input._data)
    X = input._data
    ax = _wrap_dim(dim, X.ndim, "mode")
    moved = xp.moveaxis(X, ax, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    vals = xp.empty(flat.shape[0], dtype=X.dtype)
    idxs = xp.empty(flat.shape[0], dtype=np.int64)
    for i, row in enumerate(flat):
        u, c = xp.unique(row, return_counts=True)
        v = u[xp.argmax(c)]
        vals[i] = v
        idxs[i] = xp.nonzero(row == v)[0][-1]
    shape = moved.shape[:-1]
    vals, idxs = vals.reshape(shape), idxs.reshape(shape)
    if keepdim:
        vals, idxs = xp.expand_dims(vals, ax), xp.expand_dims(idxs, ax)
    r = collections.namedtuple("mode", ["values", "indices"])
    return r(Tensor._wrap(vals), Tensor._wrap(idxs))
