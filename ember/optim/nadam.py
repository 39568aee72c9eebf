"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum-decay schedule."""
import numpy as np

from ._kernels import (_adam_grad, _adam_moments_, _addcdiv_, _bump_version, _check_betas, _check_lr,
                       _check_nonneg, _chunks, _incr_step, _new_step, _scalar_np_dtype, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``.

    .. code-block:: text

        g <- -g if maximize;  weight decay as in Adam (L2) or AdamW (decoupled)
        mu_t     <- beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
        mu_{t+1} <- beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
        P_t <- P_{t-1} * mu_t                       (state 'mu_product')
        m <- lerp(m, g, 1 - beta1);  v <- beta2 * v + (1 - beta2) * g * g
        denom <- sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr * (1 - mu_t) / (1 - P_t) * g / denom
                       - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / denom

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 2e-3).
        betas (tuple[float, float]): decay rates (default: (0.9, 0.999)).
        eps (float): denominator term for stability (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        momentum_decay (float): momentum decay psi (default: 4e-3).
        decoupled_weight_decay (bool): decay as in AdamW (NAdamW) (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: accepted and ignored.

    State per parameter: ``step``, ``mu_product`` (0-d Tensor), ``exp_avg``,
    ``exp_avg_sq``.

    Example:
        >>> opt = ember.optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one NAdam step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["mu_product"] = _wrap(np.ones((), dtype=_scalar_np_dtype()))  # host: a scalar
                    state["exp_avg"] = _wrap(_zeros_like(pa))
                    state["exp_avg_sq"] = _wrap(_zeros_like(pa))
                step = _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                bias_correction2 = 1 - beta2 ** step
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mp = state["mu_product"]._data
                mp *= mp.dtype.type(mu)  # a 0-d host counter, as the step
                mu_product = float(mp)

                mu_product_next = mu_product * mu_next
                c_grad = -lr * (1.0 - mu) / (1.0 - mu_product)
                c_avg = (-lr * mu_next) / (1.0 - mu_product_next)
                for pc, gc, m, v in _chunks(pa, ga, state["exp_avg"]._data,
                                            state["exp_avg_sq"]._data):
                    g = _adam_grad(self, pc, gc, lr, wd, decoupled, group["maximize"])
                    denom = self._scratch(1, pc)
                    tmp = self._scratch(2, pc)
                    _adam_moments_(m, v, g, beta1, beta2, tmp)
                    xp.divide(v, dt(bias_correction2), out=denom)
                    xp.sqrt(denom, out=denom)
                    xp.add(denom, dt(eps), out=denom)
                    _addcdiv_(xp, pc, g, denom, c_grad, tmp)
                    _addcdiv_(xp, pc, m, denom, c_avg, tmp)
                _bump_version(p)
        return loss
