"""CIFAR ResNets (the ``cifar10-resnet18`` / ``cifar100-resnet18`` recipes): the
torchvision ResNet class of :mod:`ember.vision.models` with its small-input stem
(3x3 stride-1 conv, no max-pool), so 32x32 images keep 32x32 through ``layer1``.
"""
from ember.vision.models.resnet import BasicBlock, ResNet

__all__ = ["cifar_resnet18", "cifar_resnet34"]


def cifar_resnet18(num_classes=10, in_channels=3):
    """ResNet-18 for 32x32 inputs (11.2M parameters with 10 classes).

    Args:
        num_classes (int): output size (10 for CIFAR-10, 100 for CIFAR-100).
        in_channels (int): input channels (3; 1 for grey images such as Fashion-MNIST).

    Shape:
        input ``(N, in_channels, 32, 32)``, output ``(N, num_classes)``.

    Example:
        >>> cifar_resnet18()(ember.randn(2, 3, 32, 32)).shape
        ember.Size([2, 10])
    """
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes, small_input=True,
                  in_channels=in_channels)


def cifar_resnet34(num_classes=10, in_channels=3):
    """ResNet-34 for 32x32 inputs (21.3M parameters); see :func:`cifar_resnet18`."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes=num_classes, small_input=True,
                  in_channels=in_channels)
