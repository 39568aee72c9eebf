"""The internal op protocol: one ``Op`` subclass per op (a node of the backward graph).

``forward`` works on raw backend arrays and returns one array or a tuple of arrays
(several outputs: max values + indices, batch-norm output + batch statistics, LSTM
``h`` + ``c``). ``backward`` receives one gradient Tensor per output and returns one
per input, written in ember ops, so it is differentiable itself (double backward). An
op may also define ``backward_raw`` -- the same derivative on raw arrays, or a call of
a fused backward op's kernel -- which the engine uses when no graph is being recorded
(``create_graph=False``): ops never branch on the grad mode themselves.

Users write PyTorch-style ``ember.autograd.Function`` subclasses instead (see
``function.py``); those run through a node of this class too. docs/internals.md has the
worked example.
"""
import weakref

import numpy as np

from .grad_mode import STATE

__all__ = ["Op", "AccumulateGrad"]

_Tensor = None  # ember.tensor.Tensor, bound by ember.tensor at import (avoids a cycle)

# Set while ember.profiler or the tracer records (``observer(cls, args, params)`` runs
# the op itself); None otherwise: one global check per op when nobody records.
_observer = None

# Node attributes that survive ``_release``: graph structure, hooks and names, so a
# released graph can still be walked (``next_functions``) and printed.
_KEEP = frozenset(("next_functions", "needs_input_grad", "_n_out", "_hooks",
                   "_anomaly_trace", "_name", "xp", "_metadata", "_post_acc_hooks", "_leaf"))


