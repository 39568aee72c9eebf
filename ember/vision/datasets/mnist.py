"""MNIST and Fashion-MNIST from their official IDX files (torchvision's layout).

Files live in ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``) as
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``, each plain or ``.gz`` -- so a folder torchvision
downloaded works as is. ``download=True`` fetches the ``.gz`` files from
``mirrors`` (tried in order), checks the MD5s torchvision uses, and writes them
atomically.
"""
import os

import numpy as np

from .utils import DatasetError, DownloadError, check_md5, download_url, read_idx
from .vision import VisionDataset, tensor_of

__all__ = ["MNIST", "FashionMNIST", "MNIST_MIRRORS", "FASHION_MNIST_MIRRORS",
           "DEBIAN_FASHION_MNIST_DIR"]

# Tests (and users behind a proxy) may replace these lists or the classes' `mirrors`.
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]
# where Debian's `dataset-fashion-mnist` package puts the files
DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ handwritten digits, 28x28 uint8.

    Args:
        root (str, optional): data root holding ``MNIST/raw/``; default
            ``$EMBER_DATA`` or ``~/.cache/ember/data``.
        train (bool): the 60,000-image training set (else the 10,000 test images).
        transform (callable, optional): applied to the ``28 x 28`` uint8 image.
        target_transform (callable, optional): applied to the int label.
        download (bool): fetch the files if they are missing.

    Attributes:
        data (Tensor): ``(N, 28, 28)`` uint8. targets (Tensor): ``(N,)`` int64.

    Raises:
        DatasetError: files missing (and ``download=False``), or corrupt.

    Example:
        >>> ds = MNIST("data", train=True, download=True, transform=transforms.ToTensor())
        >>> img, label = ds[0]
    """

    mirrors = MNIST_MIRRORS
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        if download and not self._check_exists():
            self.download()
        folder = self._find_folder()
        if folder is None:
            raise DatasetError(self._not_found_message())
        prefix = "train" if train else "t10k"
        images = read_idx(self._file(folder, f"{prefix}-images-idx3-ubyte"), 3)
        labels = read_idx(self._file(folder, f"{prefix}-labels-idx1-ubyte"), 1)
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise DatasetError(f"{type(self).__name__}: expected uint8 IDX files in "
                               f"{folder}")
        if len(images) != len(labels):
            raise DatasetError(f"{type(self).__name__}: {len(images)} images but "
                               f"{len(labels)} labels in {folder}")
        self.source_folder = folder
        self.data = tensor_of(images)
        self.targets = tensor_of(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @staticmethod
    def _file(folder, name):
        plain = os.path.join(folder, name)
        return plain if os.path.isfile(plain) else plain + ".gz"

    def _has_files(self, folder):
        return all(os.path.isfile(os.path.join(folder, base)) or
                   os.path.isfile(os.path.join(folder, base + ".gz"))
                   for base in (os.path.splitext(name)[0] for name, _ in self.resources))

    def _check_exists(self):
        return self._has_files(self.raw_folder)

    def _find_folder(self):
        return self.raw_folder if self._check_exists() else None

    def _not_found_message(self):
        return (f"{type(self).__name__} not found in {self.raw_folder}: use "
                "download=True to download it, or put the four IDX files "
                "(train-images-idx3-ubyte[.gz], ...) there")

    def _missing_files(self):
        return [name for name, _ in self.resources
                if not os.path.isfile(os.path.join(self.raw_folder, name)) and
                not os.path.isfile(os.path.join(self.raw_folder, os.path.splitext(name)[0]))]

    def _by_hand_hint(self):
        """Where else the files may come from (subclasses add a system package)."""
        return ""

    def download(self):
        """Download the ``.gz`` files that are missing (MD5-checked, atomic).

        Raises:
            DownloadError: offline or every mirror failed; the message lists the files
                to put in ``raw_folder`` by hand. Folders this call created are removed
                again, so a failed download leaves nothing behind.
        """
        if self._check_exists():
            return
        created = []
        folder = self.raw_folder
        while folder and not os.path.exists(folder):
            created.append(folder)
            folder = os.path.dirname(folder)
        os.makedirs(self.raw_folder, exist_ok=True)
        try:
            for name, md5 in self.resources:
                base = os.path.splitext(name)[0]
                path = os.path.join(self.raw_folder, name)
                if os.path.isfile(os.path.join(self.raw_folder, base)) or check_md5(path, md5):
                    continue
                urls = [m.rstrip("/") + "/" + name for m in type(self).mirrors]
                download_url(urls, path, md5)
        except DownloadError as e:
            for folder in created:  # deepest first: only the empty ones go
                try:
                    os.rmdir(folder)
                except OSError:
                    break
            missing = self._missing_files()
            first = type(self).mirrors[0] if type(self).mirrors else ""
            raise type(e)(
                f"{type(self).__name__} is not in {self.raw_folder} and could not be "
                f"downloaded ({e.reason}). To install it by hand, put "
                f"{'these files' if len(missing) > 1 else 'this file'} in that folder: "
                f"{', '.join(missing)} (from {first}){self._by_hand_hint()}; or point "
                "root= / --data-dir / $EMBER_DATA at a folder that has them.") from None


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 28x28 uint8
    images of 10 kinds of clothing, same format and signature as :class:`MNIST`.

    Files are looked for in ``root/FashionMNIST/raw/``, then in the folder of
    Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``)
    before any download.
    """

    mirrors = FASHION_MNIST_MIRRORS
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    system_folders = [DEBIAN_FASHION_MNIST_DIR]

    def _system_folder(self):
        for folder in type(self).system_folders:
            if folder and self._has_files(folder):
                return folder
        return None

    def _check_exists(self):
        return self._has_files(self.raw_folder) or self._system_folder() is not None

    def _find_folder(self):
        if self._has_files(self.raw_folder):
            return self.raw_folder
        return self._system_folder()

    def _by_hand_hint(self):
        return (", or install Debian's dataset-fashion-mnist package (apt-get install "
                "dataset-fashion-mnist)")

    def _not_found_message(self):
        return (super()._not_found_message() + " (or install Debian's "
                "dataset-fashion-mnist package: apt-get install dataset-fashion-mnist)")
