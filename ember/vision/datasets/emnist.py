"""EMNIST and KMNIST: MNIST-format IDX files in torchvision's folder layout.

* ``KMNIST``: ``root/KMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``
  (Kuzushiji-MNIST, 10 classes of cursive Japanese characters).
* ``EMNIST``: ``root/EMNIST/raw/emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte[.gz]``
  for the splits byclass, bymerge, balanced, letters, digits, mnist. The images are
  stored transposed, as in torchvision (``img.T`` shows them upright).
"""
import os
import string
import zipfile

import numpy as np

from .mnist import MNIST
from .utils import DatasetError, check_md5, download_url, read_idx
from .vision import VisionDataset, tensor_of

__all__ = ["KMNIST", "EMNIST"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: 28x28 uint8 images of 10
    cursive Japanese characters; same format and signature as :class:`MNIST`, files in
    ``root/KMNIST/raw/``."""
    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_DIGITS = list(string.digits)
_UPPER = list(string.ascii_uppercase)
_LOWER = list(string.ascii_lowercase)
_MERGED = _DIGITS + _UPPER + list("abdefghnqrt")  # the lowercase letters not merged into upper


class EMNIST(VisionDataset):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_: handwritten
    characters, 28x28 uint8 (stored transposed, as torchvision serves them).

    Args:
        root (str, optional): data root holding ``EMNIST/raw/``.
        split (str): 'byclass' (62 classes), 'bymerge' / 'balanced' (47), 'letters' (26,
            labels 1..26), 'digits' / 'mnist' (10).
        train (bool), transform, target_transform, download: as :class:`MNIST`.
    """

    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {"byclass": _DIGITS + _UPPER + _LOWER, "bymerge": _MERGED,
                          "balanced": _MERGED, "letters": ["N/A"] + _LOWER,
                          "digits": _DIGITS, "mnist": _DIGITS}
    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"

    def __init__(self, root=None, split="balanced", train=True, transform=None,
                 target_transform=None, download=False):
        if split not in self.splits:
            raise ValueError(f'Unknown value "{split}" for argument split. Valid values are '
                             f'{{{", ".join(repr(s) for s in self.splits)}}}.')
        super().__init__(root, transform, target_transform)
        self.split, self.train = split, train
        self.classes = list(self.classes_split_dict[split])
        if download and not self._check_exists():
            self.download()
        if not self._check_exists():
            raise DatasetError(f"EMNIST ({split}) not found in {self.raw_folder}: use download=True, "
                               f"or put emnist-{split}-{{train,test}}-{{images-idx3,labels-idx1}}-ubyte"
                               f"[.gz] there (from {self.url})")
        part = "train" if train else "test"
        images = read_idx(self._file(f"emnist-{split}-{part}-images-idx3-ubyte"), 3)
        labels = read_idx(self._file(f"emnist-{split}-{part}-labels-idx1-ubyte"), 1)
        if len(images) != len(labels):
            raise DatasetError(f"EMNIST: {len(images)} images but {len(labels)} labels in "
                               f"{self.raw_folder}")
        self.data = tensor_of(images)
        self.targets = tensor_of(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, "EMNIST", "raw")

    def _file(self, name):
        plain = os.path.join(self.raw_folder, name)
        return plain if os.path.isfile(plain) else plain + ".gz"

    def _names(self):
        return [f"emnist-{self.split}-{p}-{k}-ubyte" for p in ("train", "test")
                for k in ("images-idx3", "labels-idx1")]

    def _check_exists(self):
        return all(os.path.isfile(self._file(n)) for n in self._names())

    def download(self):
        """Download NIST's ``gzip.zip`` (MD5-checked) and extract the ``.gz`` files of all splits."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        archive = os.path.join(self.raw_folder, "gzip.zip")
        if not check_md5(archive, self.md5):
            download_url([self.url], archive, self.md5)
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                base = os.path.basename(member)
                if base.startswith("emnist-") and base.endswith(".gz"):
                    with zf.open(member) as src, open(os.path.join(self.raw_folder, base), "wb") as dst:
                        dst.write(src.read())

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}\nSplit type: {self.split}"
