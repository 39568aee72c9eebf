"""The lectures' CIFAR-10 network (the ``cifar10-cnn`` recipe)."""
from collections import OrderedDict

from ._nn import default_nn

__all__ = ["Cifar10CNN", "cifar10_cnn_layers"]


def cifar10_cnn_layers(num_classes=10, dropout=0.25, nn=None):
    """The layers of :class:`Cifar10CNN` from ``nn`` (``ember.nn`` or ``torch.nn``)."""
    nn = default_nn(nn)
    L = []

    def conv(i, k, p, bn):
        L.append((f"conv{i}", nn.Conv2d(3 if i == 1 else 64, 64, k, stride=1, padding=p)))
        if bn:
            L.append((f"bn{i}", nn.BatchNorm2d(64)))
        L.append((f"relu{i}", nn.ReLU()))

    conv(1, 4, 2, True)          # 32 -> 33
    conv(2, 4, 2, False)         # 33 -> 34
    L.append(("pool1", nn.MaxPool2d(2, 2)))   # 34 -> 17
    L.append(("drop1", nn.Dropout(dropout)))
    conv(3, 4, 2, True)          # 17 -> 18
    conv(4, 4, 2, False)         # 18 -> 19
    L.append(("pool2", nn.MaxPool2d(2, 2)))   # 19 -> 9
    L.append(("drop2", nn.Dropout(dropout)))
    conv(5, 4, 2, True)          # 9 -> 10
    conv(6, 3, 0, False)         # 10 -> 8
    L.append(("drop3", nn.Dropout(dropout)))
    conv(7, 3, 0, True)          # 8 -> 6
    conv(8, 3, 0, True)          # 6 -> 4
    L.append(("drop4", nn.Dropout(dropout)))
    L += [("flatten", nn.Flatten()),
          ("fc1", nn.Linear(64 * 4 * 4, 500)), ("relu_fc1", nn.ReLU()),
          ("fc2", nn.Linear(500, 500)), ("relu_fc2", nn.ReLU()),
          ("fc3", nn.Linear(500, num_classes))]
    return OrderedDict(L)


class Cifar10CNN(default_nn().Sequential):
    """The course lectures' CIFAR-10 network: input 3x32x32, 8 convolutions of 64
    channels, ReLU after every conv (after its BN where it has one) and after FC1/FC2,
    dropout p=0.25:

    conv1 k4 s1 p2, BN; conv2 k4 p2; maxpool k2 s2; dropout; conv3 k4 p2, BN; conv4 k4
    p2; maxpool k2 s2; dropout; conv5 k4 p2, BN; conv6 k3 p0; dropout; conv7 k3 p0, BN;
    conv8 k3 p0, BN; dropout; FC 1024->500; FC 500->500; FC 500->10.

    Args:
        num_classes (int): output size (10).
        dropout (float): the dropout probability (0.25).

    Shape:
        input ``(N, 3, 32, 32)``, output ``(N, num_classes)`` logits.

    Example:
        >>> Cifar10CNN()(ember.randn(2, 3, 32, 32)).shape
        ember.Size([2, 10])
    """

    def __init__(self, num_classes=10, dropout=0.25):
        super().__init__(cifar10_cnn_layers(num_classes, dropout))
