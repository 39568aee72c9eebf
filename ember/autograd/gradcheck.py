"""Finite-difference gradient checks (the lectures' check, public as
``ember.autograd.gradcheck`` / ``gradgradcheck``)."""
import warnings

import numpy as np


__all__ = ["gradcheck", "gradgradcheck", "numerical_jacobian_vector"]


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def numerical_jacobian_vector(fn, inputs, grad_outputs, eps=1e-6):
    """Central differences of ``sum_k <grad_outputs[k], fn(inputs)[k]>`` w.r.t. each input that
    requires grad: the vector-Jacobian product the analytic backward must reproduce."""
    from ..tensor import Tensor
    grads = []
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            grads.append(None)
            continue
        g = np.zeros(t._data.shape, dtype=np.float64)
        flat = t._data.reshape(-1)  # a view into the input's storage
        if not np.shares_memory(flat, t._data) and flat.size:
            raise RuntimeError("gradcheck: inputs must be contiguous (call .contiguous() first)")
        gflat = g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            # (grad mode stays as it is: gradgradcheck's function itself takes gradients)
            flat[i] = orig + eps  # outputs are copied: a view would see the restore
            plus = [o._data.astype(np.float64) for o in _outputs(fn, inputs)]
            flat[i] = orig - eps
            minus = [o._data.astype(np.float64) for o in _outputs(fn, inputs)]
            flat[i] = orig
            total = 0.0
            for p, m, go in zip(plus, minus, grad_outputs):
                if go is None:
                    continue
                diff = (p - m) / (2 * eps)
                total += float((diff * go).sum())
            gflat[i] = total
        grads.append(g)
    return grads


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0,
              grad_outputs=None):
    """Compare the analytic gradients of ``fn`` at ``inputs`` with central differences.

    Uses a random upstream gradient (not just ``.sum()``), so every output element is
    weighted differently. Inputs should be float64 tensors with requires_grad=True.

    Args:
        fn: function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors (non-tensors are passed through).
        eps, atol, rtol: step and tolerances.
        raise_exception: raise RuntimeError with the mismatch instead of returning False.
        grad_outputs: upstream gradients (NumPy arrays); random normal by default.

    Returns:
        True if all gradients match.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
        True
    """
    from ..tensor import Tensor
    from . import grad as autograd_grad
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    for idx, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t._data.dtype != np.float64:
            # PyTorch's warning, word for word
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are not "
                          "of double precision floating point or complex. ", stacklevel=2)
    outs = _outputs(fn, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [rng.standard_normal(o._data.shape) if o.requires_grad else None for o in outs]
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    diff_outs = [(o, go) for o, go in zip(outs, grad_outputs) if go is not None]
    if diff_outs:
        analytic = autograd_grad([o for o, _ in diff_outs], diff_inputs,
                                 [Tensor._wrap(go.astype(o._data.dtype)) for o, go in diff_outs],
                                 allow_unused=True, retain_graph=True)
    else:
        analytic = [None] * len(diff_inputs)
    numeric = [n for n in numerical_jacobian_vector(fn, inputs, grad_outputs, eps) if n is not None]
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.zeros_like(n) if a is None else a._data.astype(np.float64)
        if a.shape != n.shape:
            msg = (f"gradcheck: gradient of input {i} has shape {tuple(a.shape)}, expected "
                   f"{tuple(n.shape)}")
        elif np.allclose(a, n, atol=atol, rtol=rtol):
            continue
        else:
            err = np.abs(a - n)
            j = np.unravel_index(np.argmax(err), err.shape) if err.ndim else ()
            j = tuple(int(k) for k in j)  # plain ints: no np.int64(...) in the message
            msg = (f"gradcheck: Jacobian mismatch for input {i} (shape {tuple(n.shape)}): max abs "
                   f"error {float(err.max()):.3e} at index {j}: analytic {float(a[j]):.6g} vs "
                   f"numerical {float(n[j]):.6g}")
        if raise_exception:
            raise RuntimeError(msg)
        return False
    return True


def gradgradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check second derivatives: gradcheck of the map (inputs, v) -> vector-Jacobian product
    computed with ``create_graph=True``.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradgradcheck(lambda t: t.exp() * t, (x,))
        True
    """
    from ..tensor import Tensor
    from . import grad as autograd_grad
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    rng = np.random.default_rng(seed + 1)
    outs = _outputs(fn, inputs)
    vs = [Tensor._wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)) for o in outs]
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def vjp(*xs):
        outs = _outputs(fn, xs)
        dins = [xs[i] for i in diff_idx]
        gs = autograd_grad(list(outs), dins, vs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else (x * 0) for g, x in zip(gs, dins))

    return gradcheck(vjp, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception, seed=seed + 2)
