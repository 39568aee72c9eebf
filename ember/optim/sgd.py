"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""
import numpy as np

from ._kernels import _bump_version, foreach_chunk
from ..backend import get_array_module
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g`:

    .. code-block:: text

        g <- -g if maximize
        g <- g + weight_decay * theta                      (if weight_decay != 0)
        b <- g  (first step)  or  momentum * b + (1 - dampening) * g
        g <- g + momentum * b  if nesterov  else  b         (if momentum != 0)
        theta <- theta - lr * g

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 1e-3).
        momentum (float): momentum factor (default: 0).
        dampening (float): dampening of the momentum (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        nesterov (bool): Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, differentiable, fused: accepted for PyTorch compatibility; ember has
            a single implementation (in-place NumPy on each parameter).

    State per parameter: ``momentum_buffer`` (only when momentum != 0).

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad()
        >>> loss_fn(model(x), y).backward()
        >>> opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if _to_float(lr) < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if _to_float(weight_decay) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def step(self, closure=None):
        """Perform one SGD step; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            wd = _to_float(group["weight_decay"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p, pa, ga in self._params_with_grad(group):
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                if momentum == 0:
                    def update(chunk, scratch):
                        pc, gc = chunk
                        g = self._grad_with_decay(pc, gc, wd, maximize, scratch)
                        tmp = scratch(1, pc)
                        xp.multiply(g, dt(-lr), out=tmp)
                        xp.add(pc, tmp, out=pc)
                    foreach_chunk(self, update, pa, ga)
                    _bump_version(p)
                    continue
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                first = buf_t is None
                if first:
                    buf_t = state["momentum_buffer"] = _wrap(xp.empty_like(pa))
                def update(chunk, scratch, first=first):
                    pc, gc, buf = chunk
                    g = self._grad_with_decay(pc, gc, wd, maximize, scratch)
                    tmp = scratch(1, pc)
                    if first:                       # buf <- g
                        xp.copyto(buf, g)
                    else:                           # buf <- momentum*buf + (1-dampening)*g
                        xp.multiply(buf, dt(momentum), out=buf)
                        if dampening == 0:
                            xp.add(buf, g, out=buf)
                        else:
                            xp.multiply(g, dt(1 - dampening), out=tmp)
                            xp.add(buf, tmp, out=buf)
                    if nesterov:                    # g <- g + momentum*buf
                        out = scratch(0, pc)
                        xp.multiply(buf, dt(momentum), out=tmp)
                        xp.add(g, tmp, out=out)     # g may itself be scratch 0: fine
                        g = out
                    else:
                        g = buf
                    xp.multiply(g, dt(-lr), out=tmp)
                    xp.add(pc, tmp, out=pc)
                foreach_chunk(self, update, pa, ga, buf_t._data)
                _bump_version(p)
        return loss
