"""Fused normalization ops: batch, instance, group and layer normalization.

Each normalization is ONE autograd node. The forward computes the statistics, the
centred input and the output in NumPy directly; the backward uses the closed-form
gradient

    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = g * weight

(means over the normalized axes) instead of a graph of elementwise ops. When the
backward itself is recorded (``create_graph=True``) the same formula is evaluated with
ember ops from the graph-connected input, so double backward works too.

Two kernels cover every layer:

* :class:`BatchNormTrain` -- statistics per channel over ``(N, *spatial)`` (batch norm).
* :class:`RowNorm` -- the input is viewed as ``(A, G, K)`` and normalized over ``K``:
  layer norm is ``(prod(leading), 1, prod(normalized_shape))``, group norm is
  ``(N, G, C // G * L)`` and instance norm is group norm with ``G = C``.

:class:`ChannelAffine` is batch norm (or instance norm) with fixed statistics (eval mode).
"""
import math

from ember.autograd.op import Op
from ember.tensor import Tensor
from ember.backend import _jit
from ember.ops import _norm_loops
from ember.ops._im2col import fixed_parts, run_parts

__all__ = ["BatchNormTrain", "ChannelAffine", "RowNorm", "batch_norm_train",
           "channel_affine", "row_norm"]

# batch norm's compiled loops (the ``numba`` extra, ember/ops/_norm_loops.py) vectorize
# along each channel's row of L = prod(spatial) elements: shorter rows (BatchNorm1d: L = 1)
# stay on the NumPy passes
MIN_LOOP_ROW = 16


class _NormBase(Op):
    """Shared bits of the normalization ops (each has a composed ``backward`` for double
    backward and a fused ``backward_raw`` for training)."""

    def _saved_w_raw(self):
        saved = self.saved_arrays
        return saved[1] if self._has_w else None


def _rep(xp, v, L):
    """Per-channel vector ``v`` (C,) expanded to (C*L,) so that it broadcasts as a row
    against an (N, C*L) view: a row broadcast is about twice as fast as a column one."""
    return v if L == 1 else xp.repeat(v, L)


def _colsum(xp, a2):
    """Sum over axis 0 of a 2-D array via one BLAS gemv."""
    return xp.ones(a2.shape[0], dtype=a2.dtype) @ a2


def _rowsum(xp, a2):
    """Sum over axis 1 of a 2-D array via one BLAS gemv."""
    return a2 @ xp.ones(a2.shape[1], dtype=a2.dtype)


# ----------------------------------------------------------------------------------
# composed (differentiable) backward, used only when create_graph=True
# ----------------------------------------------------------------------------------
def _composed_backward(g, x, w, needs, eps, stat_view, axes, aff_view, wview, waxes,
                       b_shape):
    """Closed-form normalization gradient written in ember ops (so it is itself
    differentiable). Returns (dx, dw, db)."""
    xs = x.reshape(stat_view)
    mean = xs.mean(dim=axes, keepdim=True)
    xc = xs - mean
    var = (xc * xc).mean(dim=axes, keepdim=True)
    invstd = (var + eps) ** -0.5
    xhat_s = xc * invstd
    gv = g.reshape(aff_view)
    dx = dw = db = None
    if needs[0]:
        dxhat = gv * w.reshape(wview) if w is not None else gv
        dxs = dxhat.reshape(stat_view)
        dx = invstd * (dxs - dxs.mean(dim=axes, keepdim=True)
                       - xhat_s * (dxs * xhat_s).mean(dim=axes, keepdim=True))
        dx = dx.reshape(x.shape)
    if needs[1]:
        dw = (gv * xhat_s.reshape(aff_view)).sum(dim=waxes).reshape(w.shape)
    if needs[2]:
        db = gv.sum(dim=waxes).reshape(b_shape)
    return dx, dw, db


def _saved_xw(node):
    saved = node.saved_tensors
    x = saved[0]
    w = saved[1] if node._has_w else None
    return x, w


