"""The 10,000 real MNIST digits shipped inside ember (``ember/data/mnist_sample.npz``).

Split 80/20 per class with a fixed seed: the file is sorted by label; for each
class a fixed permutation of its images puts the first ``floor(0.8 n)`` in the
training split and the rest in the test split; each split is then put in a fixed
shuffled order. The split never depends on any global RNG. See
``ember/data/README.md`` for the data's origin and licence.
"""
import functools
import os

import numpy as np

from .vision import VisionDataset, tensor_of

__all__ = ["MNISTSample", "load_mnist_sample", "SAMPLE_PATH"]

SAMPLE_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "data", "mnist_sample.npz")
_SPLIT_SEED = 20240607
_TRAIN_FRACTION = 0.8


@functools.lru_cache(maxsize=1)
def _splits():
    with np.load(SAMPLE_PATH) as z:
        images, labels = z["images"], z["labels"].astype(np.int64)
    rng = np.random.Generator(np.random.PCG64(_SPLIT_SEED))
    train, test = [], []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        k = int(np.floor(_TRAIN_FRACTION * len(idx)))
        train.append(idx[:k])
        test.append(idx[k:])
    out = {}
    for name, parts in (("train", train), ("test", test)):
        idx = np.concatenate(parts)
        idx = idx[rng.permutation(len(idx))]
        imgs, labs = images[idx], labels[idx]
        imgs.flags.writeable = False
        labs.flags.writeable = False
        out[name] = (imgs, labs)
    return out


def load_mnist_sample(split="train"):
    """The embedded MNIST sample as NumPy arrays, for fast whole-array use.

    Args:
        split (str): ``"train"`` (7,996 images), ``"test"`` (2,004) or ``"all"``
            (both, train first).

    Returns:
        (images, labels): ``(N, 28, 28)`` uint8 and ``(N,)`` int64 (fresh copies).

    Example:
        >>> x, y = load_mnist_sample("test"); x.shape, y.dtype
        ((2004, 28, 28), dtype('int64'))
    """
    s = _splits()
    if split == "all":
        return (np.concatenate([s["train"][0], s["test"][0]]),
                np.concatenate([s["train"][1], s["test"][1]]))
    if split not in s:
        raise ValueError(f"load_mnist_sample: split must be 'train', 'test' or 'all', "
                         f"got {split!r}")
    images, labels = s[split]
    return images.copy(), labels.copy()


class MNISTSample(VisionDataset):
    """The 10,000 MNIST digits embedded in ember, split 80/20 per class (fixed seed).

    Needs no download: plain ``ember train`` trains on it.

    Args:
        root: accepted for torchvision-style signatures and ignored.
        train (bool): the training split (7,996 images) or the test split (2,004).
        transform (callable, optional): applied to the ``28 x 28`` uint8 image.
        target_transform (callable, optional): applied to the int label.

    Attributes:
        data (Tensor): ``(N, 28, 28)`` uint8. targets (Tensor): ``(N,)`` int64.

    Example:
        >>> ds = MNISTSample(train=True, transform=transforms.ToTensor())
        >>> x, y = ds[0]; x.shape
        ember.Size([1, 28, 28])
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None):
        self.root = root
        self.transform = transform
        self.target_transform = target_transform
        self.train = train
        images, labels = _splits()["train" if train else "test"]
        self.data = tensor_of(images)
        self.targets = tensor_of(labels)
