"""The transforms of ``ember.func`` (see the package docstring)."""
import functools

from ..autograd import grad as _autograd_grad
from ..autograd import functional as _F
from ..autograd.grad_mode import STATE, enable_grad
from ..tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "hessian", "vmap", "functional_call"]


def _lift(x, outer_recording):
    """A differentiable stand-in for argument ``x``: still connected to an outer
    transform's graph when there is one (so transforms nest), a fresh leaf otherwise."""
    if outer_recording and x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _map_args(args, argnums, fn):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    for n in nums:
        a = args[n]
        if isinstance(a, (tuple, list)):
            args[n] = type(a)(fn(t) for t in a)
        elif isinstance(a, dict):
            args[n] = {k: fn(t) for k, t in a.items()}
        else:
            args[n] = fn(a)
    return args, nums


def grad_and_value(func, argnums=0, has_aux=False):
    """``(gradient w.r.t. args[argnums], value)`` of a scalar-valued ``func``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        outer = STATE.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        with enable_grad():
            lifted, nums = _map_args(args, argnums, lambda t: _lift(t, outer))
            out = func(*lifted, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor, got "
                                   + (f"tensor with {out.dim()} dims" if isinstance(out, Tensor)
                                      else type(out).__name__))
            targets = []
            for n in nums:
                a = lifted[n]
                targets.extend(a.values() if isinstance(a, dict) else
                               a if isinstance(a, (tuple, list)) else [a])
            if out.requires_grad:
                gs = _autograd_grad(out, targets, create_graph=True, allow_unused=True,
                                    materialize_grads=True)
            else:
                import ember
                gs = tuple(ember.zeros_like(t) for t in targets)
        if not outer:
            gs = tuple(g.detach() for g in gs)
            out = out.detach()
        it = iter(gs)
        res = []
        for n in nums:
            a = lifted[n]
            if isinstance(a, dict):
                res.append({k: next(it) for k in a})
            elif isinstance(a, (tuple, list)):
                res.append(type(a)(next(it) for _ in a))
            else:
                res.append(next(it))
        g = res[0] if isinstance(argnums, int) else tuple(res)
        return (g, (out, aux)) if has_aux else (g, out)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function computing the gradient of scalar-valued ``func`` w.r.t. ``args[argnums]``.

    Example:
        >>> ember.func.grad(ember.sin)(ember.tensor(0.0))
        tensor(1.)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, val = gv(*args, **kwargs)
        return (g, val[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one gradient per primal."""
    outer = STATE.enabled and any(p.requires_grad for p in primals)
    with enable_grad():
        lifted = tuple(_lift(p, outer) for p in primals)
        out = func(*lifted)
    aux = None
    if has_aux:
        out, aux = out

    def vjp_fn(cotangents):
        outs = out if isinstance(out, tuple) else (out,)
        cots = cotangents if isinstance(cotangents, tuple) else (cotangents,)
        with enable_grad():
            gs = _autograd_grad(outs, lifted, cots, retain_graph=True, create_graph=outer,
                                allow_unused=True, materialize_grads=True)
        return tuple(gs)

    result = out if outer else (tuple(o.detach() for o in out) if isinstance(out, tuple)
                                else out.detach())
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def jacrev(func, argnums=0):
    """A function computing the Jacobian of ``func`` w.r.t. ``args[argnums]`` (reverse mode)."""
    @functools.wraps(func)
    def wrapper(*args):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

        def f(*xs):
            full = list(args)
            for n, x in zip(nums, xs):
                full[n] = x
            return func(*full)
        picked = tuple(args[n] for n in nums)
        jac = _F.jacobian(f, picked, create_graph=STATE.enabled and any(
            p.requires_grad for p in picked))
        return jac[0] if isinstance(argnums, int) and isinstance(jac, tuple) and not isinstance(
            func(*args), tuple) else jac
    return wrapper


def hessian(func, argnums=0):
    """A function computing the Hessian of scalar-valued ``func`` w.r.t. ``args[argnums]``."""
    return jacrev(jacrev(func, argnums), argnums)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Map ``func`` over a batch dim of its inputs (``in_dims``: an int, or one entry per
    argument, None for unbatched arguments) and stack the results along ``out_dims``.

    ember runs ``func`` once per batch element (a Python loop) and stacks: the values
    equal PyTorch's vmap; the speed is that of the loop.
    """
    import ember

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(func, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             f"compatible with the structure of `inputs`: expected {len(args)} "
                             f"entries, got {len(dims)}")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if len(sizes) != 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        results = []
        for i in range(n):
            sliced = [a[(slice(None),) * (d % a.dim()) + (i,)] if d is not None and isinstance(a, Tensor) else a
                      for a, d in zip(args, dims)]
            results.append(func(*sliced, **kwargs))
        first = results[0]
        if isinstance(first, tuple):
            od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return tuple(ember.stack([r[k] for r in results], dim=od[k]) for k in range(len(first)))
        return ember.stack(results, dim=out_dims)
    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *, tie_weights=True,
                    strict=False):
    """Call ``module`` with its parameters/buffers replaced by the given tensors (restored
    afterwards)."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (tuple, list)):
        merged = {}
        for d in dicts:
            merged.update(d)
        dicts = merged
    if not isinstance(args, tuple):
        args = (args,)
    saved = {}
    try:
        for name, value in dicts.items():
            *path, leaf = name.split(".")
            owner = module
            for p in path:
                owner = getattr(owner, p)
            store = owner._parameters if leaf in owner._parameters else owner._buffers \
                if leaf in owner._buffers else None
            if store is None:
                if strict:
                    raise RuntimeError(f"Unexpected key(s): '{name}'.")
                continue
            saved[name] = (store, leaf, store[leaf])
            store[leaf] = value
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in saved.values():
            store[leaf] = old
