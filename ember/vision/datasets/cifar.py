"""CIFAR-10 and CIFAR-100 from the official *binary* archives, or from the *python*
version's folders when those are what is on disk (read by a restricted unpickler:
``cifar_python.py``).

CIFAR-10: ``root/cifar-10-batches-bin/data_batch_{1..5}.bin`` and ``test_batch.bin``,
records of 1 label byte + 3072 image bytes (1024 red, 1024 green, 1024 blue, rows
of 32). CIFAR-100: ``root/cifar-100-binary/train.bin`` and ``test.bin``, records of
a coarse and a fine label byte + 3072 image bytes. ``download=True`` fetches
``cifar-10-binary.tar.gz`` / ``cifar-100-binary.tar.gz`` (MD5 as published on the
CIFAR page) and extracts only those files.
"""
import os

import numpy as np

from .utils import CorruptFileError, DatasetError, check_md5, download_url, \
    extract_tar_members
from .cifar_python import PYTHON_LAYOUTS, read_python_layout
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "CIFAR10_URLS", "CIFAR100_URLS"]

# Tests (and users behind a proxy) may replace these lists or the classes' `urls`.
CIFAR10_URLS = ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]
CIFAR100_URLS = ["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"]

_CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                    "horse", "ship", "truck"]
_CIFAR100_CLASSES = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge "
    "bus butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud "
    "cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox "
    "girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster "
    "man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter "
    "palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit "
    "raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake "
    "spider squirrel streetcar sunflower sweet_pepper table tank telephone television "
    "tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman "
    "worm").split()
_CIFAR100_COARSE = (
    "aquatic_mammals fish flowers food_containers fruit_and_vegetables "
    "household_electrical_devices household_furniture insects large_carnivores "
    "large_man-made_outdoor_things large_natural_outdoor_scenes "
    "large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people "
    "reptiles small_mammals trees vehicles_1 vehicles_2").split()

IMAGE_BYTES = 3 * 32 * 32


def read_cifar_bin(path, label_bytes):
    """Read a CIFAR binary file: (images (N, 32, 32, 3) uint8, labels (N, label_bytes)).

    Raises:
        CorruptFileError: empty, or not a whole number of records (truncated).
    """
    rec = label_bytes + IMAGE_BYTES
    size = os.path.getsize(path)
    if size == 0 or size % rec:
        raise CorruptFileError(f"{path} is truncated or not a CIFAR binary file: {size} "
                               f"bytes is not a whole number of {rec}-byte records; "
                               "delete it and download again")
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, rec)
    images = raw[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), raw[:, :label_bytes].astype(np.int64)


def _read_names(path, default):
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            names = [ln.strip() for ln in f if ln.strip()]
        if names:
            return names
    return list(default)


