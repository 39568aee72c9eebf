"""Loss functions of ``ember.nn.functional`` (PyTorch's names, arguments and defaults).

Cross-entropy with class indices is one fused log_softmax + nll op
(:mod:`ember.ops.loss`); nll, binary cross-entropy and binary cross-entropy with
logits are fused too. The other losses are short compositions of ember ops.

Every loss takes ``reduction`` in ``'none' | 'mean' | 'sum'`` (``kl_div`` also
``'batchmean'``); the deprecated ``size_average``/``reduce`` arguments are accepted and
mapped like PyTorch does.
"""
import math
import warnings

import numpy as np

from ember.backend import get_array_module
import ember
from ember.ops import loss as _ops
from ember.tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss",
           "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "multi_margin_loss", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
           "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss"]


class _BatchSizeError(ValueError, RuntimeError):
    """Batch sizes of input and target differ (ValueError like PyTorch, RuntimeError
    like every other ember shape error)."""


class _TargetTypeError(TypeError, RuntimeError):
    """Target of the wrong dtype (TypeError; RuntimeError like PyTorch)."""


_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(reduction, name, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction "
                         f"(expected one of {', '.join(map(repr, allowed))})")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    return loss.sum()


def _as_tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return ember.tensor(x, dtype=like.dtype)
    return ember.tensor(x)


def _const(x, dtype):
    """A loss weight as a raw array of ``dtype`` (weights are not differentiated)."""
    if x is None:
        return None
    a = x._data if isinstance(x, Tensor) else np.asarray(x)  # host: a list/array weight given by the caller
    return a.astype(dtype, copy=False)


def _shape(t):
    return tuple(t.shape)


def _warn_size(name, input, target):
    if _shape(input) != _shape(target):
        warnings.warn(
            f"{name}: using a target size {_shape(target)} that is different to the input "
            f"size {_shape(input)}. This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", stacklevel=3)


