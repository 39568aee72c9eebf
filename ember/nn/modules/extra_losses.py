"""The less common losses of torch.nn (GaussianNLLLoss, HingeEmbeddingLoss, multi-label
margins, TripletMarginWithDistanceLoss), the deprecated NLLLoss2d, and the legacy
Container and CrossMapLRN2d."""
import warnings

import ember

from .. import functional as F
from .loss import NLLLoss, _Loss, _WeightedLoss
from .module import Module

__all__ = ["GaussianNLLLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss",
           "MultiLabelSoftMarginLoss", "TripletMarginWithDistanceLoss", "NLLLoss2d", "Container",
           "CrossMapLRN2d"]


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of ``target`` given a predicted mean and variance
    (see ``F.gaussian_nll_loss``): called as ``loss(input, target, var)``."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for ``y = 1``, ``max(0, margin - x)`` for ``y = -1`` (learning embeddings with distances)."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss over class indices ended by -1 (see ``F.multilabel_margin_loss``)."""

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss over 0/1 targets, optional per-class ``weight``."""

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet margin loss with any ``distance_function`` (default: pairwise L2 distance)."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(None, None, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                             f"got {margin} instead")
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap,
                                                   reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated alias of :class:`NLLLoss` (which handles ``(N, C, H, W)`` inputs)."""


class Container(Module):
    """Deprecated: the pre-1.0 base class; subclass ``nn.Module`` instead."""

    def __init__(self, **kwargs):
        super().__init__()
        warnings.warn("nn.Container is deprecated. All of it's functionality is now implemented "
                      "in nn.Module. Subclass that instead.", stacklevel=2)
        for key, value in kwargs.items():
            self.add_module(key, value)


class CrossMapLRN2d(Module):
    """Legacy (Lua Torch) local response normalisation across channels of a 4-D input:
    ``x * (k + alpha / size * s)^(-beta)``, ``s`` a running sum of squares over a channel
    window, computed with the same recurrence as PyTorch's (whose window keeps channel 0,
    a quirk kept for identical outputs)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        sq = input * input
        channels = input.shape[1]
        pre_pad = int((self.size - 1) / 2 + 1)
        scale = sq[:, :min(pre_pad, channels)].sum(1)
        scales = [scale]
        for c in range(1, channels):
            if c < channels - pre_pad + 1:
                scale = scale + sq[:, c + pre_pad - 1]
            if c > pre_pad:
                scale = scale - sq[:, c - pre_pad]
            scales.append(scale)
        s = ember.stack(scales, 1) * (self.alpha / self.size) + self.k
        return input * s ** (-self.beta)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