class CIFAR10(VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 32x32 colour images
    in 10 classes, read from the official binary version.

    Args:
        root (str, optional): data root holding ``cifar-10-batches-bin/``; default
            ``$EMBER_DATA`` or ``~/.cache/ember/data``.
        train (bool): the 50,000 training images (else the 10,000 test images).
        transform (callable, optional): applied to the ``32 x 32 x 3`` uint8 image.
        target_transform (callable, optional): applied to the int label.
        download (bool): fetch and extract the archive if files are missing.

    Attributes:
        data (ndarray): ``(N, 32, 32, 3)`` uint8. targets (list of int).
        classes (list of str).

    Example:
        >>> ds = CIFAR10("data", train=False, download=True)
        >>> img, label = ds[0]; img.shape
        (32, 32, 3)
    """

    urls = CIFAR10_URLS
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    meta_files = ["batches.meta.txt"]
    label_bytes = 1
    num_classes = 10

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        if download:
            self.download()
        python = None
        if not self._check_exists():  # torchvision's python-version layout, if present
            python = read_python_layout(self.root, self.label_bytes, train)
        if python is None and not self._check_exists():
            raise DatasetError(f"{type(self).__name__} not found in "
                               f"{os.path.join(self.root, self.base_folder)} (binary version) "
                               f"nor in {os.path.join(self.root, PYTHON_LAYOUTS[self.label_bytes][0])} "
                               f"(python version): use download=True to download it, or extract "
                               f"{self.filename} into {self.root}")
        if python is not None:
            images, labels, names = python
        else:
            parts = [read_cifar_bin(os.path.join(self.root, self.base_folder, name),
                                    self.label_bytes)
                     for name in (self.train_list if train else self.test_list)]
            images = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
            labels = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
            names = {}
        self.data = images
        self.targets = self._labels_of(labels).tolist()
        self._load_meta()
        self._python_names(names)

    def _python_names(self, names):
        if names.get("label_names"):
            self.classes = names["label_names"]

    def _labels_of(self, labels):
        lab = labels[:, 0]
        if lab.size and lab.max() >= self.num_classes:
            raise CorruptFileError(f"{type(self).__name__}: label {int(lab.max())} out of "
                                   f"range 0..{self.num_classes - 1}; the files are "
                                   "corrupt")
        return lab

    def _load_meta(self):
        self.classes = _read_names(os.path.join(self.root, self.base_folder,
                                                self.meta_files[0]), _CIFAR10_CLASSES)

    def _members(self):
        return [f"{self.base_folder}/{n}"
                for n in self.train_list + self.test_list + self.meta_files]

    def _check_exists(self):
        folder = os.path.join(self.root, self.base_folder)
        return all(os.path.isfile(os.path.join(folder, n))
                   for n in self.train_list + self.test_list)

    def download(self):
        """Download the archive (MD5-checked, atomic) and extract the data files."""
        if self._check_exists():
            return
        archive = os.path.join(self.root, self.filename)
        if not check_md5(archive, self.tgz_md5):
            download_url(list(type(self).urls), archive, self.tgz_md5)
        data = [f"{self.base_folder}/{n}" for n in self.train_list + self.test_list]
        extract_tar_members(archive, data, self.root)
        try:  # the class-name files are optional
            extract_tar_members(archive, [f"{self.base_folder}/{n}"
                                          for n in self.meta_files], self.root)
        except CorruptFileError:
            pass


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 32x32 colour images
    in 100 classes (20 superclasses), from the official binary version.

    Same signature as :class:`CIFAR10`, plus ``target_type``: ``"fine"`` (default,
    the 100 classes, as torchvision) or ``"coarse"`` (the 20 superclasses; an ember
    extension). Files: ``root/cifar-100-binary/train.bin`` and ``test.bin``.
    """

    urls = CIFAR100_URLS
    filename = "cifar-100-binary.tar.gz"
    tgz_md5 = "03b5dce01913d631647c71ecec9e9cb8"
    base_folder = "cifar-100-binary"
    train_list = ["train.bin"]
    test_list = ["test.bin"]
    meta_files = ["fine_label_names.txt", "coarse_label_names.txt"]
    label_bytes = 2

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, target_type="fine"):
        if target_type not in ("fine", "coarse"):
            raise ValueError(f"CIFAR100: target_type must be 'fine' or 'coarse', got "
                             f"{target_type!r}")
        self.target_type = target_type
        super().__init__(root, train, transform, target_transform, download)

    @property
    def num_classes(self):
        return 100 if self.target_type == "fine" else 20

    def _labels_of(self, labels):
        coarse, fine = labels[:, 0], labels[:, 1]
        if (coarse.size and coarse.max() >= 20) or (fine.size and fine.max() >= 100):
            raise CorruptFileError("CIFAR100: label out of range; the files are corrupt")
        self.coarse_targets = coarse.tolist()
        return fine if self.target_type == "fine" else coarse

    def _load_meta(self):
        folder = os.path.join(self.root, self.base_folder)
        fine = _read_names(os.path.join(folder, "fine_label_names.txt"), _CIFAR100_CLASSES)
        coarse = _read_names(os.path.join(folder, "coarse_label_names.txt"),
                             _CIFAR100_COARSE)
        self.fine_classes, self.coarse_classes = fine, coarse
        self.classes = fine if self.target_type == "fine" else coarse

    def _python_names(self, names):
        if names.get("fine_label_names"):
            self.fine_classes = names["fine_label_names"]
        if names.get("coarse_label_names"):
            self.coarse_classes = names["coarse_label_names"]
        self.classes = self.fine_classes if self.target_type == "fine" else self.coarse_classes
