"""Metrics for the training loop: accuracy and running means."""
import math

__all__ = ["accuracy", "correct", "Mean", "Accuracy"]


def correct(output, target, topk=1):
    """Number of samples whose target is among the ``topk`` highest outputs.

    Args:
        output (Tensor): ``(N, C)`` scores (logits or probabilities).
        target (Tensor): ``(N,)`` class indices.
        topk (int): count a hit when the target is among the ``topk`` best classes.

    Returns:
        int
    """
    if output.dim() != 2 or target.dim() != 1 or output.shape[0] != target.shape[0]:
        raise RuntimeError(f"accuracy: expected output (N, C) and target (N,), got output "
                           f"of shape {tuple(output.shape)} and target of shape "
                           f"{tuple(target.shape)}")
    if topk == 1:
        return int((output.argmax(1) == target).sum().item())
    idx = output.topk(topk, dim=1)[1]
    return int((idx == target.unsqueeze(1)).any(1).sum().item())


def accuracy(output, target, topk=1):
    """Fraction (0..1) of samples classified correctly (top-``topk``).

    Shape:
        output ``(N, C)``, target ``(N,)``.

    Example:
        >>> accuracy(ember.tensor([[0.1, 0.9], [0.8, 0.2]]), ember.tensor([1, 1]))
        0.5
    """
    n = target.shape[0]
    return correct(output, target, topk) / n if n else math.nan


class Mean:
    """Running (weighted) mean: ``update(value, n)``, ``compute()``."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, value, n=1):
        self.total += float(value) * n
        self.count += n

    def compute(self):
        return self.total / self.count if self.count else math.nan


class Accuracy(Mean):
    """Running classification accuracy: ``update(output, target)``, ``compute()``."""

    def __init__(self, topk=1):
        self.topk = topk
        super().__init__()

    def update(self, output, target):
        self.total += correct(output, target, self.topk)
        self.count += target.shape[0]
