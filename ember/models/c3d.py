"""Video recognition with 3-D convolutions (the ``moving-mnist-c3d`` recipe).

:func:`make_moving_mnist` renders two real MNIST digits (from the embedded sample)
bouncing in ``size x size`` frames; the label is the motion class: both digits move
along the same axis (horizontal or vertical) at the same speed class (slow, 1-2 pixels
per frame, or fast, 3-4), so ``label = 2 * vertical + fast``. A single frame says
nothing about the label: the network has to compare frames. :class:`C3D` is a small
C3D-style network (Conv3d + BatchNorm3d + ReLU + MaxPool3d blocks). Plain
PyTorch-style code on ``from ember import nn``: the same file run with PyTorch is its twin.
"""
import numpy as np

from ember import nn

__all__ = ["C3D", "make_moving_mnist", "MOTION_CLASSES"]

MOTION_CLASSES = ("horizontal slow", "horizontal fast", "vertical slow", "vertical fast")


def _bounce(p, v, hi):
    """Move position ``p`` by ``v`` inside ``[0, hi]``, reflecting off the walls."""
    p = p + v
    if p < 0:
        p, v = -p, -v
    elif p > hi:
        p, v = 2 * hi - p, -v
    return p, v


def make_moving_mnist(n, frames=10, size=64, split="train", seed=0):
    """``n`` videos of two bouncing MNIST digits and their motion classes.

    Args:
        n (int): number of videos.
        frames (int): frames per video. size (int): frame height and width (>= 29).
        split (str): which half of the embedded MNIST sample the digits come from
            ("train" or "test", so test videos show unseen digit images).
        seed (int): the videos are a function of ``(n, frames, size, split, seed)``.

    Returns:
        ``(videos uint8 (n, frames, size, size), labels int64 (n,))``, labels balanced.

    Example:
        >>> v, y = make_moving_mnist(4, frames=5, size=32)
        >>> v.shape, y.tolist()
        ((4, 5, 32, 32), [0, 1, 2, 3])
    """
    from ember.vision.datasets import load_mnist_sample
    digits, _ = load_mnist_sample(split)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    hi = size - 28
    if hi < 1:
        raise ValueError(f"make_moving_mnist: size must be at least 29 for 28x28 digits, got {size}")
    videos = np.zeros((n, frames, size, size), np.uint8)
    labels = np.arange(n, dtype=np.int64) % 4
    for i in range(n):
        vertical, fast = divmod(int(labels[i]), 2)
        for d in rng.integers(0, len(digits), 2):
            speed = int(rng.integers(3, 5) if fast else rng.integers(1, 3))
            v = speed * (1 if rng.random() < 0.5 else -1)
            x, y = (int(c) for c in rng.integers(0, hi + 1, 2))
            for t in range(frames):
                view = videos[i, t, y:y + 28, x:x + 28]
                np.maximum(view, digits[d], out=view)
                if vertical:
                    y, v = _bounce(y, v, hi)
                else:
                    x, v = _bounce(x, v, hi)
    return videos, labels


class C3D(nn.Module):
    """Three 3x3x3 Conv3d + BatchNorm3d + ReLU blocks; the first pools space only
    (1x2x2, keeping early motion), the others time and space (2x2x2); global average
    pooling and a linear classifier.

    Args:
        num_classes (int): output size (4 motion classes).
        width (int): channels of the first block (doubled in each next one).

    Shape:
        input ``(N, 1, T, H, W)``, output ``(N, num_classes)``.

    Example:
        >>> C3D()(ember.randn(2, 1, 8, 32, 32)).shape
        ember.Size([2, 4])
    """

    def __init__(self, num_classes=4, width=8):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv3d(1, w, 3, padding=1, bias=False), nn.BatchNorm3d(w), nn.ReLU(True),
            nn.MaxPool3d((1, 2, 2)),
            nn.Conv3d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm3d(2 * w), nn.ReLU(True),
            nn.MaxPool3d(2),
            nn.Conv3d(2 * w, 4 * w, 3, padding=1, bias=False), nn.BatchNorm3d(4 * w),
            nn.ReLU(True), nn.MaxPool3d(2),
            nn.AdaptiveAvgPool3d(1), nn.Flatten())
        self.fc = nn.Linear(4 * w, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))
