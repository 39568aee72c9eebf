"""VisionDataset: the common base of ember's image datasets (torchvision's)."""
import numpy as np

import ember
from ember.utils.data import Dataset

from .utils import resolve_root


class VisionDataset(Dataset):
    """An image dataset held as a uint8 array of images and an array of labels.

    Items are ``(image, label)``: the image a copy of an ``H x W`` or ``H x W x C``
    uint8 NumPy array (then ``transform``), the label a Python int (then
    ``target_transform``).
    """

    _repr_indent = 4

    def __init__(self, root, transform=None, target_transform=None):
        self.root = resolve_root(root)
        self.transform = transform
        self.target_transform = target_transform
        self._images = np.zeros((0, 1, 1), np.uint8)
        self._labels = np.zeros((0,), np.int64)

    def __getitem__(self, index):
        img = self._images[index].copy()
        target = int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self._labels)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}"]
        lines += self.extra_repr().splitlines()
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        body = "".join("\n" + " " * self._repr_indent + ln for ln in lines)
        return f"Dataset {type(self).__name__}{body}"


def tensor_of(array):
    """An ember Tensor sharing ``array``."""
    return ember.Tensor._wrap(array)
