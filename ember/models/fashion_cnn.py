"""Fashion-MNIST convolutional network: 2 conv + batch norm + pooling + FC (the
``fashion-cnn`` recipe; the data set's benchmark lists 93.4% for this kind of net)."""
from collections import OrderedDict

from ._nn import default_nn

__all__ = ["FashionCNN", "fashion_cnn_layers"]


def fashion_cnn_layers(channels=(32, 64), hidden=256, dropout=0.3, num_classes=10, nn=None):
    """The layers of :class:`FashionCNN` from ``nn`` (``ember.nn`` or ``torch.nn``)."""
    nn = default_nn(nn)
    c1, c2 = channels
    return OrderedDict([
        ("conv1", nn.Conv2d(1, c1, 5, padding=2)), ("bn1", nn.BatchNorm2d(c1)),
        ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(c1, c2, 5, padding=2)), ("bn2", nn.BatchNorm2d(c2)),
        ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("drop1", nn.Dropout(dropout)),
        ("fc1", nn.Linear(c2 * 7 * 7, hidden)), ("relu3", nn.ReLU()),
        ("drop2", nn.Dropout(dropout)), ("fc2", nn.Linear(hidden, num_classes)),
    ])


class FashionCNN(default_nn().Sequential):
    """conv 5x5 (padding 2) + BN + ReLU + 2x2 max pool, twice (28 -> 14 -> 7), then
    dropout, FC to ``hidden`` + ReLU, dropout, FC to the classes.

    Args:
        channels (tuple of int): the convolutions' output channels. Default (32, 64).
        hidden (int): width of the hidden FC layer.
        dropout (float): dropout probability before each FC layer.
        num_classes (int): output size.

    Shape:
        input ``(N, 1, 28, 28)``, output ``(N, num_classes)`` logits.

    Example:
        >>> FashionCNN()(ember.randn(2, 1, 28, 28)).shape
        ember.Size([2, 10])
    """

    def __init__(self, channels=(32, 64), hidden=256, dropout=0.3, num_classes=10):
        super().__init__(fashion_cnn_layers(tuple(channels), hidden, dropout, num_classes))
