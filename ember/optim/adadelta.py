"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and
squared updates."""
import numpy as np

from ._kernels import (_addcmul_, _bump_version, _check_lr, _check_nonneg, _chunks,
                       _incr_step, _new_step, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    .. code-block:: text

        g <- -g if maximize;  g <- g + weight_decay * theta
        v <- rho * v + (1 - rho) * g * g
        delta <- sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * delta * delta
        theta <- theta - lr * delta

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): coefficient scaling delta (default: 1.0).
        rho (float): running-average coefficient (default: 0.9).
        eps (float): term added inside the square roots (default: 1e-6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: accepted and ignored.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.

    Example:
        >>> opt = ember.optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None,
                 *, capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg("eps", eps, "epsilon")
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, capturable=capturable, foreach=foreach,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one Adadelta step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            rho, eps = group["rho"], group["eps"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = _wrap(_zeros_like(pa))
                    state["acc_delta"] = _wrap(_zeros_like(pa))
                _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                for pc, gc, v, u in _chunks(pa, ga, state["square_avg"]._data,
                                            state["acc_delta"]._data):
                    g = self._grad_with_decay(pc, gc, group["weight_decay"], group["maximize"])
                    std = self._scratch(1, pc)
                    delta = self._scratch(2, pc)
                    xp.multiply(v, dt(rho), out=v)
                    _addcmul_(xp, v, g, g, 1 - rho, std)
                    xp.add(v, dt(eps), out=std)
                    xp.sqrt(std, out=std)
                    xp.add(u, dt(eps), out=delta)
                    xp.sqrt(delta, out=delta)
                    xp.divide(delta, std, out=delta)
                    xp.multiply(delta, g, out=delta)
                    xp.multiply(u, dt(rho), out=u)
                    _addcmul_(xp, u, delta, delta, 1 - rho, std)
                    xp.multiply(delta, dt(-lr), out=std)
                    xp.add(pc, std, out=pc)
                _bump_version(p)
        return loss
