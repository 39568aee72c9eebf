"""Adam (Kingma & Ba, 2015), with AMSGrad and optional decoupled weight decay."""
import numpy as np

from ._kernels import (_adam_grad, _adam_moments_, _addcdiv_, _bump_version, _check_betas, _check_lr,
                       _check_nonneg, _incr_step, _new_step, _zeros_like, foreach_chunk)
from ..backend import get_array_module
from ..backend._fused import kernel as _fused
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (same update, same order of operations).

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`:

    .. code-block:: text

        g <- -g if maximize
        theta <- theta * (1 - lr * weight_decay)    if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * theta               otherwise (L2 penalty)
        m <- lerp(m, g, 1 - beta1)                  # beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)                      (amsgrad; v_max is used below)
        denom <- sqrt(v) / sqrt(1 - beta2^t) + eps
        theta <- theta - lr / (1 - beta1^t) * m / denom

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float): learning rate (default: 1e-3).
        betas (tuple[float, float]): decay rates of the first and second moment
            estimates (default: (0.9, 0.999)).
        eps (float): added to the denominator for stability (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        amsgrad (bool): use the AMSGrad variant (default: False).
        maximize (bool): maximize the objective (default: False).
        decoupled_weight_decay (bool): AdamW's decoupled decay (default: False).
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility
            and ignored (ember has one in-place NumPy implementation).

    State per parameter: ``step`` (0-d Tensor), ``exp_avg``, ``exp_avg_sq`` and, with
    amsgrad, ``max_exp_avg_sq``.

    Example:
        >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
        >>> for x, y in loader:
        ...     opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_lr(lr)
        _check_nonneg("eps", eps, "epsilon")
        betas = tuple(_to_float(b) for b in betas)
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """Perform one Adam step; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _to_float(group["lr"])
            beta1, beta2 = (_to_float(b) for b in group["betas"])
            eps = group["eps"]
            wd = group["weight_decay"]
            amsgrad = group["amsgrad"]
            decoupled = group.get("decoupled_weight_decay", False)
            maximize = group["maximize"]
            for p, pa, ga in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = _wrap(_zeros_like(pa))
                    state["exp_avg_sq"] = _wrap(_zeros_like(pa))
                    if amsgrad:
                        state["max_exp_avg_sq"] = _wrap(_zeros_like(pa))
                step = _incr_step(state["step"])
                dt = pa.dtype.type
                xp = get_array_module(pa)  # numpy or cupy: the parameter's device
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                arrays = (pa, ga, state["exp_avg"]._data, state["exp_avg_sq"]._data)
                if amsgrad:
                    arrays += (state["max_exp_avg_sq"]._data,)
                if xp is not np and not amsgrad:  # CUDA: the whole update in one fused kernel
                    m, v = arrays[2], arrays[3]
                    g = _adam_grad(self, pa, ga, lr, wd, decoupled, maximize)
                    newp, newm, newv = _fused("adam")(pa, g, m, v, beta1, beta2, step_size,
                                                      bias_correction2_sqrt, eps)
                    pa[...], m[...], v[...] = newp, newm, newv
                    _bump_version(p)
                    continue
                def update(chunk, scratch):
                    pc, gc, m, v = chunk[:4]
                    g = _adam_grad(self, pc, gc, lr, wd, decoupled, maximize, scratch)
                    tmp1 = scratch(1, pc)
                    tmp2 = scratch(2, pc)
                    _adam_moments_(m, v, g, beta1, beta2, tmp1)
                    if amsgrad:
                        vmax = chunk[4]
                        xp.maximum(vmax, v, out=vmax)
                        v = vmax
                    denom = tmp1
                    xp.sqrt(v, out=denom)
                    xp.divide(denom, dt(bias_correction2_sqrt), out=denom)
                    xp.add(denom, dt(eps), out=denom)
                    _addcdiv_(xp, pc, m, denom, -step_size, tmp2)
                foreach_chunk(self, update, *arrays)
                _bump_version(p)
        return loss
