"""Multilayer perceptrons: the first homework's 784-1024-10 network and its kin."""
from collections import OrderedDict

from ._nn import default_nn

__all__ = ["MLP", "mlp_layers"]


def mlp_layers(in_features=784, hidden=(1024,), num_classes=10, dropout=0.0, nn=None):
    """The layers of :class:`MLP` as an OrderedDict, built from ``nn`` (``ember.nn`` by
    default; ``torch.nn`` builds the identical PyTorch network)."""
    nn = default_nn(nn)
    layers = OrderedDict(flatten=nn.Flatten())
    width = in_features
    for i, h in enumerate(hidden, 1):
        layers[f"fc{i}"] = nn.Linear(width, h)
        layers[f"relu{i}"] = nn.ReLU()
        if dropout:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        width = h
    layers[f"fc{len(hidden) + 1}"] = nn.Linear(width, num_classes)
    return layers


class MLP(default_nn().Sequential):
    """Fully connected classifier: flatten, then Linear + ReLU (+ Dropout) per hidden
    layer, then a Linear output layer (logits).

    Args:
        in_features (int): input size after flattening (784 for 28x28 images).
        hidden (sequence of int): hidden layer widths. Default ``(1024,)``.
        num_classes (int): output size.
        dropout (float): dropout after each hidden ReLU (0: none).

    Shape:
        input ``(N, *)`` with ``in_features`` elements per sample; output
        ``(N, num_classes)``.

    Example:
        >>> MLP()(ember.randn(8, 1, 28, 28)).shape
        ember.Size([8, 10])
    """

    def __init__(self, in_features=784, hidden=(1024,), num_classes=10, dropout=0.0):
        super().__init__(mlp_layers(in_features, tuple(hidden), num_classes, dropout))
