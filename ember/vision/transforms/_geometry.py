"""Geometric image ops on channels-first NumPy views (see ``_image``).

Semantics follow torchvision's tensor path: ``resize`` is ``interpolate`` with
``align_corners=False`` (antialiased like PIL when downscaling and ``antialias``);
``rotate``/``affine`` sample an inverse affine map at pixel centres like
``affine_grid`` + ``grid_sample(align_corners=False)`` with zero padding, then blend
the border with ``fill`` through a sampled validity mask.
"""
import math

import numpy as np

from . import _image as I


# ----------------------------------------------------------------------------- flips
def hflip(chw):
    return chw[..., ::-1]


def vflip(chw):
    return chw[..., ::-1, :]


# ------------------------------------------------------------------------ crop / pad
def crop_into(out, chw, top, left):
    """Copy the part of the window at (top, left) (of out's size) that lies inside
    ``chw`` into ``out``; the rest of ``out`` is left as it is (the fill)."""
    h, w = out.shape[-2:]
    H, W = chw.shape[-2:]
    y0, y1 = max(top, 0), min(top + h, H)
    x0, x1 = max(left, 0), min(left + w, W)
    if y0 < y1 and x0 < x1:
        out[..., y0 - top:y1 - top, x0 - left:x1 - left] = chw[..., y0:y1, x0:x1]
    return out


def padded_crop(chw, kind, top, left, height, width, fill):
    """The window at (top, left) with ``fill`` ((C,1,1) array) outside the image."""
    out = I.full(kind, chw.shape[:-2], height, width, chw.dtype, fill)
    return I.store(crop_into(out, chw, top, left), kind)


def crop(chw, kind, top, left, height, width, fill=0):
    """Crop (zero padding where the box leaves the image, as torchvision's tensor
    path); returns the image in ``kind``'s layout."""
    if height <= 0 or width <= 0:
        raise ValueError(f"crop: height and width must be positive, got "
                         f"{height}x{width}")
    H, W = chw.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= H and left + width <= W:
        return I.store(chw[..., top:top + height, left:left + width], kind)
    f = I.fill_array(fill, chw.shape[-3], chw.dtype, "crop")
    return padded_crop(chw, kind, top, left, height, width, f)


def center_crop_box(H, W, th, tw):
    return int(round((H - th) / 2.0)), int(round((W - tw) / 2.0))


def parse_padding(padding, op="pad"):
    """(left, top, right, bottom) from an int or a sequence of 1, 2 or 4 ints."""
    if isinstance(padding, (int, np.integer)):
        p = [int(padding)] * 4
    elif isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4):
        p = [int(x) for x in padding]
        if len(p) == 1:
            p = p * 4
        elif len(p) == 2:
            p = [p[0], p[1], p[0], p[1]]
    else:
        raise ValueError(f"{op}: padding must be an int or a sequence of 1, 2 or 4 "
                         f"ints, got {padding!r}")
    return p


_NP_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
             "symmetric": "symmetric"}


def pad(chw, kind, padding, fill=0, padding_mode="constant"):
    """Pad the image (negative padding crops)."""
    if padding_mode not in _NP_MODES:
        raise ValueError(f"pad: padding_mode should be constant, edge, reflect or "
                         f"symmetric, got {padding_mode!r}")
    left, top, right, bottom = parse_padding(padding)
    H, W = chw.shape[-2:]
    if padding_mode == "constant":
        h, w = H + top + bottom, W + left + right
        if h <= 0 or w <= 0:
            raise ValueError(f"pad: padding {padding} leaves an empty image")
        f = I.fill_array(fill, chw.shape[-3], chw.dtype, "pad")
        return padded_crop(chw, kind, -top, -left, h, w, f)
    pads = [(0, 0)] * (chw.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                         (max(left, 0), max(right, 0))]
    if padding_mode == "reflect" and (max(top, bottom) >= H or max(left, right) >= W):
        raise ValueError(f"pad: reflect padding {padding} must be smaller than the "
                         f"image size {H}x{W}")
    out = np.pad(chw, pads, mode=_NP_MODES[padding_mode])
    ct, cl = max(-top, 0), max(-left, 0)
    cb, cr = out.shape[-2] - max(-bottom, 0), out.shape[-1] - max(-right, 0)
    return I.store(out[..., ct:cb, cl:cr], kind)


