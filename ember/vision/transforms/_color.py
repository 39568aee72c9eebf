"""Colour and value ops on channels-first NumPy views (see ``_image``).

Semantics follow torchvision's tensor path: integer images are blended in float32
and truncated back (``_blend``); the grayscale of RGB is
``0.2989 R + 0.587 G + 0.114 B`` cast to the image dtype; contrast blends with the
mean of that grayscale; hue shifts in HSV space.
"""
import numpy as np

from . import _image as I


def _bound(dtype):
    return 255.0 if np.dtype(dtype) == np.uint8 else (
        1.0 if np.dtype(dtype).kind == "f" else float(np.iinfo(dtype).max))


def blend(img1, img2, ratio):
    """``ratio * img1 + (1 - ratio) * img2`` clipped to the dtype's range, cast back
    (truncating, as torchvision) to img1's dtype."""
    dtype = img1.dtype
    ratio = float(ratio)
    a = I.to_float(img1)
    out = ratio * a + (1.0 - ratio) * (img2.astype(a.dtype, copy=False)
                                       if isinstance(img2, np.ndarray) else img2)
    np.clip(out, 0.0, _bound(dtype), out=out)
    return out.astype(dtype, copy=False)


def rgb_to_grayscale(chw, num_output_channels=1):
    """Luma of an RGB image as (..., num_output_channels, H, W); a 1-channel image
    is returned (repeated to num_output_channels)."""
    c = chw.shape[-3]
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels should be 1 or 3, got "
                         f"{num_output_channels}")
    if c == 1:
        g = chw
    elif c == 3:
        x = I.to_float(chw)
        r, gg, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
        g = (0.2989 * r + 0.587 * gg + 0.114 * b).astype(chw.dtype)[..., None, :, :]
    else:
        raise TypeError(f"rgb_to_grayscale: expected 1 or 3 channels, got {c}")
    if num_output_channels == 3:
        g = np.broadcast_to(g, g.shape[:-3] + (3,) + g.shape[-2:])
    return g


def adjust_brightness(chw, factor):
    if factor < 0:
        raise ValueError(f"adjust_brightness: brightness_factor ({factor}) is not "
                         "non-negative")
    return blend(chw, 0.0, factor)


def adjust_contrast(chw, factor):
    if factor < 0:
        raise ValueError(f"adjust_contrast: contrast_factor ({factor}) is not "
                         "non-negative")
    c = chw.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"adjust_contrast: expected 1 or 3 channels, got {c}")
    g = rgb_to_grayscale(chw) if c == 3 else chw
    g = I.to_float(g)
    mean = g.mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(g.dtype)
    return blend(chw, mean, factor)


def adjust_saturation(chw, factor):
    if factor < 0:
        raise ValueError(f"adjust_saturation: saturation_factor ({factor}) is not "
                         "non-negative")
    c = chw.shape[-3]
    if c == 1:
        return chw
    if c != 3:
        raise TypeError(f"adjust_saturation: expected 1 or 3 channels, got {c}")
    return blend(chw, rgb_to_grayscale(chw), factor)


def rgb_to_hsv(x):
    """HSV of a float RGB image in [0, 1] (channels on axis -3), hue in [0, 1)."""
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc = x.max(axis=-3)
    minc = x.min(axis=-3)
    span = maxc - minc
    gray = span == 0
    s = span / np.where(gray, 1, maxc)
    div = np.where(gray, 1, span)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    is_r = maxc == r
    is_g = (maxc == g) & ~is_r
    is_b = ~is_r & ~is_g
    h = is_r * (bc - gc) + is_g * (2.0 + rc - bc) + is_b * (4.0 + gc - rc)
    h = np.fmod(h / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], axis=-3)


def hsv_to_rgb(x):
    """Inverse of :func:`rgb_to_hsv`."""
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-3)


def adjust_hue(chw, factor):
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f"adjust_hue: hue_factor ({factor}) is not in [-0.5, 0.5]")
    c = chw.shape[-3]
    if c == 1:
        return chw
    if c != 3:
        raise TypeError(f"adjust_hue: expected 1 or 3 channels, got {c}")
    dtype = chw.dtype
    x = chw.astype(np.float32) / np.float32(255) if dtype == np.uint8 else I.to_float(chw)
    hsv = rgb_to_hsv(x)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + factor, 1.0)
    out = hsv_to_rgb(hsv).astype(x.dtype, copy=False)
    if dtype == np.uint8:
        return (out * np.float32(255.0)).astype(np.uint8)
    return out.astype(dtype, copy=False)


def normalize(x, mean, std):
    """``(x - mean) / std`` per channel (axis -3) for a float array."""
    if x.dtype.kind != "f":
        raise TypeError(f"normalize: expected a floating point tensor, got dtype "
                        f"{x.dtype}; apply ToTensor first")
    if x.ndim < 3:
        raise ValueError(f"normalize: expected a tensor of shape (..., C, H, W), got "
                         f"shape {x.shape}")
    m = np.asarray(mean, dtype=x.dtype).reshape(-1, 1, 1)
    s = np.asarray(std, dtype=x.dtype).reshape(-1, 1, 1)
    if np.any(s == 0):
        raise ValueError(f"normalize: std evaluated to zero after conversion to "
                         f"{x.dtype}, leading to division by zero (std={std})")
    if m.shape[0] not in (1, x.shape[-3]) or s.shape[0] not in (1, x.shape[-3]):
        raise ValueError(f"normalize: mean ({len(m)}) and std ({len(s)}) must have one "
                         f"value or one per channel ({x.shape[-3]})")
    return m, s
