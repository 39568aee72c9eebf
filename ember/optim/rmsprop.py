"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""
import numpy as np

from ._kernels import (_addcdiv_, _addcmul_, _bump_version, _check_lr, _check_nonneg,
                       _chunks, _incr_step, _lerp_, _new_step, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    .. code-block:: text

        g <- -g if maximize;  g <- g + weight_decay * theta
        v <- alpha * v + (1 - alpha) * g * g
        avg <- sqrt(v) + eps,   or if centered:
            m <- lerp(m, g, 1 - alpha);  avg <- sqrt(v - m * m) + eps
        momentum > 0:  b <- momentum * b + g / avg;  theta <- theta - lr * b
        otherwise:     theta <- theta - lr * g / avg

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 1e-2).
        alpha (float): smoothing constant (default: 0.99).
        eps (float): denominator term for stability (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        momentum (float): momentum factor (default: 0).
        centered (bool): normalise by an estimate of the gradient's variance.
        maximize (bool): maximize the objective (default: False).
        capturable, foreach, differentiable: accepted and ignored.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).

    Example:
        >>> opt = ember.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one RMSprop step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            alpha, eps = group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = _wrap(_zeros_like(pa))
                    if momentum > 0:
                        state["momentum_buffer"] = _wrap(_zeros_like(pa))
                    if centered:
                        state["grad_avg"] = _wrap(_zeros_like(pa))
                _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                arrays = (pa, ga, state["square_avg"]._data)
                if momentum > 0:
                    arrays += (state["momentum_buffer"]._data,)
                if centered:
                    arrays += (state["grad_avg"]._data,)
                for chunk in _chunks(*arrays):
                    pc, gc, v = chunk[:3]
                    g = self._grad_with_decay(pc, gc, group["weight_decay"], group["maximize"])
                    avg = self._scratch(1, pc)
                    tmp = self._scratch(2, pc)
                    xp.multiply(v, dt(alpha), out=v)
                    _addcmul_(xp, v, g, g, 1 - alpha, tmp)
                    if centered:
                        m = chunk[-1]
                        _lerp_(xp, m, g, 1 - alpha, tmp)
                        if pc.dtype == np.float32:
                            # v - m*m cancels badly; PyTorch computes it with one fused
                            # multiply-add: the exact product in float64 gives the same
                            wide = self._scratch(3, pc, np.float64)
                            xp.multiply(m, m, out=wide)
                            xp.subtract(v, wide, out=wide)
                            xp.copyto(avg, wide, casting="same_kind")
                        else:
                            xp.multiply(m, dt(-1), out=avg)
                            xp.multiply(avg, m, out=avg)
                            xp.add(v, avg, out=avg)
                        xp.sqrt(avg, out=avg)
                    else:
                        xp.sqrt(v, out=avg)
                    xp.add(avg, dt(eps), out=avg)
                    if momentum > 0:
                        buf = chunk[3]
                        xp.multiply(buf, dt(momentum), out=buf)
                        _addcdiv_(xp, buf, g, avg, 1, tmp)
                        xp.multiply(buf, dt(-lr), out=tmp)
                        xp.add(pc, tmp, out=pc)
                    else:
                        _addcdiv_(xp, pc, g, avg, -lr, tmp)
                _bump_version(p)
        return loss
