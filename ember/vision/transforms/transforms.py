"""Transform classes (``torchvision.transforms``' names and parameters).

Random transforms draw from ``ember.default_generator`` (torchvision draws from
torch's global RNG), so ``ember.manual_seed`` makes them reproducible; in DataLoader
workers each worker's generator is seeded with ``base_seed + worker_id``.
"""
import math
import numbers
from collections.abc import Sequence

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


def _degrees_range(degrees, name):
    if isinstance(degrees, numbers.Number):
        if degrees < 0:
            raise ValueError(f"If {name} is a single number, it must be positive, got "
                             f"{degrees}")
        return [-float(degrees), float(degrees)]
    if isinstance(degrees, Sequence) and len(degrees) == 2:
        return [float(d) for d in degrees]
    raise ValueError(f"{name} should be a number or a sequence of length 2, got "
                     f"{degrees!r}")


class RandomRotation(_Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (counter-clockwise).

    Args:
        degrees (number or (min, max)): a number d means (-d, d).
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        expand (bool): enlarge the output to hold the whole rotated image.
        center ((x, y), optional): centre of rotation in pixels.
        fill (number or sequence): value for the area outside the image.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        self.degrees = _degrees_range(degrees, "degrees")
        self.interpolation = interpolation
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees):
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center,
                        self.fill)

    def _repr_args(self):
        return f"degrees={self.degrees}, interpolation={I.interp_mode(self.interpolation, '')}"


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
        out = I.empty(kind, chw.shape[:-2], h, w, chw.dtype)
        f = I.fill_array(self.fill, chw.shape[-3], chw.dtype, "RandomCrop")
        return I.store(_geometry.crop_into(out, chw, top0, left0, f), kind)

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


class RandomAffine(_Transform):
    """Random affine map keeping the centre.

    Args:
        degrees (number or (min, max)): rotation range (a number d means (-d, d)).
        translate ((a, b), optional): maximal shifts as fractions of width / height.
        scale ((min, max), optional): scale range.
        shear (number or sequence, optional): x-shear range (-s, s), (min, max), or
            (xmin, xmax, ymin, ymax) in degrees.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        fill (number or sequence): value for the area outside the image.
        center ((x, y), optional): centre in pixels.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = _degrees_range(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("RandomAffine: translate should be a sequence of two "
                                 f"values between 0 and 1, got {translate!r}")
        if scale is not None:
            if len(scale) != 2 or any(s <= 0 for s in scale):
                raise ValueError(f"RandomAffine: scale values should be positive, got "
                                 f"{scale!r}")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _degrees_range(shear, "shear")
            elif len(shear) not in (2, 4):
                raise ValueError("RandomAffine: shear should be a number or a sequence "
                                 f"of length 2 or 4, got {shear!r}")
            shear = [float(s) for s in shear]
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        _, h, w = I.get_dimensions(img)
        angle, t, s, sh = self.get_params(self.degrees, self.translate, self.scale,
                                          self.shear, [w, h])
        return F.affine(img, angle, t, s, sh, self.interpolation, self.fill, self.center)


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