# ----------------------------------------------------------------------------------
# class-index losses
# ----------------------------------------------------------------------------------
def _check_class_target(name, input, target, weight, ignore_index):
    """Validate (input (N, C, *d) | (C,), int target (N, *d) | ()) and return
    ``(input, target_array, weight_array, unbatched, maybe_ignored)``."""
    xp = get_array_module(input._data)
    if input.ndim == 0:
        raise RuntimeError(f"{name}: expected input of shape (N, C, ...) or (C,), got a "
                           "0-d input")
    tdata = target._data if isinstance(target, Tensor) else xp.asarray(target)
    if tdata.dtype.kind not in "iu":
        raise _TargetTypeError(
            f"{name}: expected target of integer dtype (class indices) for input of shape "
            f"{_shape(input)} and target of shape {tuple(tdata.shape)}, got {tdata.dtype}"
            + (" (class probabilities need a target of the input's shape)"
               if tdata.dtype.kind == "f" else ""))
    unbatched = input.ndim == 1
    if unbatched:
        if tdata.ndim != 0:
            raise RuntimeError(f"{name}: for an unbatched input of shape {_shape(input)} "
                               f"expected a 0-d target, got shape {tuple(tdata.shape)}")
        input = input.reshape(1, -1)
        tdata = tdata.reshape(1)
    N, C = input.shape[0], input.shape[1]
    if tdata.ndim == 0 or tdata.shape[0] != N:
        raise _BatchSizeError(
            f"{name}: expected input batch_size ({N}) to match target batch_size "
            f"({tdata.shape[0] if tdata.ndim else 'scalar'}); input shape {_shape(input)}, "
            f"target shape {tuple(tdata.shape)}")
    if tuple(tdata.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(
            f"{name}: expected target of shape {(N,) + tuple(input.shape[2:])} for input of "
            f"shape {_shape(input)}, got target of shape {tuple(tdata.shape)}")
    tdata = tdata.astype(np.int64, copy=False)
    maybe_ignored = False
    if tdata.size:
        tmin, tmax = int(tdata.min()), int(tdata.max())
        maybe_ignored = tmin <= ignore_index <= tmax
        if tmin < 0 or tmax >= C:
            bad = (tdata != ignore_index) & ((tdata < 0) | (tdata >= C))
            if bad.any():
                raise IndexError(f"{name}: target {int(tdata[bad].flat[0])} is out of bounds "
                                 f"for {C} classes")
    w = None
    if weight is not None:
        w = _const(weight, input._data.dtype)
        if w.shape != (C,):
            raise RuntimeError(
                f"{name}: weight tensor should be defined either for all {C} classes or no "
                f"classes but got weight tensor of shape {tuple(w.shape)}")
    return input, tdata, w, unbatched, maybe_ignored


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and class indices or class probabilities.

    With class indices this is ONE fused, stable log_softmax + nll op (the max logit is
    subtracted; the gradient is ``softmax - onehot``, scaled), finite at logits of 1e4.

    Args:
        input (Tensor): unnormalised logits, (N, C), (N, C, d1, ...) or (C,).
        target (Tensor): class indices (int) of shape (N,) / (N, d1, ...) / (), or class
            probabilities (float) of the input's shape.
        weight (Tensor, optional): per-class weight of shape (C,).
        ignore_index (int): target value that contributes nothing (indices only).
            Default: -100.
        reduction (str): 'none' | 'mean' | 'sum'. With indices 'mean' divides by the sum
            of the weights of the kept targets, like PyTorch. Default: 'mean'.
        label_smoothing (float): in [0, 1]; the target becomes
            ``(1 - s) * target + s / C``. Default: 0.0.

    Shape:
        Output: scalar, or the target's batch shape with ``reduction='none'``.

    Example:
        >>> logits = ember.randn(4, 10, requires_grad=True)
        >>> loss = F.cross_entropy(logits, ember.tensor([1, 0, 9, 3]))
        >>> loss.backward()
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    target = _as_tensor(target)
    if target.is_floating_point() and _shape(target) == _shape(input):
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    x, t, w, unbatched, maybe_ignored = _check_class_target("cross_entropy", input, target,
                                                            weight, ignore_index)
    out = _ops.cross_entropy_index(x, t, w, ignore_index, reduction, label_smoothing,
                                   maybe_ignored)
    if unbatched and reduction == "none":
        out = out.reshape(())
    return out


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    if input.ndim == 0:
        raise RuntimeError("cross_entropy: expected input of shape (N, C, ...) or (C,), got "
                           "a 0-d input")
    unbatched = input.ndim == 1
    x, t = (input.reshape(1, -1), target.reshape(1, -1)) if unbatched else (input, target)
    C = x.shape[1]
    w = None
    if weight is not None:
        w = _const(weight, x._data.dtype)
        if w.shape != (C,):
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {C} classes "
                f"or no classes but got weight tensor of shape {tuple(w.shape)}")
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    out = _ops.cross_entropy_prob(x, t, w, reduction, label_smoothing)
    if unbatched and reduction == "none":
        out = out.reshape(())
    return out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood loss of log-probabilities against class indices.

    Args:
        input (Tensor): log-probabilities, (N, C), (N, C, d1, ...) or (C,).
        target (Tensor): class indices of shape (N,), (N, d1, ...) or ().
        weight (Tensor, optional): per-class weight (C,).
        ignore_index (int): ignored target value. Default: -100.
        reduction (str): 'none' | 'mean' (weighted mean over kept targets) | 'sum'.

    Shape:
        Output: scalar, or the target's shape with ``reduction='none'``.

    Example:
        >>> F.nll_loss(F.log_softmax(ember.randn(3, 5), 1), ember.tensor([1, 0, 4]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    x, t, w, unbatched, _ = _check_class_target("nll_loss", input, _as_tensor(target), weight,
                                             ignore_index)
    out = _ops.nll(x, t, w, ignore_index, reduction)
    if unbatched and reduction == "none":
        out = out.reshape(())
    return out


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss (the course's SVM loss):
    ``loss_i = sum_{j != y_i} w_{y_i} max(0, margin - x[y_i] + x[j])^p / C``.

    Args:
        input (Tensor): scores (N, C) or (C,).
        target (Tensor): class indices (N,) or ().
        p (int): 1 or 2. Default: 1.
        margin (float): Default: 1.0.
        weight (Tensor, optional): per-class weight (C,), applied by the target class.
        reduction (str): 'none' | 'mean' | 'sum'.

    Shape:
        Input: (N, C) or (C,). Target: (N,) or (). Output: scalar, or (N,) with 'none'.

    Example:
        >>> F.multi_margin_loss(ember.randn(3, 5), ember.tensor([1, 0, 4]))
    """
    xp = get_array_module(input._data)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    if input.ndim > 2:
        raise RuntimeError(f"multi_margin_loss: expected input of shape (N, C) or (C,), got "
                           f"{_shape(input)}")
    x, t, w, unbatched, _ = _check_class_target("multi_margin_loss", input, _as_tensor(target),
                                             weight, -(2 ** 62))
    N, C = x.shape
    tt = Tensor._wrap(t[:, None])
    xy = x.gather(1, tt)
    m = (x - xy + margin).clamp(min=0)
    if p == 2:
        m = m * m
    mask = xp.ones((N, C), dtype=x._data.dtype)
    mask[xp.arange(N), t] = 0
    if w is not None:
        mask *= w[t][:, None]
    loss = (m * Tensor._wrap(mask)).sum(1) / C
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------------
# regression losses
# ----------------------------------------------------------------------------------
def _weighted(loss, weight):
    if weight is None:
        return loss
    return loss * _as_tensor(weight, loss)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)^2`` (times ``weight`` when given).

    Args:
        input (Tensor): any shape. target (Tensor): same shape (broadcasting warns).
        reduction (str): 'none' | 'mean' | 'sum'. weight (Tensor, optional): elementwise
            weight broadcast against the loss.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.mse_loss(ember.randn(3), ember.zeros(3))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    target = _as_tensor(target, input)
    _warn_size("mse_loss", input, target)
    d = input - target
    return _reduce(_weighted(d * d, weight), reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|`` (times ``weight`` when given).

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.l1_loss(ember.randn(3), ember.zeros(3))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    target = _as_tensor(target, input)
    _warn_size("l1_loss", input, target)
    return _reduce(_weighted((input - target).abs(), weight), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    """Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.smooth_l1_loss(ember.randn(3), ember.zeros(3), beta=0.5)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target = _as_tensor(target, input)
    _warn_size("smooth_l1_loss", input, target)
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = ember.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: ``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.huber_loss(ember.randn(3), ember.zeros(3), delta=2.0)
    """
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _as_tensor(target, input)
    _warn_size("huber_loss", input, target)
    d = (input - target).abs()
    loss = ember.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce(_weighted(loss, weight), reduction)


# ----------------------------------------------------------------------------------
# binary losses
# ----------------------------------------------------------------------------------
def _check_same_size(name, input, target):
    if _shape(input) != _shape(target):
        raise ValueError(f"{name}: using a target size {_shape(target)} that is different "
                         f"to the input size {_shape(input)} is not supported; please "
                         "ensure they have the same size")


def _bcast_const(name, w, shape, dtype, what):
    a = _const(w, dtype)
    if a is None:
        return None
    try:
        np.broadcast_shapes(a.shape, tuple(shape))
    except ValueError:
        raise RuntimeError(f"{name}: {what} of shape {tuple(a.shape)} does not broadcast "
                           f"to the input shape {tuple(shape)}") from None
    return a


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy of probabilities: ``-w (t log x + (1 - t) log(1 - x))``, each
    log clamped to ``>= -100`` like PyTorch.

    Args:
        input (Tensor): probabilities in [0, 1], any shape.
        target (Tensor): same shape, values in [0, 1].
        weight (Tensor, optional): broadcast against the input.
        reduction (str): 'none' | 'mean' | 'sum'.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.binary_cross_entropy(ember.rand(4), ember.tensor([0., 1., 1., 0.]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    target = _as_tensor(target, input)
    _check_same_size("binary_cross_entropy", input, target)
    xd = input._data
    if xd.size and (xd.min() < 0 or xd.max() > 1 or bool((xd != xd).any())):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           f"and 1 (got values in [{xd.min()}, {xd.max()}])")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    w = _bcast_const("binary_cross_entropy", weight, input.shape, xd.dtype, "weight")
    return _reduce(_ops.binary_cross_entropy_elementwise(input, target, w), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op:
    ``(1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x))`` (log-sum-exp form), times ``w``.

    Args:
        input (Tensor): logits, any shape. target (Tensor): same shape.
        weight (Tensor, optional): broadcast against the input.
        pos_weight (Tensor, optional): weight of positive examples, broadcast against the
            input (usually shape (C,) for the last dimension).
        reduction (str): 'none' | 'mean' | 'sum'.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.binary_cross_entropy_with_logits(ember.randn(4), ember.tensor([0., 1., 1., 0.]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _as_tensor(target, input)
    _check_same_size("binary_cross_entropy_with_logits", input, target)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    dt = input._data.dtype
    w = _bcast_const("binary_cross_entropy_with_logits", weight, input.shape, dt, "weight")
    pw = _bcast_const("binary_cross_entropy_with_logits", pos_weight, input.shape, dt,
                      "pos_weight")
    return _reduce(_ops.bce_with_logits_elementwise(input, target, w, pw), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss ``log(1 + exp(-y x))`` with ``y`` in {-1, 1}.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.soft_margin_loss(ember.randn(4), ember.tensor([1., -1., 1., 1.]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "soft_margin_loss")
    target = _as_tensor(target, input)
    _warn_size("soft_margin_loss", input, target)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    z = -target * input
    # log(1 + exp(z)) = bce_with_logits(z, 0), evaluated stably with the exact gradient
    zeros = Tensor._wrap(get_array_module(z._data).zeros(z.shape, dtype=z._data.dtype))
    return _reduce(_ops.bce_with_logits_elementwise(z, zeros), reduction)


# ----------------------------------------------------------------------------------
# distribution / embedding / ranking losses
# ----------------------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence ``target * (log target - input)`` with ``input`` given
    as log-probabilities (and ``target`` too when ``log_target=True``).

    Args:
        reduction (str): 'none' | 'batchmean' (sum / batch size, the true KL) | 'sum' |
            'mean' (mean over all elements, as in PyTorch). Default: 'mean'.

    Where ``target == 0`` the term is 0 and its gradient w.r.t. the target is the finite
    ``-input`` (PyTorch returns nan there).

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.kl_div(F.log_softmax(ember.randn(2, 3), 1), F.softmax(ember.randn(2, 3), 1),
        ...          reduction='batchmean')
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "kl_div", _REDUCTIONS + ("batchmean",))
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch "
                      "size and the support size; 'batchmean' divides only by the batch size "
                      "and matches the math definition of KL divergence.", stacklevel=2)
    target = _as_tensor(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target > 0
        safe = ember.where(pos, target, ember.ones_like(target))
        loss = ember.where(pos, target * safe.log(), ember.zeros_like(target)) \
            - target * input
    if reduction == "batchmean":
        if input.ndim == 0:
            return loss.sum()
        return loss.sum() / input.shape[0]
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood: ``exp(input) - target * input`` (log_input) or
    ``input - target * log(input + eps)``, plus the Stirling term when ``full``.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> F.poisson_nll_loss(ember.randn(4), ember.tensor([1., 0., 3., 2.]))
    """
    xp = get_array_module(input._data)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "poisson_nll_loss")
    target = _as_tensor(target, input)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        td = target._data
        safe = xp.where(td > 1, td, 1).astype(td.dtype, copy=False)
        stir = xp.where(td > 1, safe * xp.log(safe) - safe + 0.5 * xp.log(2 * math.pi * safe),
                        0).astype(td.dtype, copy=False)
        loss = loss + Tensor._wrap(stir)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """``1 - cos(x1, x2)`` for ``y = 1`` and ``max(0, cos(x1, x2) - margin)`` for ``y = -1``.

    Args:
        input1, input2 (Tensor): (N, D) or (D,). target (Tensor): (N,) or () of +-1.

    Shape:
        Inputs: (N, D) or (D,). Target: (N,) or (). Output: scalar, or (N,) with 'none'.

    Example:
        >>> F.cosine_embedding_loss(ember.randn(3, 4), ember.randn(3, 4),
        ...                         ember.tensor([1, -1, 1]))
    """
    xp = get_array_module(input1._data)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cosine_embedding_loss")
    if input1.ndim not in (1, 2) or _shape(input1) != _shape(input2):
        raise RuntimeError(f"cosine_embedding_loss: expected inputs of equal shape (N, D) or "
                           f"(D,), got {_shape(input1)} and {_shape(input2)}")
    target = _as_tensor(target)
    if target.ndim != input1.ndim - 1 or (target.ndim and target.shape[0] != input1.shape[0]):
        raise RuntimeError(f"cosine_embedding_loss: expected target of shape "
                           f"{_shape(input1)[:-1]}, got {_shape(target)}")
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = prod / mag.sqrt()
    td = target._data
    pos = Tensor._wrap(xp.asarray(td == 1))
    neg = Tensor._wrap(xp.asarray(td == -1))
    zero = ember.zeros_like(cos)
    loss = ember.where(pos, 1 - cos, zero) + ember.where(neg, (cos - margin).clamp(min=0), zero)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """``max(0, -y (x1 - x2) + margin)`` with ``y`` in {-1, 1}.

    Shape:
        Inputs and target: (N,) or (). Output: scalar, or (N,) with 'none'.

    Example:
        >>> F.margin_ranking_loss(ember.randn(3), ember.randn(3), ember.tensor([1., -1., 1.]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "margin_ranking_loss")
    if not (_shape(input1) == _shape(input2) == _shape(_as_tensor(target))):
        raise RuntimeError(f"margin_ranking_loss: expected input1, input2 and target of the "
                           f"same shape, got {_shape(input1)}, {_shape(input2)} and "
                           f"{_shape(_as_tensor(target))}")
    target = _as_tensor(target, input1)
    if target.dtype != input1.dtype:
        target = target.to(input1.dtype)
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduce(loss, reduction)


def _pairwise_distance(a, b, p, eps):
    d = a - b + eps
    if p == 2:
        return (d * d).sum(-1).sqrt()
    if p == 1:
        return d.abs().sum(-1)
    return (d.abs() ** p).sum(-1) ** (1.0 / p)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d(x, y) = ||x - y + eps||_p``.

    Args:
        anchor, positive, negative (Tensor): (N, D) or (D,).
        swap (bool): use ``min(d(a, n), d(p, n))`` as the negative distance.

    Shape:
        Inputs: (N, D) or (D,). Output: scalar, or (N,) with 'none'.

    Example:
        >>> a, p, n = ember.randn(3, 4), ember.randn(3, 4), ember.randn(3, 4)
        >>> F.triplet_margin_loss(a, p, n)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "triplet_margin_loss")
    if not (_shape(anchor) == _shape(positive) == _shape(negative)) or anchor.ndim not in (1, 2):
        raise RuntimeError(f"triplet_margin_loss: expected anchor, positive and negative of "
                           f"the same shape (N, D) or (D,), got {_shape(anchor)}, "
                           f"{_shape(positive)} and {_shape(negative)}")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_ap = _pairwise_distance(anchor, positive, p, eps)
    d_an = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ember.minimum(d_an, _pairwise_distance(positive, negative, p, eps))
    loss = (d_ap - d_an + margin).clamp(min=0)
    return _reduce(loss, reduction)