# ---------------------------------------------------------------------------- resize
def resize_output_size(H, W, size, max_size=None):
    """torchvision's rule: an int matches the shorter edge, keeping the aspect."""
    if isinstance(size, (list, tuple)) and len(size) == 2:
        if max_size is not None:
            raise ValueError("resize: max_size is only supported when size is a single "
                             "int")
        return int(size[0]), int(size[1])
    s = int(size[0]) if isinstance(size, (list, tuple)) else (None if size is None
                                                              else int(size))
    short, long = (H, W) if H <= W else (W, H)
    if s is None:
        if max_size is None:
            raise ValueError("resize: size=None needs max_size")
        new_long, new_short = int(max_size), int(max_size * short / long)
    else:
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"resize: max_size = {max_size} must be strictly "
                                 f"greater than the requested size {s}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if H <= W else (new_long, new_short)


def _linear_weights(n_in, n_out, antialias):
    """(n_out, n_in) matrix of the bilinear / triangle (antialiased) filter."""
    scale = n_in / n_out
    if antialias and scale > 1.0:
        support, inv = scale, 1.0 / scale
    else:
        support, inv = 1.0, 1.0
    centers = scale * (np.arange(n_out) + 0.5)
    j = np.arange(n_in)
    if not (antialias and scale > 1.0):
        src = np.maximum(centers - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = src - i0
        wts = np.zeros((n_out, n_in))
        r = np.arange(n_out)
        np.add.at(wts, (r, i0), 1.0 - lam)
        np.add.at(wts, (r, i1), lam)
        return wts
    x = (j[None, :] + 0.5 - centers[:, None]) * inv
    wts = np.maximum(0.0, 1.0 - np.abs(x))
    # pixels outside [center - support, center + support) do not take part
    lo = np.maximum((centers - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((centers + support + 0.5).astype(np.int64), n_in)
    inside = (j[None, :] >= lo[:, None]) & (j[None, :] < hi[:, None])
    wts = wts * inside
    return wts / wts.sum(axis=1, keepdims=True)


def _nearest_index(n_in, n_out, exact):
    scale = np.float32(n_in / n_out)
    d = np.arange(n_out, dtype=np.float32)
    if exact:
        d = d + np.float32(0.5)
    return np.minimum(np.floor(d * scale).astype(np.int64), n_in - 1)


def resize(chw, kind, size, interpolation="bilinear", max_size=None, antialias=True):
    """Resize to ``size`` (see :func:`resize_output_size`)."""
    mode = I.interp_mode(interpolation, "resize")
    H, W = chw.shape[-2:]
    oh, ow = resize_output_size(H, W, size, max_size)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"resize: output size {oh}x{ow} must be positive")
    if (oh, ow) == (H, W):
        return I.store(chw, kind)
    if mode in ("nearest", "nearest-exact"):
        ex = mode == "nearest-exact"
        iy, ix = _nearest_index(H, oh, ex), _nearest_index(W, ow, ex)
        return I.store(chw[..., iy[:, None], ix[None, :]], kind)
    if mode != "bilinear":
        raise ValueError(f"resize: interpolation {mode!r} is not supported by ember "
                         "(use nearest or bilinear)")
    x = I.to_float(chw)
    wy = _linear_weights(H, oh, antialias).astype(x.dtype)
    wx = _linear_weights(W, ow, antialias).astype(x.dtype)
    out = wy @ (x @ wx.T)
    return I.store(I.cast_back(out, chw.dtype), kind)


# ----------------------------------------------------------------- affine / rotation
def inverse_affine_matrix(center, angle, translate, scale, shear):
    """2x3 map from output to input coordinates, both relative to the image centre.

    The forward map is: shear, rotate by ``angle`` degrees (clockwise on screen, as
    torchvision's ``affine``), scale, about ``center``, then translate.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # the 2x2 part has determinant 1, so its inverse is [[d, -b], [-c, a]]
    m = np.array([[d, -b], [-c, a]]) / scale
    off = np.array([cx, cy]) - m @ np.array([cx + tx, cy + ty])
    return np.concatenate([m, off[:, None]], axis=1)


def _expanded_size(theta, H, W):
    """(h, w) of the box holding the whole transformed image (``expand=True``)."""
    corners = np.array([[-0.5 * W, -0.5 * H], [-0.5 * W, 0.5 * H],
                        [0.5 * W, 0.5 * H], [0.5 * W, -0.5 * H]])
    pts = corners @ theta[:, :2].T + theta[:, 2] + np.array([0.5 * W, 0.5 * H])
    # round off noise (cos 90 = 6e-17) to 1e-4 before ceil/floor
    lo = np.floor(np.round(pts.min(0), 4))
    hi = np.ceil(np.round(pts.max(0), 4))
    size = hi - lo
    return int(size[1]), int(size[0])


def warp(chw, kind, theta, interpolation, fill, out_hw=None):
    """Sample the image at ``theta @ (output pixel centre)`` (centred coordinates)."""
    mode = I.interp_mode(interpolation, "affine")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"affine/rotate: interpolation must be nearest or bilinear, "
                         f"got {mode!r}")
    H, W = chw.shape[-2:]
    oh, ow = out_hw if out_hw is not None else (H, W)
    ys = np.arange(oh) - (oh - 1) / 2.0
    xs = np.arange(ow) - (ow - 1) / 2.0
    sx = theta[0, 0] * xs[None, :] + theta[0, 1] * ys[:, None] + theta[0, 2] + (W - 1) / 2.0
    sy = theta[1, 0] * xs[None, :] + theta[1, 1] * ys[:, None] + theta[1, 2] + (H - 1) / 2.0
    x = I.to_float(chw)
    lead = x.shape[:-2]
    flat = x.reshape((-1, H, W))
    padded = np.zeros((flat.shape[0], H + 2, W + 2), dtype=x.dtype)
    padded[:, 1:-1, 1:-1] = flat
    if mode == "nearest":
        ix, iy = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
        valid = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
        out = padded[:, np.clip(iy, -1, H) + 1, np.clip(ix, -1, W) + 1]
        mask = valid.astype(x.dtype)
    else:
        x0, y0 = np.floor(sx), np.floor(sy)
        fx, fy = (sx - x0).astype(x.dtype), (sy - y0).astype(x.dtype)
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        out = np.zeros((flat.shape[0], oh, ow), dtype=x.dtype)
        mask = np.zeros((oh, ow), dtype=x.dtype)
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                yy, xx = y0 + dy, x0 + dx
                wgt = wy * wx
                out += wgt * padded[:, np.clip(yy, -1, H) + 1, np.clip(xx, -1, W) + 1]
                mask += wgt * ((xx >= 0) & (xx < W) & (yy >= 0) & (yy < H))
    out = out.reshape(lead + (oh, ow))
    if fill is not None:
        f = I.fill_array(fill, chw.shape[-3], np.float64, "affine").astype(x.dtype)
        if mode == "nearest":
            out = np.where(mask < 0.5, f, out)
        else:
            out = out * mask + (1 - mask) * f
    return I.store(I.cast_back(out, chw.dtype), kind)


def rotate(chw, kind, angle, interpolation="nearest", expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about the centre (or ``center``,
    in pixel coordinates)."""
    H, W = chw.shape[-2:]
    c = [0.0, 0.0] if center is None else [center[0] - W * 0.5, center[1] - H * 0.5]
    theta = inverse_affine_matrix(c, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_hw = _expanded_size(theta, H, W) if expand else None
    return warp(chw, kind, theta, interpolation, fill, out_hw)


def affine(chw, kind, angle, translate, scale, shear, interpolation="nearest",
           fill=None, center=None):
    """Affine map: rotation by ``angle`` (clockwise, as torchvision), translation in
    pixels, scale, shear in degrees (a number or (x, y))."""
    H, W = chw.shape[-2:]
    if isinstance(shear, (int, float)):
        shear = [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if scale <= 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    c = [0.0, 0.0] if center is None else [center[0] - W * 0.5, center[1] - H * 0.5]
    theta = inverse_affine_matrix(c, angle, [float(t) for t in translate], scale, shear)
    return warp(chw, kind, theta, interpolation, fill)
