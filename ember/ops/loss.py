"""Fused loss ops: cross-entropy (log_softmax + nll in one node), nll, binary
cross-entropy and binary cross-entropy with logits.

Each op computes its forward in NumPy and a closed-form backward
(``softmax - onehot`` for cross-entropy) on raw arrays (``backward_raw``, what training
runs); ``backward`` builds the same gradient from ember ops on the graph-connected
inputs, which the engine uses when it records the backward (``create_graph=True``), so
double backward works.

Class-index targets are raw integer arrays given as keyword params (they are never
differentiable); probability targets are positional Tensors.
"""
import numpy as np

from ember.autograd.op import Op
from ember.tensor import Tensor

__all__ = ["CrossEntropyIndex", "CrossEntropyProb", "NLL", "BinaryCrossEntropy",
           "BinaryCrossEntropyWithLogits", "cross_entropy_index", "cross_entropy_prob",
           "nll", "binary_cross_entropy_elementwise", "bce_with_logits_elementwise"]


def _cshape(shape):
    """Shape that broadcasts a (C,) vector along axis 1 of an (N, C, *d) array."""
    return (1, shape[1]) + (1,) * (len(shape) - 2)


def _grad_coef(node, g):
    """Per-sample coefficient array (target shape, or scalar) from the upstream grad array."""
    if node.reduction == "none":
        return g
    if node.reduction == "mean":
        return g / node.denom
    return g


def _coef_tensor(node, grad, ndim):
    """The same coefficient as a Tensor broadcasting against (N, C, *d)."""
    if node.reduction == "none":
        return grad.unsqueeze(1)
    if node.reduction == "mean":
        return grad / node.denom
    return grad


