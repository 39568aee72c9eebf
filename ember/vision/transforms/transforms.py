"""Transform classes (``torchvision.transforms``' names and parameters).

Random transforms draw from ``ember.default_generator`` (torchvision draws from
torch's global RNG), so ``ember.manual_seed`` makes them reproducible; in DataLoader
workers each worker's generator is seeded with ``base_seed + worker_id``.
"""
import math

import numpy as np

import ember

from . import _geometry
from . import _image as I
from . import functional as F
from ._image import InterpolationMode

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Lambda",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomCrop",
           "RandomResizedCrop", "Resize", "CenterCrop", "Pad", "ColorJitter",
           "RandomAffine", "RandomErasing", "Grayscale", "RandomGrayscale",
           "RandomApply", "InterpolationMode"]


def _uniform(lo, hi):
    return float(I.rng().uniform(lo, hi))


def _randint(lo, hi):
    return int(I.rng().integers(lo, hi))


class _Transform:
    def __repr__(self):
        args = getattr(self, "_repr_args", lambda: "")()
        return f"{type(self).__name__}({args})"


class Compose(_Transform):
    """Apply ``transforms`` in order.

    Example:
        >>> t = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
        >>> t(np.zeros((28, 28), np.uint8)).shape
        ember.Size([1, 28, 28])
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor(_Transform):
    """NumPy ``H x W (x C)`` uint8 -> float32 Tensor ``C x H x W`` in [0, 1]."""

    def __call__(self, pic):
        return F.to_tensor(pic)


class PILToTensor(_Transform):
    """NumPy ``H x W (x C)`` -> Tensor ``C x H x W`` of the same dtype."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)


class Normalize(_Transform):
    """``(x - mean) / std`` per channel of a float Tensor ``(..., C, H, W)``.

    Args:
        mean (sequence): per-channel means. std (sequence): per-channel stds.
        inplace (bool): overwrite the input tensor.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._cache = {}

    def __call__(self, tensor):
        if not self.inplace and isinstance(tensor, ember.Tensor) and \
                isinstance(tensor._data, np.ndarray) and tensor._data.dtype.kind == "f" \
                and tensor._data.ndim >= 3:
            x = tensor._data
            key = (x.dtype, x.shape[-3])
            ms = self._cache.get(key)
            if ms is None:
                ms = self._cache[key] = F._color.normalize(x, self.mean, self.std)
            out = np.subtract(x, ms[0])
            np.divide(out, ms[1], out=out)
            return ember.Tensor._wrap(out)
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def _repr_args(self):
        return f"mean={self.mean}, std={self.std}"


class Lambda(_Transform):
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got "
                            f"{type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class RandomApply(_Transform):
    """Apply the list of ``transforms`` with probability ``p``."""

    def __init__(self, transforms, p=0.5):
        self.transforms, self.p = list(transforms), p

    def __call__(self, img):
        if self.p < I.rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img


class RandomHorizontalFlip(_Transform):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if I.rng().random() < self.p:
            return F.hflip(img)
        return img

    def _repr_args(self):
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""

    def __call__(self, img):
        if I.rng().random() < self.p:
            return F.vflip(img)
        return img


class RandomCrop(_Transform):
    """Crop a random ``size`` box, after optional padding.

    Args:
        size (int or (h, w)): output size.
        padding (int or sequence, optional): padding added first (l, t, r, b rules of
            :func:`functional.pad`).
        pad_if_needed (bool): pad images smaller than ``size``.
        fill (number or sequence): constant fill value.
        padding_mode (str): constant, edge, reflect or symmetric.

    Example:
        >>> RandomCrop(32, padding=4)(np.zeros((32, 32, 3), np.uint8)).shape
        (32, 32, 3)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant"):
        self.size = I.setup_size(size, "RandomCrop")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: unknown padding_mode {padding_mode!r}")
        self._fills = {}
        self._pads = None if padding is None else _geometry.parse_padding(padding,
                                                                           "RandomCrop")

    @staticmethod
    def get_params(img, output_size):
        _, h, w = I.get_dimensions(img)
        th, tw = output_size
        return RandomCrop._params(h, w, th, tw)

    @staticmethod
    def _params(h, w, th, tw):
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than "
                             f"input image size {(h, w)}")
        if h == th and w == tw:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __call__(self, img):
        chw, kind = I.load(img, "RandomCrop")
        H, W = chw.shape[-2:]
        th, tw = self.size
        left, top, right, bottom = self._pads if self._pads else (0, 0, 0, 0)
        if self.padding_mode != "constant" and self._pads:
            img = _geometry.pad(chw, kind, self._pads, self.fill, self.padding_mode)
            chw, kind = I.load(img, "RandomCrop")
            H, W = chw.shape[-2:]
            left = top = right = bottom = 0
        ph, pw = H + top + bottom, W + left + right
        if self.pad_if_needed and pw < tw:
            extra = tw - pw
            left, right, pw = left + extra, right + extra, pw + 2 * extra
        if self.pad_if_needed and ph < th:
            extra = th - ph
            top, bottom, ph = top + extra, bottom + extra, ph + 2 * extra
        if (left or top or right or bottom) and self.padding_mode != "constant":
            img = _geometry.pad(chw, kind, [left, top, right, bottom], self.fill,
                                self.padding_mode)
            chw, kind = I.load(img, "RandomCrop")
            left = top = 0
        i, j, h, w = self._params(ph, pw, th, tw)
        # crop of the (virtually) padded image: no padded copy is ever built
        top0, left0 = i - top, j - left
        if top0 >= 0 and left0 >= 0 and top0 + h <= H and left0 + w <= W:
            return I.store(chw[..., top0:top0 + h, left0:left0 + w], kind)
        key = (chw.shape[-3], chw.dtype)
        f = self._fills.get(key)
        if f is None:
            f = self._fills[key] = I.fill_array(self.fill, key[0], key[1], "RandomCrop")
        return _geometry.padded_crop(chw, kind, top0, left0, h, w, f)

    def _repr_args(self):
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(_Transform):
    """Crop a random area/aspect box and resize it to ``size``.

    Args:
        size (int or (h, w)): output size.
        scale ((min, max)): range of the box's area as a fraction of the image.
        ratio ((min, max)): range of the box's aspect ratio (w / h), log-uniform.
        interpolation (InterpolationMode): BILINEAR (default) or NEAREST.
        antialias (bool): antialias when downscaling (default True).
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = I.setup_size(size, "RandomResizedCrop")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("RandomResizedCrop: scale and ratio should be of kind "
                             "(min, max)")
        self.scale, self.ratio = scale, ratio
        self.interpolation, self.antialias = interpolation, antialias

    @staticmethod
    def get_params(img, scale, ratio):
        _, height, width = I.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(0, height - h + 1)
                j = _randint(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)  # fall back to a central crop
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)


class Resize(_Transform):
    """Resize to ``size`` ((h, w), or an int for the shorter edge)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias
        I.interp_mode(interpolation, "Resize")

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def _repr_args(self):
        return f"size={self.size}"


class CenterCrop(_Transform):
    """Crop the central ``size`` box."""

    def __init__(self, size):
        self.size = I.setup_size(size, "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def _repr_args(self):
        return f"size={self.size}"


class Pad(_Transform):
    """Pad by ``padding`` with ``fill`` (constant) or edge/reflect/symmetric."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        _geometry.parse_padding(padding, "Pad")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: unknown padding_mode {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)


from ._affine import RandomAffine, RandomRotation  # noqa: E402  (they subclass _Transform)
from ._colorjitter import (ColorJitter, Grayscale, RandomErasing,  # noqa: E402
                           RandomGrayscale)
