"""Argument checks shared by the op wrappers: dims, dtypes and broadcasting, with
PyTorch's rules and exception classes and the op's name in every message.

Op wrappers call these before any NumPy call, so NumPy's own errors (``AxisError``,
"operands could not be broadcast", "zero-size array to reduction operation") never
reach the user.
"""
import operator

import numpy as np

# PyTorch's scalar-type names, as its "not implemented for 'Bool'" messages print them
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double"}


def wrap_dim(dim, ndim, op, scalar_ok=True):
    """A non-negative axis for ``dim`` in a tensor of ``ndim`` dims.

    As in PyTorch, a 0-d tensor accepts ``dim`` 0 and -1 (it behaves as if it had one
    dim of size 1) unless ``scalar_ok`` is False (ops that need a real dim: unbind,
    roll). Raises IndexError naming the op when ``dim`` is out of range, TypeError when
    it is not an integer.

    Example:
        >>> wrap_dim(-1, 3, "sum")
        2
    """
    try:
        d = operator.index(dim)
    except TypeError:
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}") from None
    if ndim == 0 and not scalar_ok:
        raise IndexError(f"{op}(): Dimension specified as {d} but tensor has no dimensions")
    n = ndim if ndim > 0 else 1
    if not -n <= d < n:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {d})")
    return d + n if d < 0 else d


def reduce_axes(dim, ndim, op):
    """Normalise a reduction's ``dim`` (None, an int, or a sequence) to a sorted tuple of
    axes, or None for "all dims". On a 0-d tensor a valid dim gives ``()`` (nothing to
    reduce), which NumPy reductions accept.

    Example:
        >>> reduce_axes((-1, 0), 3, "sum")
        (0, 2)
    """
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(wrap_dim(d, ndim, op) for d in dim))
        for a, b in zip(axes, axes[1:]):
            if a == b:
                raise RuntimeError(f"{op}(): dim {a} appears multiple times in the list of dims")
    else:
        axes = (wrap_dim(dim, ndim, op),)
    return axes if ndim > 0 else ()


def check_nonempty_dims(x_shape, axes, op):
    """PyTorch's error for ops with no identity (max, argmax, ...) reducing an empty dim."""
    if axes is None:
        if 0 in x_shape:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                               f"Specify the reduction dim with the 'dim' argument.")
        return
    for a in axes:
        if x_shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size.")


def require_tensors(op, input, other):
    """PyTorch's TypeError for ops whose arguments must both be Tensors (``maximum``,
    ``atan2``, ``logical_and``, ...: unlike ``add``, they take no Python numbers)."""
    from ..tensor import Tensor
    for name, pos, v in (("input", 1, input), ("other", 2, other)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {type(v).__name__}")


def torch_dtype_name(npd):
    """PyTorch's name for a NumPy dtype ('Float', 'Long', 'Bool', ...)."""
    return _TORCH_NAMES.get(np.dtype(npd).name, np.dtype(npd).name)


def not_implemented_for(op, t, kinds):
    """Raise NotImplementedError, as PyTorch's kernels do, if ``t``'s dtype kind is in
    ``kinds`` ('b' bool, 'i'/'u' integer, 'f' float)."""
    npd = t._data.dtype
    if npd.kind in kinds:
        raise NotImplementedError(f'"{op}" not implemented for \'{torch_dtype_name(npd)}\'')


def require_float(op, t):
    """RuntimeError naming the op unless ``t`` has a floating dtype (std, var, ...)."""
    npd = t._data.dtype
    if npd.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point or complex input tensor, got "
                           f"{torch_dtype_name(npd)}")


def broadcast_shape(op, *shapes):
    """The broadcast of ``shapes``, or PyTorch's RuntimeError naming the op and the
    first mismatching dim."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    a, b = shapes[0], shapes[1]
    for sh in shapes[1:]:  # the first shape that does not broadcast with those before it
        try:
            a = np.broadcast_shapes(a, sh)
        except ValueError:
            b = sh
            break
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(f"{op}(): The size of tensor a ({pa[i]}) must match the size of tensor b "
                               f"({pb[i]}) at non-singleton dimension {i}")
    raise RuntimeError(f"{op}(): shapes {tuple(a)} and {tuple(b)} cannot be broadcast together")
