"""Loss modules (PyTorch's names, constructor arguments and defaults). Each wraps the
``ember.nn.functional`` loss of the same name; class weights are buffers (``weight``,
``pos_weight``) like PyTorch's, so they appear in ``state_dict`` and follow ``.to()``."""
from .. import functional as F
from ..functional.loss import _legacy_reduction
from .module import Module

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss",
           "BCELoss", "BCEWithLogitsLoss", "MultiMarginLoss", "KLDivLoss",
           "CosineEmbeddingLoss", "MarginRankingLoss", "PoissonNLLLoss", "SoftMarginLoss",
           "TripletMarginLoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``.

    Args:
        reduction (str): 'none' | 'mean' | 'sum'. Default: 'mean'.

    Shape:
        Input: (*). Target: same shape. Output: scalar, or (*) with 'none'.

    Example:
        >>> ember.nn.L1Loss()(ember.randn(3, 5), ember.randn(3, 5))
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(input - target)^2``.

    Args:
        reduction (str): 'none' | 'mean' | 'sum'. Default: 'mean'.

    Example:
        >>> ember.nn.MSELoss()(ember.randn(3, 5), ember.randn(3, 5))
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: quadratic below ``beta``, linear above.

    Args:
        reduction (str): Default: 'mean'. beta (float): Default: 1.0.

    Example:
        >>> ember.nn.SmoothL1Loss(beta=0.5)(ember.randn(3), ember.randn(3))
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss: ``0.5 d^2`` below ``delta``, ``delta (|d| - 0.5 delta)`` above.

    Args:
        reduction (str): Default: 'mean'. delta (float): Default: 1.0.

    Example:
        >>> ember.nn.HuberLoss(delta=2.0)(ember.randn(3), ember.randn(3))
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities against class indices.

    Args:
        weight (Tensor, optional): per-class weight (C,).
        ignore_index (int): ignored target value. Default: -100.
        reduction (str): 'none' | 'mean' (weighted) | 'sum'. Default: 'mean'.

    Shape:
        Input: (N, C), (N, C, d1, ...) or (C,). Target: (N,), (N, d1, ...) or ().

    Example:
        >>> ember.nn.NLLLoss()(ember.randn(3, 5).log_softmax(1), ember.tensor([1, 0, 4]))
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy between logits and class indices (one fused, stable
    log_softmax + nll op) or class probabilities.

    Args:
        weight (Tensor, optional): per-class weight (C,).
        ignore_index (int): ignored target value (indices only). Default: -100.
        reduction (str): 'none' | 'mean' | 'sum'. Default: 'mean'.
        label_smoothing (float): in [0, 1]. Default: 0.0.

    Shape:
        Input: (N, C), (N, C, d1, ...) or (C,). Target: indices (N,), (N, d1, ...) or (),
        or probabilities of the input's shape.

    Example:
        >>> loss_fn = ember.nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss_fn(ember.randn(4, 10), ember.tensor([1, 0, 9, 3]))
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (logs clamped to >= -100).

    Args:
        weight (Tensor, optional): broadcast against the input.
        reduction (str): Default: 'mean'.

    Example:
        >>> ember.nn.BCELoss()(ember.rand(4), ember.tensor([0., 1., 1., 0.]))
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one numerically stable op.

    Args:
        weight (Tensor, optional): broadcast against the input.
        reduction (str): Default: 'mean'.
        pos_weight (Tensor, optional): weight of the positive class, broadcast against
            the input (e.g. (C,) for (N, C) logits).

    Example:
        >>> ember.nn.BCEWithLogitsLoss()(ember.randn(4), ember.tensor([0., 1., 1., 0.]))
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge (SVM) loss:
    ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample.

    Args:
        p (int): 1 or 2. Default: 1. margin (float): Default: 1.0.
        weight (Tensor, optional): per-class weight (C,). reduction (str): Default: 'mean'.

    Example:
        >>> ember.nn.MultiMarginLoss()(ember.randn(3, 5), ember.tensor([1, 0, 4]))
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence with log-probability inputs.

    Args:
        reduction (str): 'none' | 'batchmean' | 'sum' | 'mean'. Default: 'mean'.
        log_target (bool): the target is given as log-probabilities. Default: False.

    Example:
        >>> ember.nn.KLDivLoss(reduction='batchmean')(ember.randn(2, 3).log_softmax(1),
        ...                                           ember.randn(2, 3).softmax(1))
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1``.

    Args:
        margin (float): Default: 0.0. reduction (str): Default: 'mean'.

    Example:
        >>> ember.nn.CosineEmbeddingLoss()(ember.randn(3, 4), ember.randn(3, 4),
        ...                                ember.tensor([1, -1, 1]))
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -y (x1 - x2) + margin)``.

    Args:
        margin (float): Default: 0.0. reduction (str): Default: 'mean'.

    Example:
        >>> ember.nn.MarginRankingLoss(0.5)(ember.randn(3), ember.randn(3),
        ...                                 ember.tensor([1., -1., 1.]))
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood.

    Args:
        log_input (bool): Default: True. full (bool): add the Stirling term.
            Default: False. eps (float): Default: 1e-8. reduction (str): Default: 'mean'.

    Example:
        >>> ember.nn.PoissonNLLLoss()(ember.randn(4), ember.tensor([1., 0., 3., 2.]))
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))``.

    Example:
        >>> ember.nn.SoftMarginLoss()(ember.randn(4), ember.tensor([1., -1., 1., 1.]))
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, margin + d(a, p) - d(a, n))`` with the p-norm pairwise distance.

    Args:
        margin (float): Default: 1.0. p (float): Default: 2.0. eps (float): Default: 1e-6.
        swap (bool): distance swap. Default: False. reduction (str): Default: 'mean'.

    Example:
        >>> ember.nn.TripletMarginLoss()(ember.randn(3, 4), ember.randn(3, 4),
        ...                              ember.randn(3, 4))
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                 reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)