class Op:
    """Base class of ember's ops (nodes of the backward graph once applied).

    Subclasses define ``forward(self, *arrays) -> array | tuple`` and
    ``backward(self, *grads) -> Tensor | tuple``; optionally
    ``backward_raw(self, *grad_arrays) -> array | tuple``. Keyword params given to
    ``apply`` become attributes of the node; ``self.xp`` is the inputs' array module.

    A single-output op may instead define ``derivative(self, grad, *saved)``: the formula
    written once with operators and helpers that take raw arrays and Tensors alike
    (``unbroadcast``, ``expand_to``); it then serves as ``backward`` (on Tensors from
    ``saved_tensors``) and as ``backward_raw`` (on arrays from ``saved_arrays``).

    Class attributes:
        torch_name: PyTorch's node name without ``Backward0`` where it differs from the
            class name (``"Addmm"``); the node's class is then printed as PyTorch does.
        is_view: the output shares storage with input 0 (view ops know ``view(arr)``).
        differentiable_outputs: for multi-output ops, which outputs can carry a
            gradient (default: the floating-point ones).

    Example:
        >>> class Square(Op):
        ...     def forward(self, x):
        ...         self.save_for_backward(x)
        ...         return x * x
        ...     def backward(self, grad):
        ...         (x,) = self.saved_tensors
        ...         return grad * 2 * x
        >>> Square.apply(ember.tensor(3.0, requires_grad=True))
        tensor(9., grad_fn=<SquareBackward0>)
    """
    xp = np
    is_view = False
    torch_name = None
    differentiable_outputs = None
    backward_raw = None      # optional fast path on raw arrays (see the module doc)
    next_functions = ()      # ((node, input_nr), ...) as in PyTorch
    needs_input_grad = ()
    _n_out = 1               # number of outputs (set per node for multi-output ops)
    _saved = None
    _freed = False
    _hooks = None            # a _NodeHooks once any hook is registered (one check in the engine)
    _anomaly_trace = None
    _name = None
    _raw_derivative = False  # backward_raw is ``derivative`` on saved_arrays (set per class)
    _raw_kind = 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # the class prints as PyTorch's node does (``<class 'MulBackward0'>``); the Python
        # name stays reachable as ``cls.op_class`` and in its module under its own name
        cls.op_class = cls.__dict__.get("op_class", cls.__name__)
        base = cls.__dict__.get("torch_name") or cls.op_class.lstrip("_")
        if not base.endswith(("Backward0", "Grad")):
            cls.__name__ = cls.__qualname__ = base + "Backward0"
        if "derivative" in cls.__dict__:  # one formula, both backward forms (see the class doc)
            if "backward" not in cls.__dict__:
                cls.backward = _backward_from_derivative
            if "backward_raw" not in cls.__dict__:
                cls.backward_raw = _backward_raw_from_derivative
        # the engine calls ``derivative`` on the saved arrays itself (one call less per node)
        cls._raw_derivative = cls.backward_raw is _backward_raw_from_derivative
        # for the engine's short path: 1 derivative on arrays, 2 backward_raw, 0 neither
        if "_raw_kind" not in cls.__dict__:
            cls._raw_kind = 1 if cls._raw_derivative else 2 if cls.backward_raw is not None else 0

    @classmethod
    def apply(cls, *args, **params):
        # The hot path of every op: kept lean (no per-op validation, few attribute writes,
        # one- and two-input calls unrolled so no lists are built).
        if _observer is not None:
            return _observer(cls, args, params)
        fn = cls.__new__(cls)
        if params:  # (a fresh dict per call: adopted as the node's attributes, no copy)
            fn.__dict__ = params
        n = len(args)
        try:  # all Tensors: the common case
            if n == 2:
                a, b = args
                arrays = (a._data, b._data)
                need = (a._rg, b._rg) if STATE.enabled else (False, False)
            elif n == 1:
                a = args[0]
                arrays = (a._data,)
                need = (a._rg,) if STATE.enabled else (False,)
            else:
                arrays = [t._data for t in args]
                need = tuple([t._rg for t in args]) if STATE.enabled else (False,) * n
            tensors = args
        except AttributeError:  # None for an absent optional input, or constants to wrap
            Tensor = _Tensor
            tensors = tuple([t if t is None or isinstance(t, Tensor) else Tensor._wrap(np.asarray(t))
                             for t in args])
            arrays = [None if t is None else t._data for t in tensors]
            need = tuple([t is not None and t._rg for t in tensors]) if STATE.enabled else (False,) * n
        fn.needs_input_grad = need
        a0 = arrays[0]
        if a0.__class__ is not np.ndarray and a0 is not None:
            from ..backend import get_array_module
            fn.xp = get_array_module(a0)
        try:
            out = raw = fn.forward(*arrays)
        except TypeError:  # NumPy and CuPy arrays mixed: PyTorch's error names the devices,
            from ..backend import check_same_device  # but 0-d CPU values join a CUDA op
            moved = check_same_device(arrays, fn.name())
            if moved is None:
                raise
            fn.xp, arrays = moved
            out = raw = fn.forward(*arrays)
        record = True in need
        if out.__class__ is not np.ndarray:
            if out.__class__ is tuple:
                return _finish_multi(fn, cls, tensors, need if record else None, out)
            if isinstance(out, np.generic):
                out = np.asarray(out)  # NumPy math on 0-d arrays returns scalars
        res = object.__new__(_Tensor)
        if not record:
            res._init(out, False, None)
            fn._saved = None
        else:
            if n == 2:
                fn.next_functions = (
                    ((a.grad_fn, a._out_nr) if a.grad_fn is not None else _edge(a)) if need[0] else _NO_EDGE,
                    ((b.grad_fn, b._out_nr) if b.grad_fn is not None else _edge(b)) if need[1] else _NO_EDGE)
            elif n == 1:
                fn.next_functions = ((a.grad_fn, a._out_nr) if a.grad_fn is not None else _edge(a),)
            else:
                fn.next_functions = tuple([((t.grad_fn, t._out_nr) if t.grad_fn is not None else _edge(t))
                                           if r else _NO_EDGE for t, r in zip(tensors, need)])
            res._init(out, True, fn)
            saved = fn._saved
            if saved is not None:
                fn._saved = _pack_saved(saved, tensors, (raw,), (out,), (res,))
            if STATE.anomaly:
                _record_trace(fn)
        if cls.is_view:
            src = tensors[0]
            res._vc = src._get_vc()
            res._base = src if src._base is None else src._base
            res._view_chain = src._view_chain + (fn,)
        return res

    # -- forward-side helpers ------------------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep arrays for backward (call from ``forward``). Inputs and outputs come back
        from ``saved_tensors`` as graph-connected Tensors, others as constants (``apply``
        packs them once the outputs exist; nothing is kept when no graph is recorded)."""
        self._saved = arrays

    # -- backward-side helpers -----------------------------------------------------
    @property
    def saved_tensors(self):
        """The saved values as Tensors (inputs/outputs graph-connected, for double backward)."""
        saved = self._saved
        if saved is None:
            self._check_not_freed()
            return ()
        return tuple([_unpack(self, s) for s in saved])

    @property
    def saved_arrays(self):
        """The saved values as raw arrays (for ``backward_raw``), version-checked."""
        saved = self._saved
        if saved is None:
            self._check_not_freed()
            return ()
        return tuple(_saved_arrays(self, saved))

    def _check_not_freed(self):
        if self._freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or to access saved "
                f"tensors of {self.name()} after they were freed). Saved intermediate values "
                "of the graph are freed when you call .backward() or autograd.grad(). "
                "Specify retain_graph=True if you need to backward through the graph a second "
                "time or to access saved tensors after calling backward.")

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.op_class}.forward")

    def backward(self, *grads):
        raise RuntimeError(f"{self.name()} is not differentiable")

    def view(self, arr):
        """For view ops: the same view of another array shaped like the input."""
        raise NotImplementedError

    def name(self):
        """PyTorch's name of this node (``MulBackward0``, ``AccumulateGrad``)."""
        return self._name or type(self).__name__

    # -- hooks (PyTorch's Node API) ---------------------------------------------------
    def register_prehook(self, hook):
        """``hook(grad_outputs) -> tuple or None`` runs before this node's backward."""
        return self._hook_lists().add(self._hooks.pre, hook)

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs) -> tuple or None`` runs after its backward."""
        return self._hook_lists().add(self._hooks.post, hook)

    def _register_tensor_hook(self, output_nr, hook):
        return self._hook_lists().add(self._hooks.tensor.setdefault(output_nr, []), hook)

    def _hook_lists(self):
        if self._hooks is None:
            self._hooks = _NodeHooks()
        return self._hooks

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def _release(self):
        """Drop everything the node holds for backward (saved values and any arrays or
        parameters kept as attributes); graph structure and hooks stay. View nodes keep
        their parameters: a live view replays them for later in-place ops."""
        d = self.__dict__
        if self.is_view:
            d.pop("_saved", None)
        else:
            for k in [k for k in d if k not in _KEEP]:
                del d[k]
        self._freed = True

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata


def _backward_from_derivative(self, grad):
    return self.derivative(grad, *self.saved_tensors)


def _backward_raw_from_derivative(self, grad):
    return self.derivative(grad, *self.saved_arrays)


class _NodeHooks:
    """A node's hooks: per-output tensor hooks ``hook(grad)``, pre-hooks
    ``hook(grad_outputs)`` and post-hooks ``hook(grad_inputs, grad_outputs)``."""
    __slots__ = ("tensor", "pre", "post")

    def __init__(self):
        self.tensor, self.pre, self.post = {}, [], []

    @staticmethod
    def add(hooks, hook):
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass


class AccumulateGrad(Op):
    """Graph sink for a leaf tensor: adds the incoming gradient into ``leaf.grad``."""
    torch_name = "AccumulateGrad"
    _raw_kind = 3            # (the engine's short path adds into the leaf's .grad)
    _post_acc_hooks = None  # a list once Tensor.register_post_accumulate_grad_hook is called

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)
        self.next_functions = ()

    def name(self):
        return "AccumulateGrad"

    @property
    def variable(self):
        return self._leaf()



def _edge(t):
    """The graph edge to tensor ``t``: ``(its grad_fn, its output number)`` or, for a
    leaf, ``(its AccumulateGrad, 0)``."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._out_nr)
    acc = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)
    return (acc, 0)


