"""Module full backward hooks (``Module.register_full_backward_hook``).

The module's tensor inputs and outputs are passed through identity ops whose backward
records the gradients: the output ones collect ``grad_output``, the input ones
``grad_input``; when the last input gradient arrives the hooks run as
``hook(module, grad_input, grad_output)``. If no input requires a gradient, the hooks
run as soon as ``grad_output`` is known, with ``grad_input == (None, ...)``, as in
PyTorch.

Limit (ember): a hook may return a replacement ``grad_input`` only when exactly one
tensor input requires a gradient (the common case); with several it raises, because
the other inputs' gradients have already been passed on by then.
"""
from ...autograd.op import Op
from ...autograd.grad_mode import STATE
from ...tensor import Tensor

__all__ = []


class _HookIdentity(Op):
    def forward(self, x):
        return x

    def backward(self, grad):
        res = self.callback(self.index, grad)
        return grad if res is None else res


class BackwardHookState:
    def __init__(self, module):
        self.module = module
        self.n_inputs = 0
        self.input_slots = []
        self.grad_inputs = None
        self.pending = 0
        self.n_outputs = 0
        self.grad_outputs = None
        self.outputs_seen = 0
        self.fired = False

    # -- forward side ---------------------------------------------------------------
    def setup_inputs(self, args):
        if not STATE.enabled:
            return args
        new = list(args)
        self.n_inputs = len(args)
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad:
                new[i] = _HookIdentity.apply(a, index=i, callback=self._on_input_grad)
                self.input_slots.append(i)
        self.pending = len(self.input_slots)
        self.grad_inputs = [None] * len(args)
        return tuple(new)

    def setup_outputs(self, output):
        if not STATE.enabled:
            return output
        single = isinstance(output, Tensor)
        outs = [output] if single else list(output) if isinstance(output, (tuple, list)) \
            else None
        if outs is None:
            return output
        self.n_outputs = len(outs)
        self.grad_outputs = [None] * len(outs)
        wrapped = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o.requires_grad:
                o = _HookIdentity.apply(o, index=i, callback=self._on_output_grad)
            wrapped.append(o)
        if single:
            return wrapped[0]
        return type(output)(wrapped) if isinstance(output, tuple) else wrapped

    # -- backward side --------------------------------------------------------------
    def _on_output_grad(self, index, grad):
        self.grad_outputs[index] = grad
        if not self.input_slots and not self.fired:
            self.fired = True
            self._run_hooks(tuple([None] * max(self.n_inputs, 1)))
        return None

    def _on_input_grad(self, index, grad):
        self.grad_inputs[index] = grad
        self.pending -= 1
        if self.pending > 0 or self.fired:
            return None
        self.fired = True
        res = self._run_hooks(tuple(self.grad_inputs))
        if res is None:
            return None
        if len(self.input_slots) != 1:
            raise RuntimeError(
                f"{self.module._get_name()}: a full backward hook returned a new grad_input, "
                "which ember supports only for modules with one tensor input requiring grad")
        res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        if len(res) != len(self.grad_inputs):
            raise RuntimeError(
                f"backward hook returned an invalid number of grad_input, got {len(res)}, but "
                f"expected {len(self.grad_inputs)}")
        return res[index]

    def _run_hooks(self, grad_inputs):
        grad_outputs = tuple(self.grad_outputs or ())
        result = None
        for hook in list(self.module._backward_hooks.values()):
            out = hook(self.module, grad_inputs if result is None else result, grad_outputs)
            if out is not None:
                result = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        return result
