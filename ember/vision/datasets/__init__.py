"""ember.vision.datasets: image datasets with torchvision's names and signatures.

``MNIST``, ``FashionMNIST``, ``CIFAR10``, ``CIFAR100`` read the official file
formats under ``root`` (default ``$EMBER_DATA`` or ``~/.cache/ember/data``) in
torchvision's folder layout (CIFAR also as the python version), as do ``EMNIST`` and
``KMNIST``; ``ImageFolder``/``DatasetFolder`` read class sub-folders, ``FakeData`` makes
random images; ``MNISTSample`` is the 10k digits shipped with ember.
"""
from .cifar import CIFAR10, CIFAR100
from .emnist import EMNIST, KMNIST
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import MNIST, FashionMNIST
from .sample import MNISTSample, load_mnist_sample
from .utils import (ChecksumError, CorruptFileError, DatasetError, DownloadError,
                    default_root)
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "EMNIST", "KMNIST", "FakeData",
           "DatasetFolder", "ImageFolder", "MNISTSample",
           "load_mnist_sample", "VisionDataset", "default_root", "DatasetError",
           "DownloadError", "ChecksumError", "CorruptFileError"]