def _link_view(res, src, fn):
    res._vc = src._get_vc()
    res._base = src if src._base is None else src._base
    res._view_chain = src._view_chain + (fn,)


def _finish_multi(fn, cls, tensors, need, outs):
    """``apply`` for ops returning several arrays: one Tensor per output, each knowing
    its output number; non-differentiable outputs (integer dtype, or not listed in
    ``differentiable_outputs``) do not require grad."""
    Tensor = _Tensor
    fn._n_out = len(outs)
    raw_outs = outs
    outs = tuple([np.asarray(o) if isinstance(o, np.generic) else o for o in outs])
    if need is None:
        fn._saved = None
        res = tuple([Tensor._wrap(o) for o in outs])
    else:
        fn.next_functions = tuple([_edge(t) if n else _NO_EDGE for t, n in zip(tensors, need)])
        diff = cls.differentiable_outputs
        res = []
        meta = []
        for i, o in enumerate(outs):
            d = (o.dtype.kind in "fc") if diff is None else (i in diff)
            t = Tensor._wrap(o, d, fn if d else None)
            t._out_nr = i
            res.append(t)
            meta.append((o.shape, o.dtype) if d else None)
        res = tuple(res)
        fn._out_meta = tuple(meta)
        saved = fn._saved
        if saved is not None:
            fn._saved = _pack_saved(saved, tensors, raw_outs, outs, res)
        if STATE.anomaly:
            _record_trace(fn)
    if cls.is_view:
        for r in res:
            _link_view(r, tensors[0], fn)
    return res


