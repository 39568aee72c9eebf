"""RAdam (Liu et al., 2020): Adam with a rectified adaptive learning rate."""
import numpy as np

from ._kernels import (_adam_grad, _adam_moments_, _bump_version, _check_betas, _check_lr, _check_nonneg,
                       _chunks, _incr_step, _new_step, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, as ``torch.optim.RAdam``.

    .. code-block:: text

        g <- -g if maximize;  weight decay as in Adam (L2) or AdamW (decoupled)
        m <- lerp(m, g, 1 - beta1);  v <- beta2 * v + (1 - beta2) * g * g
        m_hat <- m / (1 - beta1^t)
        rho_inf <- 2 / (1 - beta2) - 1
        rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:
            r_t <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            l_t <- sqrt(1 - beta2^t) / (sqrt(v) + eps)
            theta <- theta - lr * m_hat * l_t * r_t
        else:
            theta <- theta - lr * m_hat

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 1e-3).
        betas (tuple[float, float]): decay rates (default: (0.9, 0.999)).
        eps (float): denominator term for stability (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        decoupled_weight_decay (bool): decay as in AdamW (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: accepted and ignored.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.

    Example:
        >>> opt = ember.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one RAdam step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _wrap(_zeros_like(pa))
                    state["exp_avg_sq"] = _wrap(_zeros_like(pa))
                step = _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                rect = None
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                for pc, gc, m, v in _chunks(pa, ga, state["exp_avg"]._data,
                                            state["exp_avg_sq"]._data):
                    g = _adam_grad(self, pc, gc, lr, wd, decoupled, group["maximize"])
                    upd = self._scratch(1, pc)
                    tmp = self._scratch(2, pc)
                    _adam_moments_(m, v, g, beta1, beta2, tmp)
                    xp.divide(m, dt(bias_correction1), out=upd)      # m_hat
                    xp.multiply(upd, dt(lr), out=upd)
                    if rect is not None:
                        xp.sqrt(v, out=tmp)
                        xp.add(tmp, dt(eps), out=tmp)
                        xp.reciprocal(tmp, out=tmp)          # PyTorch's scalar / tensor
                        xp.multiply(tmp, dt(bias_correction2 ** 0.5), out=tmp)
                        xp.multiply(upd, tmp, out=upd)
                        xp.multiply(upd, dt(rect), out=upd)
                    xp.subtract(pc, upd, out=pc)
                _bump_version(p)
        return loss