# ----------------------------------------------------------------------------------
# batch norm, training mode (batch statistics)
# ----------------------------------------------------------------------------------
class BatchNormTrain(_NormBase):
    """Batch normalization with batch statistics over axes (0, 2, 3, ...).

    Keyword params: ``eps``. Outputs: ``y`` and the batch ``mean`` and biased ``var``
    (for the running-statistics update; not differentiable).
    """
    torch_name = "NativeBatchNorm"
    differentiable_outputs = (0,)

    def forward(self, x, w, b):
        xp = self.xp
        N, C = x.shape[0], x.shape[1]
        L = x.size // (N * C) if N * C else 0
        n = N * L
        self.NCL = (N, C, L)
        x2 = x.reshape(N, C * L)
        # three passes over parts of the batch (contiguous row blocks: NumPy's elementwise
        # loops run 2-4x slower on strided 2-D views), each on ember's threads; the
        # statistics are sums of per-part partial sums, added in part order
        parts = fixed_parts(N, x.size)
        self._has_w = w is not None
        self._b_shape = None if b is None else b.shape
        self.save_for_backward(x, w) if w is not None else self.save_for_backward(x)
        loops = _jit.loops_for(_norm_loops, x) if L >= MIN_LOOP_ROW else None
        if loops is not None:
            return self._forward_loops(loops, x, w, b, parts)
        mean = _channel_sums(xp, parts, C, L, lambda a, b: _colsum(xp, x2[a:b])) / n
        mean_r = _rep(xp, mean, L)
        xc = xp.empty((N, C * L), dtype=x.dtype)

        def centre(a, b):
            acc = None
            for i, j in _cache_blocks(a, b, C * L):       # the block is in cache for einsum
                xcs = xp.subtract(x2[i:j], mean_r, out=xc[i:j])
                x3 = xcs.reshape(j - i, C, L)
                v = xp.einsum("ncl,ncl->c", x3, x3)
                acc = v if acc is None else acc + v
            return acc
        var = _part_sums(xp, parts, centre) / n
        invstd = 1.0 / xp.sqrt(var + self.eps)
        scale_r = _rep(xp, invstd * w if w is not None else invstd, L)
        bias_r = None if b is None else _rep(xp, b, L)
        y = xp.empty((N, C * L), dtype=x.dtype)

        def affine(a, b):
            for i, j in _cache_blocks(a, b, C * L):
                ys = xp.multiply(xc[i:j], scale_r, out=y[i:j])
                if bias_r is not None:
                    ys += bias_r
        run_parts(xp, parts, affine)
        self.xc, self.invstd = xc, invstd
        return y.reshape(x.shape), mean, var

    def _forward_loops(self, loops, x, w, b, parts):
        """The forward as three compiled passes (sums; centred input and its squares;
        scale and shift), each over the parts on ember's threads."""
        xp = self.xp
        N, C, L = self.NCL
        n, dt = N * L, x.dtype
        x3 = x.reshape(N, C, L)

        def sums_of(loop, *args):
            def part(a, b_):
                acc = xp.zeros(C, dtype=dt)
                loop(*args, a, b_, acc)
                return acc
            return _part_sums(xp, parts, part)
        mean = sums_of(loops.channel_sums, x3) / n
        xc = xp.empty((N, C, L), dtype=dt)
        var = sums_of(lambda x_, a, b_, acc: loops.centre_and_square_sums(
            x_, mean, a, b_, xc, acc), x3) / n
        invstd = 1.0 / xp.sqrt(var + self.eps)
        scale = (invstd * w if w is not None else invstd).astype(dt, copy=False)
        shift = xp.zeros(C, dtype=dt) if b is None else b.astype(dt, copy=False)
        y = xp.empty((N, C, L), dtype=dt)
        run_parts(xp, parts, lambda a, b_: loops.scale_shift(xc, scale, shift, a, b_, y))
        self.xc, self.invstd = xc.reshape(N, C * L), invstd
        return y.reshape(x.shape), mean, var

    def backward(self, grad, _grad_mean=None, _grad_var=None):
        N, C, L = self.NCL
        x, w = _saved_xw(self)
        return _composed_backward(grad, x, w, self.needs_input_grad, self.eps, (N, C, L), (0, 2),
                                  (N, C, L), (1, C, 1), (0, 2), self._b_shape)

    def backward_raw(self, gd, _grad_mean=None, _grad_var=None):
        N, C, L = self.NCL
        needs = self.needs_input_grad
        w = self._saved_w_raw()
        xp = self.xp
        n = N * L
        g2 = gd.reshape(N, C * L)
        xc, invstd = self.xc, self.invstd
        parts = fixed_parts(N, gd.size)
        loops = None
        if L >= MIN_LOOP_ROW:       # the compiled passes (numba extra) on contiguous rows
            gc = xp.ascontiguousarray(gd)
            loops = _jit.loops_for(_norm_loops, xc, gc)
        if loops is not None:
            g3, xc3 = gc.reshape(N, C, L), xc.reshape(N, C, L)

            def sums(a, b):
                acc = xp.zeros((2, C), dtype=gd.dtype)
                loops.grad_sums(g3, xc3, a, b, acc[0], acc[1])
                return acc
        else:
            def sums(a, b):
                acc = None
                for i, j in _cache_blocks(a, b, C * L):   # g's block is in cache for einsum
                    s1 = _colsum(xp, g2[i:j])
                    s1 = s1.reshape(C, L).sum(1) if L > 1 else s1
                    s2 = xp.einsum("ncl,ncl->c", g2[i:j].reshape(j - i, C, L),
                                   xc[i:j].reshape(j - i, C, L))
                    both = xp.stack([s1, s2])
                    acc = both if acc is None else acc + both
                return acc
        s1, s2 = _part_sums(xp, parts, sums)
        dx = dw = db = None
        if needs[0]:
            # dx = gain * g - (k_xc * xc + k_0), per channel
            gain = invstd * w if w is not None else invstd
            k_xc = (gain * (invstd * invstd) * s2 / n).astype(gd.dtype, copy=False)
            k_0 = (gain * s1 / n).astype(gd.dtype, copy=False)
            gain = gain.astype(gd.dtype, copy=False)
            dx = xp.empty((N, C * L), dtype=gd.dtype)
            if loops is not None:
                dx3 = dx.reshape(N, C, L)
                run_parts(xp, parts, lambda a, b: loops.grad_input(g3, xc3, gain, k_xc, k_0,
                                                                   a, b, dx3))
            else:
                gain_r, k_xc_r, k_0_r = (_rep(xp, v, L) for v in (gain, k_xc, k_0))

                def grad_in(a, b):
                    tmp = None
                    for i, j in _cache_blocks(a, b, C * L):   # tmp stays in cache
                        if tmp is None:
                            tmp = xp.empty((j - i, C * L), dtype=gd.dtype)
                        t = xp.multiply(xc[i:j], k_xc_r, out=tmp[:j - i])
                        t += k_0_r
                        dxs = xp.multiply(g2[i:j], gain_r, out=dx[i:j])
                        dxs -= t
                run_parts(xp, parts, grad_in)
            dx = dx.reshape(gd.shape)
        if len(needs) > 1 and needs[1]:
            dw = (s2 * invstd).astype(gd.dtype, copy=False)
        if len(needs) > 2 and needs[2]:
            db = s1.astype(gd.dtype, copy=False)
        return dx, dw, db