def _reduce_raw(xp, loss, reduction, denom):
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return xp.asarray(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.asarray(total / loss.dtype.type(denom))


class CrossEntropyIndex(Op):
    """Cross-entropy of logits (N, C, *d) against class indices (N, *d).

    Keyword params: ``target`` (int array), ``weight`` (array (C,) or None),
    ``ignore_index``, ``reduction``, ``label_smoothing``.

    Per sample ``loss_i = -sum_c q_ic log_softmax(x)_ic`` with
    ``q_ic = (1 - eps) w_{t_i} [c == t_i] + eps / C * w_c`` (0 for ignored samples);
    'mean' divides by ``sum_i w_{t_i}`` over the kept samples, like PyTorch.
    """
    torch_name = "NllLoss"

    def forward(self, x):
        xp = self.xp
        t = self.target
        C = x.shape[1]
        eps = self.label_smoothing
        w = self.weight
        keep = None                                  # mask of kept samples, None: all kept
        if getattr(self, "maybe_ignored", True):
            ignored = t == self.ignore_index
            if ignored.any():
                keep = ~ignored
                t = xp.where(ignored, 0, t)
        self.ts, self.keep = t, keep
        z = x - x.max(axis=1, keepdims=True)
        zy = self._gather(z)
        if eps > 0:
            zs = (z * w.reshape(_cshape(x.shape))).sum(axis=1) if w is not None else \
                z.sum(axis=1)
            wsum = float(w.sum()) if w is not None else float(C)
        xp.exp(z, out=z)
        s = z.sum(axis=1)
        lse = xp.log(s)
        if w is not None:
            wy = w[t]
            if keep is not None:
                wy *= keep
        elif keep is not None:
            wy = keep.astype(x.dtype)
        else:
            wy = None                                # all ones
        loss = lse - zy
        if wy is not None:
            loss *= wy
        if eps > 0:
            loss *= (1.0 - eps)
            smooth = wsum * lse - zs
            if keep is not None:
                smooth *= keep
            loss += (eps / C) * smooth
            ones = keep.astype(x.dtype) if keep is not None else 1.0
            self.sq = (1.0 - eps) * (wy if wy is not None else 1.0) + (eps / C) * wsum * ones
        else:
            self.sq = wy if wy is not None else 1.0
        self.denom = float(wy.sum()) if wy is not None else float(t.size)
        self.wy = wy if wy is not None else xp.ones(t.shape, dtype=x.dtype)
        self.e, self.s = z, s
        self.save_for_backward(x)
        return _reduce_raw(xp, loss.astype(x.dtype, copy=False), self.reduction, self.denom)

    def _gather(self, a):
        """a[i, t_i, ...] along axis 1."""
        if a.ndim == 2:
            return a[self.xp.arange(a.shape[0]), self.ts]
        return self.xp.take_along_axis(a, self.ts[:, None], axis=1)[:, 0]

    def _scatter_sub(self, a, v):
        """a[i, t_i, ...] -= v[i, ...] in place."""
        xp = self.xp
        if a.ndim == 2:
            rows = xp.arange(a.shape[0])
            a[rows, self.ts] -= v
        else:
            idx = self.ts[:, None]
            xp.put_along_axis(a, idx, xp.take_along_axis(a, idx, axis=1) - v[:, None], axis=1)

    def _smooth_part(self, shape, dtype):
        """(eps / C) * w_c * keep_i, broadcast as (N, C, *d) (or (1, C, 1...))."""
        xp = self.xp
        C = shape[1]
        wc = self.weight.astype(dtype, copy=False) if self.weight is not None else \
            xp.ones(C, dtype=dtype)
        part = (self.label_smoothing / C) * wc.reshape(_cshape(shape))
        if self.keep is not None:
            part = part * self.keep[:, None].astype(dtype)
        return part

    def _q(self, shape, dtype):
        """The constant target distribution q (N, C, *d) (for the double-backward path)."""
        q = self.xp.zeros(shape, dtype=dtype)
        self._scatter_sub(q, -((1.0 - self.label_smoothing) * self.wy).astype(dtype))
        if self.label_smoothing > 0:
            q += self._smooth_part(shape, dtype)
        return q

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = self.xp
        dtype = x._data.dtype
        p = x.softmax(1)
        sq = xp.broadcast_to(xp.asarray(self.sq, dtype=dtype), self.ts.shape)
        sq = Tensor._wrap(sq[:, None].astype(dtype))
        q = Tensor._wrap(self._q(x.shape, dtype))
        with np.errstate(divide="ignore", invalid="ignore"):   # all-ignored 'mean'
            return (p * sq - q) * _coef_tensor(self, grad, x.ndim)

    def backward_raw(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):   # all-ignored 'mean'
            return self._backward_raw(grad)

    def _backward_raw(self, grad):
        xp = self.xp
        dtype = self.e.dtype
        c = _grad_coef(self, grad)
        k = xp.asarray(c * self.sq / self.s, dtype=dtype)
        dx = self.e * k[:, None]
        cy = xp.asarray((1.0 - self.label_smoothing) * c * self.wy, dtype=dtype)
        self._scatter_sub(dx, cy)
        if self.label_smoothing > 0:
            sp = self._smooth_part(dx.shape, dtype)
            if xp.ndim(c):
                sp = sp * c[:, None]
            else:
                sp = sp * dtype.type(float(c))  # (np.float32(a) of a CuPy 0-d array would raise)
            dx -= sp
        return dx


def cross_entropy_index(x, target, weight, ignore_index, reduction, label_smoothing,
                        maybe_ignored=True):
    """Fused log_softmax + nll of ``x`` (N, C, *d) against int array ``target``
    (``maybe_ignored=False``: the caller knows no target equals ``ignore_index``)."""
    return CrossEntropyIndex.apply(x, target=target, weight=weight,
                                   ignore_index=int(ignore_index), reduction=reduction,
                                   label_smoothing=float(label_smoothing),
                                   maybe_ignored=maybe_ignored)


class CrossEntropyProb(Op):
    """Cross-entropy of logits (N, C, *d) against class probabilities of the same shape.

    ``loss_i = -sum_c w_c q_ic log_softmax(x)_ic`` with ``q = (1 - eps) t + eps / C``;
    'mean' divides by the number of samples ``N * prod(d)``. Keyword params: ``weight``
    (array or None), ``reduction``, ``label_smoothing``.
    """

    def forward(self, x, t):
        xp = self.xp
        C = x.shape[1]
        eps = self.label_smoothing
        z = x - x.max(axis=1, keepdims=True)
        lse = xp.log(xp.exp(z).sum(axis=1, keepdims=True))
        logp = z
        logp -= lse
        q = t * (1.0 - eps) + eps / C if eps > 0 else t
        if self.weight is not None:
            q = q * self.weight.reshape(_cshape(x.shape))
        loss = -(q * logp).sum(axis=1)
        self.denom = float(loss.size)
        self.logp = logp
        self.save_for_backward(x, t)
        return _reduce_raw(xp, loss.astype(x.dtype, copy=False), self.reduction, self.denom)

    def _class_weight(self, x):
        if self.weight is None:
            return None
        return self.weight.reshape(_cshape(x.shape)).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, t = self.saved_tensors
        eps = self.label_smoothing
        C = x.shape[1]
        wc = self._class_weight(x._data)
        needs = self.needs_input_grad
        cf = _coef_tensor(self, grad, x.ndim)
        logp = x.log_softmax(1)
        q = t * (1.0 - eps) + eps / C if eps > 0 else t
        if wc is not None:
            q = q * Tensor._wrap(wc)
        dx = dt = None
        if needs[0]:
            dx = (logp.exp() * q.sum(1, keepdim=True) - q) * cf
        if needs[1]:
            dt = -logp * cf * (1.0 - eps)
            if wc is not None:
                dt = dt * Tensor._wrap(wc)
        return dx, dt

    def backward_raw(self, grad):
        xd, td = self.saved_arrays
        xp = self.xp
        eps = self.label_smoothing
        C = xd.shape[1]
        wc = self._class_weight(xd)
        needs = self.needs_input_grad
        c = _grad_coef(self, grad)
        c = c[:, None] if xp.ndim(c) else c
        logp = self.logp
        q = td * (1.0 - eps) + eps / C if eps > 0 else td
        if wc is not None:
            q = q * wc
        dx = dt = None
        if needs[0]:
            p = xp.exp(logp)
            p *= q.sum(axis=1, keepdims=True)
            p -= q
            p *= c
            dx = p.astype(xd.dtype, copy=False)
        if needs[1]:
            d = logp * (-(1.0 - eps) * c)
            if wc is not None:
                d *= wc
            dt = d.astype(td.dtype, copy=False)
        return dx, dt


def cross_entropy_prob(x, target, weight, reduction, label_smoothing):
    """Fused soft-target cross-entropy of logits ``x`` against probabilities ``target``."""
    return CrossEntropyProb.apply(x, target, weight=weight, reduction=reduction,
                                  label_smoothing=float(label_smoothing))


class NLL(Op):
    """Negative log-likelihood of log-probabilities (N, C, *d) against class indices.

    Keyword params: ``target`` (int array), ``weight`` (array or None), ``ignore_index``,
    ``reduction``. 'mean' divides by the summed weights of the kept samples.
    """
    torch_name = "NllLoss"

    def forward(self, x):
        xp = self.xp
        t = self.target
        ignored = t == self.ignore_index
        any_ignored = bool(ignored.any())
        ts = xp.where(ignored, 0, t) if any_ignored else t
        w = self.weight
        wy = w[ts].astype(x.dtype, copy=False) if w is not None else \
            xp.ones(t.shape, dtype=x.dtype)
        if any_ignored:
            wy = wy * (~ignored)
        loss = -xp.take_along_axis(x, ts[:, None], axis=1)[:, 0] * wy
        self.ts, self.wy, self.denom = ts, wy, float(wy.sum())
        self.xshape = x.shape
        return _reduce_raw(xp, loss.astype(x.dtype, copy=False), self.reduction, self.denom)

    def _mask(self, dtype):
        m = self.xp.zeros(self.xshape, dtype=dtype)
        self.xp.put_along_axis(m, self.ts[:, None], -self.wy[:, None].astype(dtype), axis=1)
        return m

    def backward(self, grad):
        return Tensor._wrap(self._mask(grad._data.dtype)) * _coef_tensor(self, grad, len(self.xshape))

    def backward_raw(self, grad):
        m = self._mask(grad.dtype)
        c = _grad_coef(self, grad)
        m *= c[:, None] if self.xp.ndim(c) else c
        return m


def nll(x, target, weight, ignore_index, reduction):
    """Fused negative log-likelihood (see :class:`NLL`)."""
    return NLL.apply(x, target=target, weight=weight, ignore_index=int(ignore_index),
                     reduction=reduction)


class BinaryCrossEntropy(Op):
    """Elementwise ``-w (t log x + (1 - t) log(1 - x))`` with each log clamped to
    ``>= -100`` like PyTorch. Positional: input, target, weight (None or broadcastable,
    constant)."""

    def forward(self, x, t, w):
        xp = self.xp
        with np.errstate(divide="ignore"):         # log(0) = -inf, clamped to -100
            lx = xp.maximum(xp.log(x), -100.0)
            l1x = xp.maximum(xp.log1p(-x), -100.0)
        loss = -(t * (lx - l1x) + l1x)
        if w is not None:
            loss = loss * w
        self.save_for_backward(x, t)
        self.lx, self.l1x, self.w = lx, l1x, w
        return loss.astype(x.dtype, copy=False)

    def backward(self, grad):
        x, t = self.saved_tensors
        needs = self.needs_input_grad
        w = self.w
        g = grad * Tensor._wrap(w) if w is not None else grad
        dx = dt = None
        if needs[0]:
            dx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if needs[1]:
            dt = g * Tensor._wrap(self.l1x - self.lx)
        return dx, dt, None

    def backward_raw(self, grad):
        xd, td = self.saved_arrays
        xp = self.xp
        needs = self.needs_input_grad
        w = self.w
        g = grad if w is None else grad * w
        dx = dt = None
        if needs[0]:
            dx = (g * (xd - td) / xp.maximum(xd * (1 - xd), 1e-12)).astype(xd.dtype, copy=False)
        if needs[1]:
            dt = (g * (self.l1x - self.lx)).astype(td.dtype, copy=False)
        return dx, dt, None


def binary_cross_entropy_elementwise(x, target, weight=None):
    """Unreduced binary cross-entropy (see :class:`BinaryCrossEntropy`)."""
    return BinaryCrossEntropy.apply(x, target, weight)


class BinaryCrossEntropyWithLogits(Op):
    """Elementwise, stable ``(1 - t) x + (1 + (pw - 1) t) (log1p(exp(-|x|)) + max(-x, 0))``
    times ``w``. Positional: input, target, weight, pos_weight (the last two None or
    broadcastable constants)."""

    def forward(self, x, t, w, pw):
        xp = self.xp
        sp = xp.log1p(xp.exp(-xp.abs(x)))
        sp += xp.maximum(-x, 0)                    # softplus(-x), computed stably
        if pw is not None:
            lw = (pw - 1) * t + 1
            loss = (1 - t) * x + lw * sp
        else:
            lw = None
            loss = (1 - t) * x + sp
        if w is not None:
            loss = loss * w
        self.save_for_backward(x, t)
        self.sp, self.lw, self.w, self.pw = sp, lw, w, pw
        return loss.astype(x.dtype, copy=False)

    def backward(self, grad):
        x, t = self.saved_tensors
        needs = self.needs_input_grad
        w, pw = self.w, self.pw
        g = grad * Tensor._wrap(w) if w is not None else grad
        dx = dt = None
        if needs[0]:
            sig_neg = (-x).sigmoid()
            if pw is not None:
                lw = (Tensor._wrap(pw) - 1) * t + 1
                dx = g * ((1 - t) - lw * sig_neg)
            else:
                dx = g * ((1 - t) - sig_neg)
        if needs[1]:
            d = -x
            if pw is not None:
                d = d + Tensor._wrap(pw - 1) * Tensor._wrap(self.sp)
            dt = g * d
        return dx, dt, None, None

    def backward_raw(self, grad):
        xd, td = self.saved_arrays
        xp = self.xp
        needs = self.needs_input_grad
        w, pw = self.w, self.pw
        g = grad if w is None else grad * w
        dx = dt = None
        if needs[0]:
            sig_neg = xp.exp(-xd - self.sp)          # sigmoid(-x) = exp(-softplus(x))
            if self.lw is not None:
                d = (1 - td) - self.lw * sig_neg
            else:
                d = (1 - td) - sig_neg
            dx = (g * d).astype(xd.dtype, copy=False)
        if needs[1]:
            d = -xd if pw is None else -xd + (pw - 1) * self.sp
            dt = (g * d).astype(td.dtype, copy=False)
        return dx, dt, None, None


def bce_with_logits_elementwise(x, target, weight=None, pos_weight=None):
    """Unreduced, stable binary cross-entropy with logits."""
    return BinaryCrossEntropyWithLogits.apply(x, target, weight, pos_weight)
