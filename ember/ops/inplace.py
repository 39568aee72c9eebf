"""In-place ops under autograd.

``t.op_(...)`` computes the out-of-place op on a snapshot of ``t`` (so values saved for
backward stay valid), writes the result into ``t``'s storage, bumps the version
counter shared by ``t`` and its views, and moves ``t`` to the new graph node. When
``t`` is a view, its base's graph is rebased with ``CopySlices``: the base's gradient
flows to the old base outside the view region and through the op inside it.
"""
import numpy as np

from ..autograd.op import Op
from ..autograd.grad_mode import STATE
from ..tensor import Tensor

__all__ = ["inplace"]


def _replay(chain, arr):
    for fn in chain:
        arr = fn.view(arr)
    return arr


class ViewRegion(Op):
    """The region of a base-shaped gradient that the view chain selects (a copy)."""

    def forward(self, g):
        return self.xp.array(_replay(self.chain, g))

    def backward(self, grad):
        return EmbedRegion.apply(grad, chain=self.chain, shape=self.shape)


class EmbedRegion(Op):
    """Zeros of the base's shape with ``v`` written into the view region."""

    def forward(self, v):
        z = self.xp.zeros(self.shape, dtype=v.dtype)
        _replay(self.chain, z)[...] = v
        return z

    def backward(self, grad):
        return ViewRegion.apply(grad, chain=self.chain, shape=self.shape)


class ZeroRegion(Op):
    """A copy of the gradient with the view region zeroed."""

    def forward(self, g):
        c = g.copy()
        _replay(self.chain, c)[...] = 0
        return c

    def backward(self, grad):
        return ZeroRegion.apply(grad, chain=self.chain)


class CopySlices(Op):
    """Node of a base tensor after one of its views was modified in place."""

    def forward(self, base, new_view):
        return base  # the storage already holds the new values

    def backward(self, grad):
        nb, nv = self.needs_input_grad
        return (ZeroRegion.apply(grad, chain=self.chain) if nb else None,
                ViewRegion.apply(grad, chain=self.chain, shape=self.shape) if nv else None)


class ReplayView(Op):
    def forward(self, base):
        return _replay(self.chain, base)

    def backward(self, grad):
        return EmbedRegion.apply(grad, chain=self.chain, shape=self.shape)


def _write(t, arr, op):
    dst = t._data
    if arr.shape != dst.shape:
        raise RuntimeError(f"{op}: output with shape {list(dst.shape)} doesn't match the broadcast shape "
                           f"{list(arr.shape)}")
    if arr.dtype != dst.dtype and not np.can_cast(arr.dtype, dst.dtype, "same_kind"):
        raise RuntimeError(f"{op}: result type {arr.dtype} can't be cast to the desired output type {dst.dtype}")
    if arr is dst:
        return
    try:
        np.copyto(dst, arr, casting="unsafe") if type(dst) is np.ndarray else dst.__setitem__(Ellipsis, arr)  # host: the NumPy branch
    except ValueError as e:
        if "read-only" in str(e):
            raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor "
                               "refers to a single memory location (it is an expanded view). Please clone() "
                               "the tensor before performing the operation.") from None
        raise


def inplace(t, fn, *args, op="in-place op", **kwargs):
    """Apply ``fn(t, *args, **kwargs)`` and store the result in ``t`` (see module doc)."""
    tracked = STATE.enabled and (t._rg or any(isinstance(a, Tensor) and a._rg for a in args))
    if not tracked:
        prev = STATE.enabled
        STATE.enabled = False
        try:
            out = fn(t, *args, **kwargs)
        finally:
            STATE.enabled = prev
        _write(t, out._data, op)
        t._bump_version()
        return t
    if t._rg and t.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the update in `with ember.no_grad():` or use an out-of-place op.")
    base = t._base
    if base is not None and base._rg and base.grad_fn is None:
        raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation. Wrap it in `with ember.no_grad():` or clone() the leaf first.")
    old = Tensor._wrap(t._data.copy(), t._rg, t.grad_fn)
    out = fn(old, *args, **kwargs)
    if out._data.dtype != t._data.dtype:
        out = out.to(t.dtype)
    _write(t, out._data, op)
    t._bump_version()
    if base is None:
        t.grad_fn = out.grad_fn
        t._rg = out._rg
        return t
    base_old = Tensor._wrap(base._data, base._rg, base.grad_fn)
    new_base = CopySlices.apply(base_old, out, chain=t._view_chain, shape=base._data.shape)
    base.grad_fn = new_base.grad_fn
    base._rg = True
    view = ReplayView.apply(Tensor._wrap(base._data, True, base.grad_fn), chain=t._view_chain,
                            shape=base._data.shape)
    t.grad_fn = view.grad_fn
    t._rg = True
    return t
