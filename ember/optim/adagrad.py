"""Adagrad (Duchi et al., 2011): per-coordinate step sizes from accumulated squares."""
import numpy as np

from ._kernels import (_addcdiv_, _bump_version, _check_lr, _check_nonneg, _chunks,
                       _incr_step, _new_step, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    .. code-block:: text

        g <- -g if maximize;  g <- g + weight_decay * theta
        clr <- lr / (1 + (t - 1) * lr_decay)
        s <- s + g * g                      (s starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(s) + eps)

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 1e-2).
        lr_decay (float): learning-rate decay (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        initial_accumulator_value (float): starting value of the sums (default: 0).
        eps (float): denominator term for stability (default: 1e-10).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, fused: accepted and ignored.

    State per parameter (created in the constructor, as in PyTorch): ``step``, ``sum``.

    Example:
        >>> opt = ember.optim.Adagrad(model.parameters(), lr=0.1)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("eps", eps, "epsilon")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = _new_step()
        state["sum"] = _wrap(_zeros_like(p._data, group["initial_accumulator_value"]))
        return state

    def share_memory(self):
        """No-op (PyTorch shares the sums across processes; ember's NumPy arrays are
        per-process)."""

    def step(self, closure=None):
        """Perform one Adagrad step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            lr_decay, eps = group["lr_decay"], group["eps"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if "sum" not in state:   # a group added after construction
                    state = self._init_state(p, group)
                step = _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                clr = lr / (1 + (step - 1) * lr_decay)
                for pc, gc, s in _chunks(pa, ga, state["sum"]._data):
                    g = self._grad_with_decay(pc, gc, group["weight_decay"], group["maximize"])
                    tmp1 = self._scratch(1, pc)
                    tmp2 = self._scratch(2, pc)
                    xp.multiply(g, g, out=tmp1)
                    xp.add(s, tmp1, out=s)
                    xp.sqrt(s, out=tmp1)
                    xp.add(tmp1, dt(eps), out=tmp1)
                    _addcdiv_(xp, pc, g, tmp1, -clr, tmp2)
                _bump_version(p)
        return loss
