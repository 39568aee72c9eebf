"""The second homework's small MNIST convolutional network (the ``mnist-cnn`` recipe)."""
from collections import OrderedDict

from ._nn import default_nn

__all__ = ["MnistCNN", "mnist_cnn_layers"]


def mnist_cnn_layers(channels=(32, 64), num_classes=10, nn=None):
    """The layers of :class:`MnistCNN` from ``nn`` (``ember.nn`` or ``torch.nn``)."""
    nn = default_nn(nn)
    c1, c2 = channels
    return OrderedDict([
        ("conv1", nn.Conv2d(1, c1, 5)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(c1, c2, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(c2 * 4 * 4, num_classes)),
    ])


class MnistCNN(default_nn().Sequential):
    """Two 5x5 convolutions with ReLU and 2x2 max pooling, then one linear layer:
    28x28 -> conv 24x24 -> pool 12x12 -> conv 8x8 -> pool 4x4 -> FC.

    Args:
        channels (tuple of int): the two convolutions' output channels.
        num_classes (int): output size.

    Shape:
        input ``(N, 1, 28, 28)``, output ``(N, num_classes)`` logits.

    Example:
        >>> MnistCNN()(ember.randn(2, 1, 28, 28)).shape
        ember.Size([2, 10])
    """

    def __init__(self, channels=(32, 64), num_classes=10):
        super().__init__(mnist_cnn_layers(tuple(channels), num_classes))