CACHE_BLOCK = 1 << 18      # elements (1 MB of float32): a block's passes hit the L2 cache (2 MB)


def _cache_blocks(a, b, row):
    """Row blocks of ``range(a, b)`` of about ``CACHE_BLOCK`` elements (rows of ``row``):
    several passes over one block read it from cache instead of memory. Fixed by the shape,
    so sums over blocks are the same whatever the threads."""
    step = max(1, CACHE_BLOCK // max(1, row))
    return [(i, min(i + step, b)) for i in range(a, b, step)]


def _part_sums(xp, parts, fn):
    """``sum_p fn(*p)`` over ``parts`` run on ember's threads, added in part order (the same
    bits whatever the thread count)."""
    out = run_parts(xp, parts, fn)
    acc = out[0]
    for more in out[1:]:
        acc = acc + more
    return acc


def _channel_sums(xp, parts, C, L, colsum):
    """Per-channel sums from per-part column sums ``colsum(a, b)`` of an (N, C*L) array."""
    s = _part_sums(xp, parts, colsum)
    return s.reshape(C, L).sum(1) if L > 1 else s


def batch_norm_train(x, weight, bias, eps):
    """Run :class:`BatchNormTrain`; returns ``(y, batch_mean, batch_var)`` with the
    statistics as raw arrays (var biased)."""
    y, mean, var = BatchNormTrain.apply(x, weight, bias, eps=float(eps))
    return y, mean._data, var._data


# ----------------------------------------------------------------------------------
# fixed statistics (batch norm eval mode, instance norm with running stats)
# ----------------------------------------------------------------------------------
class ChannelAffine(_NormBase):
    """``y = (x - mean) / sqrt(var + eps) * w + b`` with per-channel constant ``mean`` and
    ``var`` (raw arrays given as keyword params) on an (N, C, *) input."""

    def forward(self, x, w, b):
        xp = self.xp
        N, C = x.shape[0], x.shape[1]
        L = x.size // (N * C) if N * C else 0
        self.NCL = (N, C, L)
        mean = xp.array(self.mean, dtype=x.dtype)     # copies: the buffers may change
        invstd = 1.0 / xp.sqrt(xp.asarray(self.var, dtype=x.dtype) + self.eps)
        scale = invstd * w if w is not None else invstd
        shift = -mean * scale
        if b is not None:
            shift = shift + b
        self.c_mean, self.c_invstd, self.c_scale = mean, invstd, scale
        x2 = x.reshape(N, C * L)
        y = x2 * _rep(xp, scale, L)
        y += _rep(xp, shift, L)
        self._has_w = w is not None
        self._b_shape = None if b is None else b.shape
        self.save_for_backward(x, w) if w is not None else self.save_for_backward(x)
        return y.reshape(x.shape)

    def backward(self, grad):
        N, C, L = self.NCL
        needs = self.needs_input_grad
        x, w = _saved_xw(self)
        dx = dw = db = None
        mean = Tensor._wrap(self.c_mean.reshape(1, C, 1))
        invstd = Tensor._wrap(self.c_invstd.reshape(1, C, 1))
        gv = grad.reshape(N, C, L)
        if needs[0]:
            s = invstd * w.reshape(1, C, 1) if w is not None else invstd
            dx = (gv * s).reshape(x.shape)
        if len(needs) > 1 and needs[1]:
            dw = (gv * ((x.reshape(N, C, L) - mean) * invstd)).sum(dim=(0, 2))
        if len(needs) > 2 and needs[2]:
            db = gv.sum(dim=(0, 2))
        return dx, dw, db

    def backward_raw(self, gd):
        N, C, L = self.NCL
        needs = self.needs_input_grad
        X = self.saved_arrays[0]
        dx = dw = db = None
        xp = self.xp
        g2 = gd.reshape(N, C * L)
        if needs[0]:
            dx = (g2 * _rep(xp, self.c_scale, L)).reshape(gd.shape)
        wants_w = len(needs) > 1 and needs[1]
        wants_b = len(needs) > 2 and needs[2]
        if wants_w or wants_b:
            s1 = _colsum(xp, g2)
            if L > 1:
                s1 = s1.reshape(C, L).sum(1)
            if wants_w:
                sgx = xp.einsum("ncl,ncl->c", gd.reshape(N, C, L), X.reshape(N, C, L))
                dw = ((sgx - self.c_mean * s1) * self.c_invstd).astype(gd.dtype, copy=False)
            if wants_b:
                db = s1.astype(gd.dtype, copy=False)
        return dx, dw, db


def channel_affine(x, weight, bias, mean, var, eps):
    """Normalize an (N, C, *) tensor with constant per-channel ``mean``/``var`` arrays."""
    return ChannelAffine.apply(x, weight, bias, mean=mean, var=var, eps=float(eps))


# ----------------------------------------------------------------------------------
# row normalization: layer norm, group norm, instance norm
# ----------------------------------------------------------------------------------
class RowNorm(_NormBase):
    """Normalize ``x`` viewed as ``(A, G, K)`` over its last axis, then apply an affine
    whose weight (``W`` entries, each repeated over ``G*K // W`` consecutive elements of
    a ``(G, K)`` slab) is shared across ``A``.

    Keyword params: ``view`` (A, G, K), ``eps``, ``aff_view``/``wview``/``waxes`` (the
    affine layout, used by the differentiable backward). Outputs: ``y`` and the per-row
    mean and biased var (not differentiable).
    """
    torch_name = "NativeLayerNorm"
    differentiable_outputs = (0,)

    def forward(self, x, w, b):
        xp = self.xp
        A, G, K = self.view
        x2 = x.reshape(A * G, K)
        mean = _rowsum(xp, x2) / K if K else xp.zeros(A * G, dtype=x.dtype)
        xc = x2 - mean[:, None]
        var = xp.einsum("ij,ij->i", xc, xc) / max(K, 1)
        invstd = 1.0 / xp.sqrt(var + self.eps)
        xc *= invstd[:, None]                      # xc is now xhat, owned by this node
        self.invstd, self.mean = invstd, mean
        self._has_w = w is not None
        self._b_shape = None if b is None else b.shape
        self.save_for_backward(x, w) if w is not None else self.save_for_backward(x)
        if w is None and b is None:
            self.xhat = None                       # the output is xhat: never keep it
            return xc.reshape(x.shape), mean, var
        self.xhat = xc
        xh3 = xc.reshape(A, G, K)
        if w is not None:
            self.wf = self._expand(w)
            y = xh3 * self.wf
            if b is not None:
                y += self._expand(b)
        else:
            self.wf = None
            y = xh3 + self._expand(b)
        return y.reshape(x.shape), mean, var

    def _expand(self, v):
        A, G, K = self.view
        rep = (G * K) // v.size
        return self.xp.repeat(v.reshape(-1), rep).reshape(G, K)

    def _reduce_w(self, full, shape):
        """(G, K) per-element sums -> weight shape."""
        G, K = full.shape
        size = math.prod(shape)
        return full.reshape(size, (G * K) // size).sum(1).reshape(shape)

    def backward(self, grad, _grad_mean=None, _grad_var=None):
        x, w = _saved_xw(self)
        return _composed_backward(grad, x, w, self.needs_input_grad, self.eps, self.view, (2,),
                                  self.aff_view, self.wview, self.waxes, self._b_shape)

    def backward_raw(self, gd, _grad_mean=None, _grad_var=None):
        needs = self.needs_input_grad
        A, G, K = self.view
        xp = self.xp
        g3 = gd.reshape(A, G, K)
        xhat = self.xhat
        if xhat is None:
            X = self.saved_arrays[0]
            xhat = (X.reshape(A * G, K) - self.mean[:, None]) * self.invstd[:, None]
        xh3 = xhat.reshape(A, G, K)
        dx = dw = db = None
        wants_w = len(needs) > 1 and needs[1]
        wants_b = len(needs) > 2 and needs[2]
        if wants_w:
            full = xp.einsum("agk,agk->gk", g3, xh3)
            dw = self._reduce_w(full, self._saved_w_raw().shape).astype(gd.dtype, copy=False)
        if wants_b:
            full = _colsum(xp, gd.reshape(A, G * K)).reshape(G, K)
            db = self._reduce_w(full, self._b_shape).astype(gd.dtype, copy=False)
        if needs[0]:
            if self._has_w:
                dxhat = (g3 * self.wf).reshape(A * G, K)
            else:
                dxhat = gd.reshape(A * G, K)
            m1 = _rowsum(xp, dxhat) / K
            m2 = xp.einsum("ij,ij->i", dxhat, xhat) / K
            dx = dxhat - m1[:, None]
            t = xhat * m2[:, None]
            dx -= t
            dx *= self.invstd[:, None]
            dx = dx.reshape(gd.shape)
        return dx, dw, db


def row_norm(x, weight, bias, eps, view, aff_view, wview, waxes, return_stats=False):
    """Run :class:`RowNorm` (see its docstring for the layout parameters). With
    ``return_stats``, returns ``(y, mean, var)``: the per-row mean and biased var as raw
    (A*G,) arrays."""
    y, mean, var = RowNorm.apply(x, weight, bias, eps=float(eps), view=tuple(view),
                                 aff_view=tuple(aff_view), wview=tuple(wview),
                                 waxes=tuple(waxes))
    return (y, mean._data, var._data) if return_stats else y
