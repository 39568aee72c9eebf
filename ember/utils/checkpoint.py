"""Activation checkpointing: ``ember.utils.checkpoint.checkpoint`` (PyTorch's names).

``checkpoint(fn, *args)`` runs ``fn`` without keeping its intermediate values; backward
runs it again (same RNG state, so dropout draws the same masks) with the graph on, and
back-propagates through that recomputation: memory for compute, as in PyTorch's
reentrant checkpoint.

Example:
    >>> y = checkpoint(block, x, use_reentrant=False)   # block's activations not kept
    >>> y.sum().backward()
"""
import warnings

from ..autograd import backward as _backward
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.rng_state = get_rng_state()
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.others = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        args = list(ctx.others)
        saved = ctx.saved_tensors
        for pos, t in zip(ctx.tensor_positions, saved):
            d = t.detach()
            d.requires_grad_(t.requires_grad)
            args[pos] = d
        if ctx.preserve_rng_state:
            after = get_rng_state()
            set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                outputs = ctx.run_function(*args)
        finally:
            if ctx.preserve_rng_state:
                set_rng_state(after)
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        in_grads = [a.grad if isinstance(a, Tensor) else None for a in args]
        return (None, None) + tuple(in_grads)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """Run ``function(*args, **kwargs)`` saving only its inputs; recompute in backward.

    Args:
        function: the part of the model to checkpoint.
        *args: its inputs; at least one tensor input should require grad.
        use_reentrant (bool): accepted as in PyTorch (pass it explicitly to avoid the
            warning); ember always recomputes in a nested backward.
        preserve_rng_state (bool): replay the same random draws (dropout) in the
            recomputation. Default: True.
    """
    if use_reentrant is None:
        warnings.warn("ember.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. Pass use_reentrant=True or use_reentrant=False.", stacklevel=2)
    if kwargs:
        fn = function

        def function(*a):
            return fn(*a, **kwargs)
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
    return CheckpointFunction.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of modules in ``segments`` checkpointed chunks (the last one plainly)."""
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    n = len(functions)
    size = max(n // segments, 1)

    def run(start, end):
        def f(x):
            for fn in functions[start:end + 1]:
                x = fn(x)
            return x
        return f

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, n - 1)(input)
