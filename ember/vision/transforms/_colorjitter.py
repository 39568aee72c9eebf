"""Colour and erasing transforms: ColorJitter, Grayscale, RandomGrayscale,
RandomErasing (torchvision's)."""
import math
import numbers
from collections.abc import Sequence

import numpy as np

from . import _image as I
from . import functional as F
from .transforms import _Transform, _randint, _uniform


def _jitter_range(value, name, center=1.0, bound=(0, float("inf")), clip_first=True):
    if value is None:
        return None
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"ColorJitter: if {name} is a single number, it must be "
                             f"non negative, got {value}")
        value = [center - float(value), center + float(value)]
        if clip_first:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"ColorJitter: {name} should be a single number or a list/tuple "
                        f"of length 2, got {value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"ColorJitter: {name} values should be between {bound}, got "
                         f"{value}")
    if value[0] == value[1] == center:
        return None
    return tuple(value)


class ColorJitter(_Transform):
    """Randomly change brightness, contrast, saturation and hue, in random order.

    Args:
        brightness, contrast, saturation (float or (min, max)): a number b means a
            factor drawn uniformly from [max(0, 1 - b), 1 + b].
        hue (float or (min, max)): a number h (0 <= h <= 0.5) means [-h, h].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5),
                                 clip_first=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        order = I.rng().permutation(4).tolist()
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return order, b, c, s, h

    def __call__(self, img):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast,
                                            self.saturation, self.hue)
        for k in order:
            if k == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif k == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif k == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif k == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def _repr_args(self):
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue}")


class RandomErasing(_Transform):
    """Erase a random box with probability ``p`` (Zhong et al. 2017).

    Args:
        p (float): probability. scale ((min, max)): box area fraction.
        ratio ((min, max)): box aspect ratio range (log-uniform).
        value (number, sequence or "random"): fill; "random" draws standard normal
            values (uniform 0..255 integers for a uint8 NumPy image).
        inplace (bool): overwrite the input tensor.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("RandomErasing: argument value should be either a number or "
                            "str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("RandomErasing: if value is str, it should be 'random'")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("RandomErasing: scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("RandomErasing: scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("RandomErasing: p should be between 0 and 1")
        self.p, self.scale, self.ratio = p, scale, ratio
        self.value, self.inplace = value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        chw, kind = I.load(img, "RandomErasing")
        c, H, W = chw.shape[-3:]
        area = H * W
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < H and w < W):
                continue
            if value is None:
                if chw.dtype.kind in "ui":
                    v = I.rng().integers(0, 256, size=(c, h, w)).astype(chw.dtype)
                else:
                    v = I.rng().standard_normal((c, h, w)).astype(chw.dtype)
            else:
                v = np.asarray(value, dtype=chw.dtype).reshape(-1, 1, 1)
            i = _randint(0, H - h + 1)
            j = _randint(0, W - w + 1)
            return i, j, h, w, v
        return 0, 0, H, W, None  # no box fits: leave the image unchanged

    def __call__(self, img):
        if I.rng().random() >= self.p:
            return img
        value = self.value
        if isinstance(value, numbers.Number):
            value = [value]
        elif isinstance(value, str):
            value = None
        c = I.get_dimensions(img)[0]
        if value is not None and len(value) not in (1, c):
            raise ValueError(f"RandomErasing: value should have 1 or {c} (number of "
                             f"channels) elements, got {len(value)}")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        if v is None:
            return img
        return F.erase(img, i, j, h, w, v, self.inplace)


class Grayscale(_Transform):
    """Convert to grayscale with ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)


class RandomGrayscale(_Transform):
    """Convert to grayscale with probability ``p``, keeping the channel count."""

    def __init__(self, p=0.1):
        self.p = p

    def __call__(self, img):
        c = I.get_dimensions(img)[0]
        if I.rng().random() < self.p:
            chw, kind = I.load(img, "RandomGrayscale")
            return I.store(F._color.rgb_to_grayscale(chw, c), kind)
        return img
