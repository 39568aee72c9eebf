"""The op pattern: one ``Function`` subclass per op.

``forward`` works on raw backend arrays; ``backward`` is written once in ember ops, so
it is differentiable itself (double backward) and records nothing unless the engine
runs it with ``create_graph=True``. ``Op.apply(*tensors, **params)`` runs the forward
and, when grad mode is on and an input requires grad, links the new node into the
graph. See docs/internals.md.
"""
import numpy as np

from .grad_mode import STATE

__all__ = ["Function", "AccumulateGrad"]

_Tensor = None  # ember.tensor.Tensor, bound by ember.tensor at import (avoids a cycle)

_OUT = object()  # marker: the saved value is the op's output


class Function:
    """Base class of ember ops (a node of the backward graph once applied).

    Subclasses define ``forward(self, *arrays) -> array`` and
    ``backward(self, grad) -> Tensor | tuple``. Keyword params given to ``apply`` are
    attributes of the node; ``self.xp`` is the array module of the inputs.

    Example:
        >>> class Square(Function):
        ...     def forward(self, x):
        ...         self.save_for_backward(x)
        ...         return x * x
        ...     def backward(self, grad):
        ...         (x,) = self.saved_tensors
        ...         return grad * 2 * x
        >>> Square.apply(ember.tensor(3.0, requires_grad=True))
    """
    xp = np
    is_view = False          # True for ops whose output shares storage with input 0
    next_functions = ()
    _saved = None
    _freed = False
    _pre_hooks = None
    _inputs = None

    @classmethod
    def apply(cls, *args, **params):
        # The hot path of every op: kept lean (no per-op validation, few attribute writes).
        Tensor = _Tensor
        fn = cls.__new__(cls)
        if params:
            fn.__dict__.update(params)
        tensors = args
        for a in args:
            if not isinstance(a, Tensor) and a is not None:
                tensors = tuple(t if t is None or isinstance(t, Tensor) else Tensor._wrap(np.asarray(t))
                                for t in args)
                break
        arrays = [None if t is None else t._data for t in tensors]
        if STATE.enabled:
            need = tuple([t is not None and t._rg for t in tensors])
            record = True in need
        else:
            record = False
        a0 = arrays[0]
        if a0.__class__ is not np.ndarray and a0 is not None:
            from ..backend import get_array_module
            fn.xp = get_array_module(a0)
        if record:
            fn.needs_input_grad = need
            fn._inputs = tensors
        else:
            fn.needs_input_grad = (False,) * len(tensors)
        out = fn.forward(*arrays)
        if out.__class__ is not np.ndarray and isinstance(out, np.generic):
            out = np.asarray(out)  # NumPy ufuncs return scalars for 0-d inputs
        res = object.__new__(Tensor)
        res._data = out
        res._grad = None
        res._vc = None
        res._base = None
        res._view_chain = ()
        res._acc = None
        res._retains_grad = False
        if record:
            fn._inputs = None
            fn.next_functions = tuple([(t.grad_fn or _edge(t)) if n else None
                                       for t, n in zip(tensors, need)])
            res._rg = True
            res.grad_fn = fn
            saved = fn._saved
            if saved is not None:
                fn._saved = tuple([_pack(s, out, res) for s in saved])
        else:
            res._rg = False
            res.grad_fn = None
            fn._saved = None
        if cls.is_view:
            src = tensors[0]
            res._vc = src._get_vc()
            res._base = src if src._base is None else src._base
            res._view_chain = src._view_chain + (fn,)
        return res

    # -- forward-side helpers ------------------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep arrays for backward (call from ``forward``). Inputs and the output come
        back from ``saved_tensors`` as graph-connected Tensors, others as constants."""
        inputs = self._inputs
        if inputs is None:  # not recording a graph: nothing will run backward
            return
        packed = []
        for a in arrays:
            for t in inputs:
                if t is not None and t._data is a:
                    packed.append(t)
                    break
            else:
                packed.append(a)
        self._saved = packed

    def mark_non_differentiable(self):
        pass

    # -- backward-side helpers -----------------------------------------------------
    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time (or to access saved "
                    f"tensors of {self.name()} after they were freed). Saved intermediate values "
                    "of the graph are freed when you call .backward() or autograd.grad(). "
                    "Specify retain_graph=True if you need to backward through the graph a second "
                    "time or to access saved tensors after calling backward.")
            return ()
        return tuple([_unpack(self, s) for s in saved])

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad):
        raise RuntimeError(f"{type(self).__name__} is not differentiable")

    def view(self, arr):
        """For view ops: the same view of another array shaped like the input."""
        raise NotImplementedError

    def name(self):
        return type(self).__name__.replace("Scalar", "") + "Backward0"

    def register_prehook(self, hook):
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        return _RemovableHandle(self._pre_hooks, hook)

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def _release(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass


class AccumulateGrad(Function):
    """Graph sink for a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    def __init__(self, leaf):
        import weakref
        self._leaf = weakref.ref(leaf)
        self.next_functions = ()

    def name(self):
        return "AccumulateGrad"

    @property
    def variable(self):
        return self._leaf()


def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return fn
    acc = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)
    return acc


class _SavedInput:
    __slots__ = ("tensor", "version")


def _pack(s, out, res):
    Tensor = _Tensor
    if s is out:
        return (_OUT, out, res._get_vc(), 0)
    if isinstance(s, Tensor):
        vc = s._get_vc()
        return (s, None, vc, vc[0])
    return (None, s, None, 0)


def _unpack(fn, s):
    t, arr, vc, version = s
    if vc is not None and vc[0] != version:
        shape = tuple(arr.shape if t is _OUT else t.shape)
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [tensor of shape {shape}], saved by {fn.name()}, is at version "
            f"{vc[0]}; expected version {version} instead. Hint: don't modify tensors in place "
            "(x += ..., x[...] = ..., relu_) while they are still needed for backward; use the "
            "out-of-place form or .clone() first.")
    if t is None:
        return _Tensor._wrap(arr)
    if t is _OUT:
        res = _Tensor._wrap(arr, True, fn)
        res._vc = vc
        return res
    return t
