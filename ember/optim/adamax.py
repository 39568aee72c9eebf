"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with an infinity-norm second moment."""
import numpy as np

from ._kernels import (_addcdiv_, _bump_version, _check_betas, _check_lr, _check_nonneg,
                       _chunks, _incr_step, _lerp_, _new_step, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, as ``torch.optim.Adamax``.

    .. code-block:: text

        g <- -g if maximize;  g <- g + weight_decay * theta
        m <- lerp(m, g, 1 - beta1)
        u <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1^t) * m / u

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 2e-3).
        betas (tuple[float, float]): decay rates (default: (0.9, 0.999)).
        eps (float): added to |g| for stability (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, capturable: accepted and ignored.

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.

    Example:
        >>> opt = ember.optim.Adamax(model.parameters())
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one Adamax step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _wrap(_zeros_like(pa))
                    state["exp_inf"] = _wrap(_zeros_like(pa))
                step = _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                clr = lr / (1 - beta1 ** step)
                for pc, gc, m, u in _chunks(pa, ga, state["exp_avg"]._data,
                                            state["exp_inf"]._data):
                    g = self._grad_with_decay(pc, gc, group["weight_decay"], group["maximize"])
                    tmp1 = self._scratch(1, pc)
                    tmp2 = self._scratch(2, pc)
                    _lerp_(xp, m, g, 1 - beta1, tmp1)
                    xp.multiply(u, dt(beta2), out=u)
                    xp.abs(g, out=tmp1)
                    xp.add(tmp1, dt(eps), out=tmp1)
                    xp.maximum(u, tmp1, out=u)
                    _addcdiv_(xp, pc, m, u, -clr, tmp2)
                _bump_version(p)
        return loss
