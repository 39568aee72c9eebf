"""VisionDataset: the common base of ember's image datasets (torchvision's)."""
import numpy as np

import ember
from ember.utils.data import Dataset

from .utils import resolve_root


class VisionDataset(Dataset):
    """An image dataset held as a uint8 array of images and an array of labels.

    Items are ``(image, label)``: the image a copy of an ``H x W`` or ``H x W x C``
    uint8 NumPy array (then ``transform``), the label a Python int (then
    ``target_transform``), read from the ``data`` and ``targets`` attributes.
    """

    _repr_indent = 4

    def __init__(self, root, transform=None, target_transform=None):
        self.root = resolve_root(root)
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index):
        # read ``data`` / ``targets`` each time, so code that subsets them
        # (``ds.data = ds.data[:1000]``) works as with torchvision
        data, targets = self.data, self.targets
        arr = data._data if isinstance(data, ember.Tensor) else data
        img = np.array(arr[index])
        t = targets._data[index] if isinstance(targets, ember.Tensor) else targets[index]
        target = int(t)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

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
