"""ember.models: the course's models, as used by the ``ember train`` recipes.

Each model file also has a ``*_layers(..., nn=None)`` function building the same layers
from any ``nn`` namespace, so ``mnist_cnn_layers(nn=torch.nn)`` is the PyTorch twin.
"""
from .cifar10_cnn import Cifar10CNN, cifar10_cnn_layers
from .fashion_cnn import FashionCNN, fashion_cnn_layers
from .mlp import MLP, mlp_layers
from .mnist_cnn import MnistCNN, mnist_cnn_layers
from .resnet_cifar import cifar_resnet18, cifar_resnet34

__all__ = ["MLP", "MnistCNN", "FashionCNN", "Cifar10CNN", "mlp_layers", "mnist_cnn_layers",
           "fashion_cnn_layers", "cifar10_cnn_layers", "cifar_resnet18", "cifar_resnet34"]
