"""Rprop (Riedmiller & Braun, 1993): per-weight step sizes adapted from gradient signs."""
import numpy as np

from ._kernels import _bump_version, _check_lr, _chunks, _incr_step, _new_step, _zeros_like
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation, as ``torch.optim.Rprop`` (full-batch training).

    .. code-block:: text

        g <- -g if maximize
        s <- sign(g * g_prev):  eta_plus where > 0, eta_minus where < 0, 1 where 0
        step_size <- clamp(step_size * s, step_min, step_max)
        g <- 0 where the sign changed (s == eta_minus)
        theta <- theta - sign(g) * step_size;   g_prev <- g

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): initial step size (default: 1e-2).
        etas (tuple[float, float]): (eta_minus, eta_plus) factors (default: (0.5, 1.2)).
        step_sizes (tuple[float, float]): min and max step sizes (default: (1e-6, 50)).
        maximize (bool): maximize the objective (default: False).
        capturable, foreach, differentiable: accepted and ignored.

    State per parameter: ``step``, ``prev``, ``step_size``.

    Example:
        >>> opt = ember.optim.Rprop(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one Rprop step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_min, step_max = group["step_sizes"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["prev"] = _wrap(_zeros_like(pa))
                    state["step_size"] = _wrap(_zeros_like(ga, _to_float(group["lr"])))
                _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                for pc, gc, prev, ss in _chunks(pa, ga, state["prev"]._data,
                                                state["step_size"]._data):
                    g = self._grad_with_decay(pc, gc, 0, group["maximize"])
                    s = self._scratch(1, pc)
                    xp.multiply(g, prev, out=s)
                    xp.sign(s, out=s)
                    xp.copyto(s, dt(etaplus), where=s > 0)
                    xp.copyto(s, dt(etaminus), where=s < 0)
                    xp.copyto(s, dt(1), where=s == 0)
                    xp.multiply(ss, s, out=ss)
                    xp.clip(ss, dt(step_min), dt(step_max), out=ss)
                    xp.copyto(prev, g)                      # prev <- g, zeroed where
                    xp.copyto(prev, dt(0), where=s == dt(etaminus))  # the sign flipped
                    xp.sign(prev, out=s)
                    xp.multiply(s, ss, out=s)
                    xp.subtract(pc, s, out=pc)
                _bump_version(p)
        return loss
