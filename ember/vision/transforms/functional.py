"""Functional transforms (``torchvision.transforms.functional``'s names).

Every function takes an image -- a NumPy ``H x W`` / ``H x W x C`` array or an ember
Tensor ``(..., C, H, W)`` -- and returns one of the same kind. Pure NumPy: no
Pillow. Semantics follow torchvision's tensor path (see each docstring).
"""
import numpy as np

import ember

from . import _color, _geometry
from . import _image as I
from ._image import InterpolationMode, get_dimensions, get_image_num_channels, \
    get_image_size

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size",
           "get_image_num_channels", "to_tensor", "pil_to_tensor", "normalize", "hflip",
           "vflip", "crop", "center_crop", "pad", "resize", "resized_crop", "rotate",
           "affine", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_hue", "rgb_to_grayscale", "to_grayscale", "erase"]


def to_tensor(pic):
    """NumPy ``H x W (x C)`` -> Tensor ``C x H x W``; uint8 becomes float32 in [0, 1].

    Other dtypes keep their dtype and values, as torchvision's ``to_tensor``.

    Example:
        >>> to_tensor(np.full((2, 2), 255, np.uint8))
        tensor([[[1., 1.],
                 [1., 1.]]])
    """
    if isinstance(pic, ember.Tensor):
        raise TypeError("to_tensor: pic should be a NumPy array (H x W or H x W x C), "
                        "got an ember Tensor; it is already a tensor")
    chw, kind = I.load(pic, "to_tensor")
    if chw.dtype == np.uint8:
        out = np.empty(chw.shape, dtype=np.float32)
        np.divide(chw, np.float32(255), out=out, dtype=np.float32)
        return ember.Tensor._wrap(out)
    return ember.Tensor._wrap(np.ascontiguousarray(chw))


def pil_to_tensor(pic):
    """NumPy ``H x W (x C)`` -> Tensor ``C x H x W`` of the same dtype (no scaling)."""
    chw, kind = I.load(pic, "pil_to_tensor")
    return ember.Tensor._wrap(np.ascontiguousarray(chw))


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel for a float Tensor ``(..., C, H, W)``.

    Example:
        >>> normalize(ember.ones(1, 2, 2), [0.5], [0.5])[0, 0, 0].item()
        1.0
    """
    if not isinstance(tensor, ember.Tensor):
        if isinstance(tensor, np.ndarray) and tensor.dtype.kind == "f":
            tensor = ember.Tensor._wrap(tensor)
        else:
            raise TypeError(f"normalize: img should be a float Tensor, got "
                            f"{type(tensor).__name__}")
    x = tensor._data
    m, s = _color.normalize(x, mean, std)
    if inplace:
        np.subtract(x, m, out=x)
        np.divide(x, s, out=x)
        return tensor
    out = x - m
    np.divide(out, s, out=out)
    return ember.Tensor._wrap(out)


def _apply(img, op, fn, *args, **kwargs):
    chw, kind = I.load(img, op)
    return I.store(fn(chw, *args, **kwargs), kind)


def hflip(img):
    """Mirror left-right."""
    return _apply(img, "hflip", _geometry.hflip)


def vflip(img):
    """Mirror top-bottom."""
    return _apply(img, "vflip", _geometry.vflip)


def crop(img, top, left, height, width):
    """The ``height x width`` box at (top, left); zero where it leaves the image."""
    chw, kind = I.load(img, "crop")
    return _geometry.crop(chw, kind, int(top), int(left), int(height), int(width))


def center_crop(img, output_size):
    """The central ``output_size`` box (zero-padded first if the image is smaller)."""
    chw, kind = I.load(img, "center_crop")
    th, tw = I.setup_size(output_size, "center_crop")
    H, W = chw.shape[-2:]
    if th > H or tw > W:
        pl, pt = (tw - W) // 2 if tw > W else 0, (th - H) // 2 if th > H else 0
        pr, pb = (tw - W + 1) // 2 if tw > W else 0, (th - H + 1) // 2 if th > H else 0
        img = _geometry.pad(chw, kind, [pl, pt, pr, pb], 0, "constant")
        chw, kind = I.load(img, "center_crop")
        H, W = chw.shape[-2:]
        if (H, W) == (th, tw):
            return img
    top, left = _geometry.center_crop_box(H, W, th, tw)
    return _geometry.crop(chw, kind, top, left, th, tw)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad by ``padding`` (int, (lr, tb) or (l, t, r, b)); modes constant, edge,
    reflect, symmetric."""
    chw, kind = I.load(img, "pad")
    return _geometry.pad(chw, kind, padding, fill, padding_mode)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
           antialias=True):
    """Resize to ``size``: (h, w), or an int for the shorter edge (aspect kept).
    Bilinear matches ``interpolate(mode="bilinear", align_corners=False,
    antialias=antialias)``; nearest matches ``mode="nearest"``."""
    chw, kind = I.load(img, "resize")
    return _geometry.resize(chw, kind, size, interpolation, max_size, antialias)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Crop then resize."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False,
           center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees (torchvision's convention).

    ``fill=None`` pads with zeros; a number or per-channel sequence blends the
    border with it (torchvision's mask rule)."""
    chw, kind = I.load(img, "rotate")
    return _geometry.rotate(chw, kind, float(angle), interpolation, expand, center, fill)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Affine map keeping the centre: rotate by ``angle`` degrees (clockwise, as
    torchvision's ``affine``), translate by ``translate`` pixels (dx, dy), scale,
    shear (degrees)."""
    chw, kind = I.load(img, "affine")
    if len(translate) != 2:
        raise ValueError(f"affine: translate should be a sequence of 2, got {translate}")
    return _geometry.affine(chw, kind, float(angle), translate, float(scale), shear,
                            interpolation, fill, center)


def adjust_brightness(img, brightness_factor):
    """Multiply by ``brightness_factor`` (clipped to the dtype's range)."""
    return _apply(img, "adjust_brightness", _color.adjust_brightness, brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the mean of the grayscale image."""
    return _apply(img, "adjust_contrast", _color.adjust_contrast, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blend with the grayscale image."""
    return _apply(img, "adjust_saturation", _color.adjust_saturation, saturation_factor)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` in [-0.5, 0.5] (HSV space)."""
    return _apply(img, "adjust_hue", _color.adjust_hue, hue_factor)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B``; a NumPy ``H x W x 3`` image gives
    ``H x W`` for one output channel (like a Pillow "L" image), a Tensor gives
    ``(..., 1, H, W)``."""
    chw, kind = I.load(img, "rgb_to_grayscale")
    g = _color.rgb_to_grayscale(chw, num_output_channels)
    if kind == I.HWC and num_output_channels == 1:
        kind = I.HW
    return I.store(g, kind)


to_grayscale = rgb_to_grayscale


def erase(img, i, j, h, w, v, inplace=False):
    """Set the ``h x w`` box at (i, j) to ``v`` (a scalar or an array broadcastable
    to ``(C, h, w)``)."""
    chw, kind = I.load(img, "erase")
    if inplace and kind in (I.TENSOR, I.TENSOR2D):
        target = chw
    else:
        target = chw.copy()
    v = v._data if isinstance(v, ember.Tensor) else v
    target[..., i:i + h, j:j + w] = v
    if inplace and kind in (I.TENSOR, I.TENSOR2D):
        return img
    return I.store(target, kind)
