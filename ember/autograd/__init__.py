"""Reverse-mode automatic differentiation (PyTorch's ``torch.autograd``): ``backward``,
``grad``, user ``Function``s, grad modes, anomaly detection, ``functional`` (jacobian,
hessian, vjp, jvp, hvp) and finite-difference checks."""
import numpy as np

from . import op as _function
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from .gradcheck import gradcheck, gradgradcheck
from .engine import run_backward
from . import graph  # noqa: E402,F401

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "gradcheck",
           "gradgradcheck", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "functional", "graph"]


def __getattr__(name):
    if name in ("functional", "profiler"):  # imported on first use (they build on the rest of ember)
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")


def _make_grads(outputs, grad_outputs):
    Tensor = _function._Tensor
    res = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got an output of "
                                   f"shape {tuple(out._data.shape)}); pass gradient=... with the same shape, "
                                   "or reduce the output first, e.g. loss.sum().backward()")
            g = Tensor._wrap(np.ones(out._data.shape, dtype=out._data.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g, dtype=out._data.dtype))
        elif g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {tuple(g._data.shape)} and "
                               f"output has a shape of {tuple(out._data.shape)}.")
        res.append(g)
    return res


def _as_seq(x):
    Tensor = _function._Tensor
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves.

    Args:
        tensors: a tensor or sequence of tensors to differentiate.
        grad_tensors: upstream gradients (needed for non-scalar outputs).
        retain_graph: keep the graph's saved values for another backward (default: create_graph).
        create_graph: record the backward itself so higher-order gradients can be taken.
        inputs: accumulate only into these leaves.
    """
    tensors = _as_seq(tensors)
    grads = _as_seq(grad_tensors) or [None] * len(tensors)
    for t in tensors:
        if not t._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn. "
                               "Did you create it under no_grad, or forget requires_grad=True on the inputs?")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_seq(inputs)
    run_backward(tensors, _make_grads(tensors, grads), retain_graph, create_graph, inputs=inputs,
                 accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (``.grad`` is not touched).

    Example:
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> (g,) = ember.autograd.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
        >>> ember.autograd.grad(g, x)                                  # 6x = 18
    """
    outputs = _as_seq(outputs)
    inputs = _as_seq(inputs)
    grads = _as_seq(grad_outputs) or [None] * len(outputs)
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    for t in outputs:
        if not t._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outputs, _make_grads(outputs, grads), retain_graph, create_graph, inputs=inputs,
                       allow_unused=bool(allow_unused) or materialize_grads, accumulate=False)
    if materialize_grads:
        Tensor = _function._Tensor
        res = tuple(Tensor._wrap(np.zeros_like(i._data)) if r is None else r for r, i in zip(res, inputs))
    if not create_graph:
        res = tuple(None if r is None else r.detach() for r in res)
    return res
