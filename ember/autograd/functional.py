"""Higher-level autograd: ``ember.autograd.functional`` (PyTorch's names and semantics).

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` of a function of
tensors, built on reverse mode: a Jacobian is one vector-Jacobian product per output
element, and a Jacobian-vector product is the derivative of a vector-Jacobian product
with respect to its (dummy) vector -- the "double backward trick", so ember needs no
separate forward mode.

Example:
    >>> f = lambda x: (x ** 3).sum()
    >>> ember.autograd.functional.hessian(f, ember.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""
from ..tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x, name, fn_name):
    if isinstance(x, Tensor):
        return (x,), False
    if not isinstance(x, (tuple, list)) or not all(isinstance(t, Tensor) for t in x):
        raise TypeError(f"The {name} given to {fn_name} must be either a Tensor or a tuple of "
                        f"Tensors but the given {name} has type {type(x).__name__}.")
    return tuple(x), True


def _prepare(inputs, create_graph):
    """Inputs that require grad, connected to the caller's graph only with create_graph."""
    res = []
    for t in inputs:
        if create_graph and t.requires_grad:
            res.append(t.view_as(t))
        else:
            res.append(t.detach().requires_grad_(t.is_floating_point()))
    return tuple(res)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, fn_name):
    """Gradients of ``outputs`` w.r.t. ``inputs``; zeros (or an error with ``strict``)
    for inputs the outputs do not depend on."""
    import ember
    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if outs:
        res = _grad(outs, inputs, gos, retain_graph=True, create_graph=create_graph,
                    allow_unused=True)
    else:
        res = (None,) * len(inputs)
    final = []
    for i, (r, x) in enumerate(zip(res, inputs)):
        if r is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            r = ember.zeros_like(x)
        final.append(r if create_graph else r.detach())
    return tuple(final)


def _check_v(v, outputs, name, fn_name):
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {name} of the user-provided "
                               "function is a single Tensor with a single element.")
        import ember
        return (ember.ones_like(outputs[0]),)
    v, _ = _as_tuple(v, "v", fn_name)
    if len(v) != len(outputs):
        raise RuntimeError(f"v has {len(v)} tensors but the {name} has {len(outputs)}")
    for a, b in zip(v, outputs):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Mismatch in shape: v has a shape of {tuple(a.shape)} and the "
                               f"{name} has a shape of {tuple(b.shape)}")
    return v


def _run(func, inputs, fn_name):
    with enable_grad():
        out = func(*inputs)
    outs, is_tuple = _as_tuple(out, "outputs of the user-provided function", fn_name)
    return outs, is_tuple


def _pack(values, is_tuple):
    return tuple(values) if is_tuple else values[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: a vector-Jacobian product."""
    inputs, in_tuple = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    outs, out_tuple = _run(func, inputs, "vjp")
    v = _check_v(v, outs, "output", "vjp")
    res = _grads(outs, inputs, v, create_graph, strict, "vjp")
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return _pack(outs, out_tuple), _pack(res, in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: a Jacobian-vector product (by the double backward trick)."""
    import ember
    inputs, in_tuple = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        v = (ember.ones_like(inputs[0]),)
    else:
        v = _check_v(v, inputs, "input", "jvp")
    outs, out_tuple = _run(func, inputs, "jvp")
    with enable_grad():
        dummies = tuple(ember.zeros_like(o).requires_grad_(True) for o in outs)
        g = _grads(outs, inputs, dummies, True, strict, "jvp")
        g = [x for x in g]
        res = _grads(g, dummies, v, create_graph, strict, "jvp") if any(
            x.requires_grad for x in g) else tuple(ember.zeros_like(o) for o in outs)
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return _pack(outs, out_tuple), _pack(res, out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a Tensor of
    shape ``output.shape + input.shape``; tuples of those for tuples (outputs first).

    ``vectorize`` and ``strategy="forward-mode"`` are accepted for compatibility; ember
    always computes the rows by reverse mode, one backward per output element.
    """
    import ember
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs, in_tuple = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    outs, out_tuple = _run(func, inputs, "jacobian")
    jac = []
    for o in outs:
        flat = o.reshape(-1)
        rows = [[] for _ in inputs]
        for k in range(flat.numel()):
            if o.requires_grad:
                gs = _grads((flat[k],), inputs, (ember.ones_like(flat[k]),), create_graph, strict,
                            "jacobian")
            else:
                if strict:
                    raise RuntimeError("Output of the user-provided function does not require "
                                       "gradients. This is not allowed in strict mode.")
                gs = tuple(ember.zeros_like(x) for x in inputs)
            for i, g in enumerate(gs):
                rows[i].append(g)
        per_input = []
        for i, x in enumerate(inputs):
            if rows[i]:
                j = ember.stack(rows[i]).reshape(tuple(o.shape) + tuple(x.shape))
            else:
                j = ember.zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype)
            per_input.append(j)
        jac.append(_pack(per_input, in_tuple))
    return _pack(jac, out_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: ``input.shape + input.shape`` (tuples of tuples
    for several inputs)."""
    inputs_t, in_tuple = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        outs, _ = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element.")
        g = _grads(outs, xs, (None,), True, strict, "hessian")
        return _pack(g, in_tuple)

    return jacobian(gradient, _pack(inputs_t, in_tuple), create_graph=create_graph,
                    strict=strict)


def _scalar_gradient(func, inputs, v, create_graph, strict, name):
    """The shared start of vhp/hvp: prepared inputs, the scalar output, the checked ``v``
    and the gradient of the output (recorded, to differentiate again)."""
    inputs, in_tuple = _as_tuple(inputs, "inputs", name)
    inputs = _prepare(inputs, create_graph)
    outs, _ = _run(func, inputs, name)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(f"The function given to {name} should return a single Tensor with a "
                           "single element.")
    v = _check_v(v, inputs, "input", name)
    with enable_grad():
        g = _grads(outs, inputs, (None,), True, strict, name)
    out = outs[0] if create_graph else outs[0].detach()
    return inputs, in_tuple, out, v, g


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar function."""
    inputs, in_tuple, out, v, g = _scalar_gradient(func, inputs, v, create_graph, strict, "vhp")
    with enable_grad():
        res = _grads(g, inputs, v, create_graph, strict, "vhp")
    return out, _pack(res, in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function (by the double backward trick)."""
    import ember
    inputs, in_tuple, out, v, g = _scalar_gradient(func, inputs, v, create_graph, strict, "hvp")
    with enable_grad():
        dummies = tuple(ember.zeros_like(x).requires_grad_(True) for x in inputs)
        gv = _grads(g, inputs, dummies, True, strict, "hvp")
        res = _grads(gv, dummies, v, create_graph, strict, "hvp")
    return out, _pack(res, in_tuple)