def _record_trace(fn):
    import traceback
    fn._anomaly_trace = "".join(traceback.format_stack()[:-3])


# A saved value is packed as (tensor or marker, array, version counter, version).
_OUT = object()  # marker: the saved value is one of the op's outputs


_NO_EDGE = (None, 0)  # the edge of an input that needs no gradient


def _pack_saved(saved, tensors, raw_outs, outs, res):
    """Pack the arrays an op's ``forward`` saved: its inputs' arrays as the input Tensors,
    its outputs (``raw_outs`` as forward returned them, ``outs`` as arrays) as markers
    rebuilt on unpack, anything else as a constant; each with its version."""
    packed = []
    for s in saved:
        for t in tensors:
            if t is not None and t._data is s:
                vc = t._vc
                if vc is None:
                    vc = t._vc = [0]
                packed.append((t, None, vc, vc[0], None))
                break
        else:
            for i, r in enumerate(raw_outs):
                if s is r:
                    o, t = outs[i], res[i]
                    vc = t._get_vc()
                    packed.append((_OUT, o, vc, vc[0], (t._rg, t._out_nr)))
                    break
            else:
                if isinstance(s, _Tensor):  # a Tensor saved as it is: kept by reference
                    vc = s._get_vc()
                    packed.append((s, None, vc, vc[0], None))
                else:
                    packed.append((None, s, None, 0, None))
    return tuple(packed)


def _pack(s, outs, res):
    if isinstance(s, _Tensor):  # an input (save_for_backward swapped its array for it)
        vc = s._vc
        if vc is None:
            vc = s._vc = [0]
        return (s, None, vc, vc[0], None)
    for i, o in enumerate(outs):
        if s is o:
            r = res[i]
            vc = r._get_vc()
            return (_OUT, o, vc, vc[0], (r._rg, r._out_nr))
    return (None, s, None, 0, None)


def _version_error(fn, s):
    t, arr, vc, version, _ = s
    shape = tuple(arr.shape if t is _OUT else t.shape)
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [tensor of shape {shape}], saved by {fn.name()}, is at version "
        f"{vc[0]}; expected version {version} instead. Hint: don't modify tensors in place "
        "(x += ..., x[...] = ..., relu_) while they are still needed for backward; use the "
        "out-of-place form or .clone() first.")


def _unpack(fn, s):
    t, arr, vc, version, out = s
    if vc is not None and vc[0] != version:
        _version_error(fn, s)
    if t is None:
        return _Tensor._wrap(arr)
    if t is _OUT:
        # rebuilt on each unpack: the node never holds its own output Tensor (no cycle)
        rg, nr = out
        res = _Tensor._wrap(arr, rg, fn if rg else None)
        res._out_nr = nr
        res._vc = vc
        return res
    return t


def _saved_arrays(fn, saved):
    """A list of the arrays behind the packed saved values ``saved``, version-checked
    (the raw-array form of ``saved_tensors``; the engine's short path calls it directly)."""
    res = []
    for s in saved:
        t, arr, vc, version, _ = s
        if vc is not None and vc[0] != version:
            _version_error(fn, s)
        res.append(arr if t is None or t is _OUT else t._data)
    return res
