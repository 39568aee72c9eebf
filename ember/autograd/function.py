"""PyTorch's custom-op API for users: ``ember.autograd.Function``.

Subclass it with static ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grads)``
(or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``), then call
``MyFn.apply(...)``. The ``ctx`` object is the node of the backward graph
(``y.grad_fn``), as in PyTorch. ember's own ops use the leaner internal protocol of
``op.py``; both run through the same engine.

Example:
    >>> class Exp(ember.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (y,) = ctx.saved_tensors
    ...         return grad * y
    >>> x = ember.tensor([0.0, 1.0], requires_grad=True)
    >>> Exp.apply(x).sum().backward()
    >>> x.grad
    tensor([1.0000, 2.7183])
"""
import functools

from . import op as _op
from .grad_mode import STATE
from .op import Op, _edge

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction", "NestedIOFunction"]


class FunctionCtx:
    """What ``forward``/``setup_context`` may call on ``ctx`` (PyTorch's names)."""

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for backward; read them back as ``ctx.saved_tensors``.
        Saved tensors are version-checked: changing one in place before backward raises."""
        for t in tensors:
            if t is not None and not isinstance(t, _op._Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._saved_for_forward = tensors

    def mark_dirty(self, *tensors):
        """Declare inputs that ``forward`` modified in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that carry no gradient (indices, masks)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, ``backward`` gets None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Op):
    """The node (and ``ctx``) of one call of a user Function."""
    materialize_grads = True
    _forward_cls = None
    _to_save = None
    _dirty = ()
    _non_differentiable = ()

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            self._check_not_freed()
            return ()
        return tuple([None if s is None else _op._unpack(self, s) for s in saved])

    saved_variables = saved_tensors

    def backward(self, *grads):
        res = self._forward_cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        return self._check_grads(res)

    def _check_grads(self, res):
        n = len(self.next_functions)
        name = self.name()
        if len(res) < n or any(g is not None for g in res[n:]):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(res)})")
        out = []
        for i, (g, need, shape) in enumerate(zip(res, self.needs_input_grad, self._in_shapes)):
            if g is None or not need:
                out.append(None)
                continue
            if not isinstance(g, _op._Tensor):
                raise TypeError(f"function {name} returned a gradient of type "
                                f"{type(g).__name__} at index {i}; expected a Tensor or None")
            if tuple(g.shape) != shape:
                try:
                    g = g.expand(shape) if g.numel() == 1 else g.reshape(shape) \
                        if g.numel() == _numel(shape) else None
                except RuntimeError:
                    g = None
                if g is None:
                    raise RuntimeError(
                        f"Function {name} returned an invalid gradient at index {i} - got "
                        f"{list(res[i].shape)} but expected shape compatible with {list(shape)}")
            out.append(g)
        return tuple(out)

    def name(self):
        return type(self).__name__


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class _FunctionMeta(type):
    """Gives each user Function its own node class, named ``<Fn>Backward`` as in PyTorch."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        node.__name__ = node.__qualname__ = name + "Backward"
        cls._backward_cls = node


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class for user-defined differentiable functions (PyTorch's API).

    Define ``forward`` and ``backward`` as static methods; call ``apply``. ``backward``
    gets one gradient per output and returns one per ``forward`` input (None for inputs
    that are not tensors or need no gradient). Written in ember ops, it is
    differentiable again (double backward) unless decorated with
    :func:`once_differentiable`.
    """
    generate_vmap_rule = False

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{type(self).__name__} should not be instantiated. Methods on autograd "
                      "functions are all static, so you should invoke them on the class itself. "
                      "Instantiating an autograd function will raise an error in a future version.",
                      DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("ember has no forward-mode AD; use ember.autograd.functional.jvp, "
                                  "which computes it with two reverse passes.")

    @classmethod
    def apply(cls, *args, **kwargs):
        return _apply(cls, args, kwargs)


def _apply(cls, args, kwargs):
    Tensor = _op._Tensor
    ctx = cls._backward_cls.__new__(cls._backward_cls)
    need = tuple([isinstance(a, Tensor) and a._rg for a in args])
    record = STATE.enabled and True in need
    ctx.needs_input_grad = need
    custom_setup = cls.setup_context is not Function.setup_context
    prev = STATE.enabled
    STATE.enabled = False
    try:
        if custom_setup:
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args, **kwargs)
    finally:
        STATE.enabled = prev
    single = not isinstance(output, tuple)
    outs = (output,) if single else output
    dirty = ctx._dirty
    nondiff = ctx._non_differentiable
    inputs = [a for a in args if isinstance(a, Tensor)]
    if record:
        ctx.next_functions = tuple([_edge(a) if n else (None, 0) for a, n in zip(args, need)])
        ctx._in_shapes = tuple([tuple(a.shape) if isinstance(a, Tensor) else () for a in args])
        ctx._n_out = len(outs)
    results = []
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            meta.append(None)
            continue
        is_dirty = any(o is d for d in dirty)
        if is_dirty:
            if o._rg and o.grad_fn is None and record:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            o._bump_version()
        elif any(o is a for a in inputs):
            alias = Tensor._wrap(o._data)  # an input returned as is: a new alias of it
            alias._vc = o._get_vc()
            o = alias
        differentiable = record and o._data.dtype.kind in "fc" and not any(o is n for n in nondiff) \
            and not any(outs[i] is n for n in nondiff)
        if differentiable:
            o.grad_fn = ctx
            o._rg = True
            o._out_nr = i
        elif record and not is_dirty:
            o.grad_fn = None
            o._rg = False
        results.append(o)
        meta.append((tuple(o.shape), o._data.dtype) if differentiable else None)
    if record:
        ctx._out_meta = tuple(meta)
        to_save = ctx._to_save
        if to_save is not None:
            outs_arr = tuple([r._data if isinstance(r, Tensor) else None for r in results])
            ctx._saved = tuple([None if t is None else _pack_saved(t, results, outs_arr)
                                for t in to_save])
        if STATE.anomaly:
            _op._record_trace(ctx)
    ctx._to_save = None
    return results[0] if single else tuple(results)


def _pack_saved(t, results, outs_arr):
    """Pack a tensor saved by ``ctx.save_for_backward``: an output is kept as its array
    and rebuilt on unpack (no node -> output -> node cycle), others by reference."""
    for i, r in enumerate(results):
        if r is t and t.grad_fn is not None:
            return _op._pack(outs_arr[i], outs_arr, results)
    vc = t._get_vc()
    return (t, None, vc, vc[0], None)


def once_differentiable(fn):
    """Decorator for ``backward``: run it without recording a graph; asking for a second
    derivative through it raises, as in PyTorch."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            res = fn(ctx, *args)
        finally:
            STATE.enabled = prev
        if not prev or not any(isinstance(a, _op._Tensor) and a._rg for a in args):
            return res
        tup = res if isinstance(res, tuple) else (res,)
        wrapped = tuple([_OnceDifferentiable.apply(g, *[a for a in args if isinstance(a, _op._Tensor)])
                         if isinstance(g, _op._Tensor) else g for g in tup])
        return wrapped if isinstance(res, tuple) else wrapped[0]
    return wrapper


class _OnceDifferentiable(Op):
    """Connects a once-differentiable gradient to the graph only to fail when reached."""
    torch_name = "OnceDifferentiable"

    def forward(self, g, *grads):
        return g

    def backward(self, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
