"""The less common losses of ``torch.nn.functional``: Gaussian NLL, hinge embedding,
multi-label margin / soft margin, triplet margin with a distance function."""
import math

import numpy as np

import ember

__all__ = ["gaussian_nll_loss", "hinge_embedding_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "triplet_margin_with_distance_loss"]


def _reduce(loss, reduction, op):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under ``N(input, var)``:
    ``0.5 (log var + (input - target)^2 / var)`` (+ ``0.5 log 2 pi`` when ``full``).

    ``var`` has ``input``'s shape, or one dimension fewer / a last dimension of 1 (one
    variance shared by the last dimension). Variances are clamped to ``eps`` for the
    value, with the gradient passed through unchanged, as PyTorch does.
    """
    if not isinstance(var, ember.Tensor):
        var = ember.full_like(input, float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var + (var.clamp(min=eps) - var).detach()
    loss = 0.5 * (ember.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where ``target == 1``, ``max(0, margin - x)`` where ``target == -1``."""
    margin_part = ember.where(target != 1, (margin - input).clamp(min=0), 0.0)
    self_part = ember.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction, "hinge_embedding_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-class multi-label hinge loss: ``target`` holds class indices, ended by the first -1;
    ``sum_{j in targets, i not in targets} max(0, 1 - (x_j - x_i)) / C`` per sample."""
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"multilabel_margin_loss: expected input of shape (C) or (N, C) and a "
                           f"target of the same shape, got {tuple(input.shape)} and {tuple(target.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = target.detach().cpu().numpy().reshape(x.shape).astype(np.int64)
    n, c = x.shape
    counts = np.zeros((n, c), dtype=x._data.dtype)  # host: planned from the targets copied to the host
    for row in range(n):
        for j in t[row]:
            if j < 0:
                break
            if j >= c:
                raise IndexError(f"multilabel_margin_loss: target index {j} out of range for {c} classes")
            counts[row, j] += 1
    is_target = (counts > 0).astype(counts.dtype)
    weight = ember.from_numpy(counts[:, :, None] * (1 - is_target)[:, None, :]).to(input.device)
    hinge = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)   # [n, j, i]
    loss = (hinge * weight).sum((1, 2)) / c
    if input.ndim == 1:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction, "multilabel_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """``-mean_c [y log sigmoid(x) + (1 - y) log sigmoid(-x)]`` per sample (optional class ``weight``)."""
    from .activation import logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """``max(0, margin + d(a, p) - d(a, n))`` for any distance ``d`` (default pairwise L2);
    ``swap`` also uses ``d(p, n)`` when it is smaller."""
    from .distance import pairwise_distance
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    d = distance_function if distance_function is not None else pairwise_distance
    dist_pos, dist_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        dist_neg = ember.minimum(dist_neg, d(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp(min=0)
    return _reduce(loss, reduction, "triplet_margin_with_distance_loss")
