"""Embedding lookup: forward takes rows of the weight, backward scatter-adds the
gradient rows back (sort + ``add.reduceat``, or a one-hot GEMM for small vocabularies)."""
import numpy as np

from ..backend import get_array_module

from ..autograd.op import Op
from ..tensor import Tensor

__all__ = ["embedding_op", "embedding_renorm_"]


def _check_indices(idx, num):
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: expected indices of an integer dtype (ember.int64 or int32), "
            f"got {idx.dtype}")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= num:
            bad = lo if lo < 0 else hi
            raise IndexError(f"embedding: index {bad} is out of range for an embedding "
                             f"with num_embeddings={num} (valid: 0 to {num - 1})")


def _scatter_rows(xp, flat_idx, rows, num):
    """out[v] = sum of rows[i] with flat_idx[i] == v, shape (num, D)."""
    n, d = rows.shape
    if xp is np and num <= 256 and n * num <= 4_000_000 and n > num and \
            xp.isfinite(rows).all():
        onehot = xp.zeros((num, n), dtype=rows.dtype)
        onehot[flat_idx, xp.arange(n)] = 1
        return onehot @ rows
    out = xp.zeros((num, d), dtype=rows.dtype)
    if n == 0:
        return out
    if xp is not np:  # cupy: atomic scatter-add on the device (ufunc.at, CuPy >= 13)
        xp.add.at(out, flat_idx, rows)
        return out
    order = xp.argsort(flat_idx, kind="stable")
    sorted_idx = flat_idx[order]
    starts = xp.flatnonzero(xp.concatenate(
        [xp.ones(1, dtype=bool), sorted_idx[1:] != sorted_idx[:-1]]))
    lens = xp.diff(xp.concatenate([starts, xp.asarray([n])]))
    srt = rows[order]
    if int(lens.max()) <= 64:
        # few repeats (the usual case): add the k-th occurrence of every repeated index
        # in one vectorised step per k (much faster than add.at / reduceat)
        acc = srt[starts]
        k = 1
        while True:
            sel = xp.flatnonzero(lens > k)
            if sel.size == 0:
                break
            acc[sel] += srt[starts[sel] + k]
            k += 1
    else:
        acc = xp.add.reduceat(srt, starts, axis=0)
    out[sorted_idx[starts]] = acc
    return out


class Embedding(Op):
    """out = weight[indices]; ``self.indices`` is the raw index array."""

    def forward(self, weight):
        return weight.take(self.indices, axis=0)

    def backward(self, grad):
        return EmbeddingBackward.apply(grad, indices=self.indices, num=self.num,
                                       padding_idx=self.padding_idx,
                                       scale_grad_by_freq=self.scale_grad_by_freq)


class EmbeddingBackward(Op):
    """Scatter-add of the output gradient into a (num_embeddings, D) weight gradient."""

    def forward(self, grad):
        xp = self.xp
        idx = self.indices.reshape(-1)
        rows = grad.reshape(idx.shape[0], -1)
        if self.scale_grad_by_freq:
            counts = xp.bincount(idx, minlength=self.num)
            rows = rows / counts[idx].astype(rows.dtype)[:, None]
        out = _scatter_rows(xp, idx, rows, self.num)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return out

    def backward(self, gg):
        # the adjoint of a scatter-add is a gather
        idx = self.indices
        g_t = Embedding.apply(gg, indices=idx, num=self.num, padding_idx=None,
                              scale_grad_by_freq=False)
        factor = None
        if self.scale_grad_by_freq:
            xp = self.xp
            counts = xp.bincount(idx.reshape(-1), minlength=self.num)
            factor = 1.0 / counts[idx].astype(gg._data.dtype)
        if self.padding_idx is not None:
            keep = (idx != self.padding_idx).astype(gg._data.dtype)
            factor = keep if factor is None else factor * keep
        if factor is not None:
            g_t = g_t * Tensor._wrap(factor[..., None])
        return g_t


def embedding_op(indices, weight, padding_idx=None, scale_grad_by_freq=False):
    """Rows of ``weight`` (V, D) at integer ``indices`` (any shape) -> (*indices, D)."""
    xp = get_array_module(weight._data)
    idx = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
    num = weight._data.shape[0]
    _check_indices(idx, num)
    return Embedding.apply(weight, indices=idx, num=num, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


def embedding_renorm_(weight, indices, max_norm, norm_type=2.0):
    """Rescale, in place, the rows of ``weight`` referenced by ``indices`` whose
    ``norm_type``-norm exceeds ``max_norm`` to norm ``max_norm`` (as PyTorch does
    with a 1e-7 margin). Not recorded by autograd."""
    w = weight._data
    xp = get_array_module(w)
    idx = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
    rows = xp.unique(idx.reshape(-1))
    sel = w[rows]
    if norm_type == float("inf"):
        norms = xp.abs(sel).max(axis=1)
    elif norm_type == 2:
        norms = xp.sqrt((sel * sel).sum(axis=1))
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sel[over] * scale[:, None]
        weight._bump_version()
    return weight
