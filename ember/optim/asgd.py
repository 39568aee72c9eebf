"""Averaged SGD (Polyak & Juditsky, 1992), with PyTorch's step-size decay."""
import numpy as np

from ._kernels import (_bump_version, _check_lr, _check_nonneg, _chunks, _incr_step,
                       _new_step, _scalar_np_dtype, _zeros_like)
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, as ``torch.optim.ASGD``.

    .. code-block:: text

        g <- -g if maximize;  g <- g + weight_decay * theta
        theta <- theta * (1 - lambd * eta) - eta * g
        ax <- ax + mu * (theta - ax)     (ax <- theta while mu == 1)
        eta <- lr / (1 + lambd * lr * t) ** alpha;   mu <- 1 / max(1, t - t0)

    The running average ``ax`` (state) is the averaged iterate; copy it into the
    parameters for evaluation.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 1e-2).
        lambd (float): decay term (default: 1e-4).
        alpha (float): power of the eta update (default: 0.75).
        t0 (float): step at which averaging starts (default: 1e6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, capturable: accepted and ignored.

    State per parameter: ``step``, ``eta``, ``mu`` (0-d Tensors), ``ax``.

    Example:
        >>> opt = ember.optim.ASGD(model.parameters(), lr=0.01, t0=100)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one ASGD step; ``closure`` (optional) re-evaluates the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    sdt = _scalar_np_dtype()
                    state["step"] = _new_step()
                    state["eta"] = _wrap(np.array(lr, dtype=sdt))  # host: a scalar, as PyTorch keeps it
                    state["mu"] = _wrap(np.ones((), dtype=sdt))  # host: a scalar, as PyTorch keeps it
                    state["ax"] = _wrap(_zeros_like(pa))
                step = _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                eta = float(state["eta"]._data)
                mu = float(state["mu"]._data)
                for pc, gc, ax in _chunks(pa, ga, state["ax"]._data):
                    g = self._grad_with_decay(pc, gc, group["weight_decay"], group["maximize"])
                    tmp = self._scratch(1, pc)
                    xp.multiply(pc, dt(1 - lambd * eta), out=pc)
                    xp.multiply(g, dt(-eta), out=tmp)
                    xp.add(pc, tmp, out=pc)
                    if mu != 1:
                        xp.subtract(pc, ax, out=tmp)
                        xp.multiply(tmp, dt(mu), out=tmp)
                        xp.add(ax, tmp, out=ax)
                    else:
                        xp.copyto(ax, pc)
                state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = 1 / max(1, step - t0)
                _bump_version(p)
        return loss
