"""L-BFGS (limited-memory BFGS) with an optional strong-Wolfe line search."""
import math

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..backend import get_array_module
from ._kernels import _bump_version, _check_lr
from .optimizer import Optimizer, _is_tensor, _to_float, _wrap

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to
    ``bounds`` (default: the interval between x1 and x2)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)  # Python floats
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along ``d`` for a step ``t`` meeting the strong Wolfe conditions
    (Nocedal & Wright, algorithms 3.5/3.6: bracketing, then zoom with cubic
    interpolation). Returns ``(f_new, g_new, t, n_func_evals)``."""
    d_norm = abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:   # reached the evaluation budget while bracketing
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom until the bracket is tiny or the conditions hold
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # safeguard: keep t away from the bracket's ends
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _unpack(v):
    """State value -> working value: Tensors to raw arrays (0-d ones to scalars)."""
    if _is_tensor(v):
        a = v._data
        return a[()] if a.ndim == 0 else a
    if isinstance(v, list):
        return [_unpack(x) for x in v]
    return v


def _pack(v):
    """Working value -> state value: arrays and NumPy scalars become Tensors."""
    if isinstance(v, np.generic):
        return _wrap(np.asarray(v))  # host: a NumPy scalar (0-d state value)
    if isinstance(v, list):
        return [_pack(x) for x in v]
    if v is not None and not isinstance(v, (int, float)) and hasattr(v, "shape"):
        return _wrap(v)
    return v


class LBFGS(Optimizer):
    r"""L-BFGS, as ``torch.optim.LBFGS`` (itself a port of Mark Schmidt's minFunc).

    Each ``step(closure)`` runs up to ``max_iter`` quasi-Newton iterations: the search
    direction comes from the two-loop recursion over the last ``history_size``
    curvature pairs, and the step either has the fixed length ``lr`` (``lr * min(1,
    1/|g|_1)`` on the very first iteration) or is found by a strong-Wolfe line search.

    Args:
        params (iterable): parameters to optimize (one group only).
        lr (float): learning rate / initial step length (default: 1).
        max_iter (int): iterations per ``step`` (default: 20).
        max_eval (int): closure evaluations per ``step`` (default: max_iter * 1.25).
        tolerance_grad (float): stop when max |gradient| <= this (default: 1e-7).
        tolerance_change (float): stop when the step or the loss change is below this
            (default: 1e-9).
        history_size (int): number of curvature pairs kept (default: 100).
        line_search_fn (str or None): ``None`` or ``"strong_wolfe"``.

    The closure must clear the gradients, compute the loss, call ``backward()`` and
    return the loss. Parameters are handled as one flat vector (memory: about
    ``2 * history_size`` copies of it).

    Example:
        >>> opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: only line_search_fn=None or 'strong_wolfe' is "
                             f"supported, got {line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def __setstate__(self, state):
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]["params"]

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p._data.size for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            if p.grad is None:
                xp = get_array_module(p._data)
                views.append(xp.zeros(p._data.size, dtype=p._data.dtype))
            else:
                views.append(p.grad._data.reshape(-1))
        xp = get_array_module(views[0])
        return xp.concatenate(views)

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            pa = p._data
            n = pa.size
            u = update[offset:offset + n].reshape(pa.shape)
            pa += u * pa.dtype.type(float(step_size))
            _bump_version(p)
            offset += n
        assert offset == self._numel()

    def _clone_param(self):
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data):
        for p, data in zip(self._params, params_data):
            p._data[...] = data
            _bump_version(p)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(_to_float(closure()))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure (callable): clears the gradients, computes and back-propagates the
                loss, and returns it (required).

        Returns:
            the loss returned by the first closure call.
        """
        if closure is None:
            raise TypeError("LBFGS.step requires a closure that re-evaluates the model "
                               "and returns the loss")
        user_closure = closure

        def closure():
            with enable_grad():
                return user_closure()

        group = self.param_groups[0]
        lr = _to_float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(_to_float(orig_loss))
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d = _unpack(state.get("d"))
        t = _unpack(state.get("t"))
        old_dirs = _unpack(state.get("old_dirs"))
        old_stps = _unpack(state.get("old_stps"))
        ro = _unpack(state.get("ro"))
        H_diag = _unpack(state.get("H_diag"))
        prev_flat_grad = _unpack(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        al = _unpack(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- search direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * d.dtype.type(float(t))
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:   # drop the oldest pair
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                # two-loop recursion: d = -H g
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += old_dirs[i] * q.dtype.type(-float(al[i]))
                d = r = q * q.dtype.type(float(H_diag))
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += old_stps[i] * r.dtype.type(float(al[i] - be_i))

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # ---- step length
            if state["n_iter"] == 1:
                inv = flat_grad.dtype.type(1.0) / abs(flat_grad).sum()
                t = min(1.0, inv) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:   # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    loss = float(_to_float(closure()))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stopping conditions
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if abs(d * d.dtype.type(float(t))).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _pack(d)
        state["t"] = _pack(t)
        state["old_dirs"] = _pack(old_dirs)
        state["old_stps"] = _pack(old_stps)
        state["ro"] = _pack(ro)
        state["H_diag"] = _pack(H_diag)
        state["prev_flat_grad"] = _pack(prev_flat_grad)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = _pack(al)
        return orig_loss
