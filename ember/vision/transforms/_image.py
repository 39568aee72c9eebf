"""Image plumbing shared by the transforms: accepted inputs and their layouts.

Transforms accept
- NumPy arrays ``H x W`` or ``H x W x C`` (any dtype; uint8 is the usual one), and
  anything exposing ``__array_interface__`` (a Pillow image, for example), returned
  as NumPy arrays in the same layout;
- ember Tensors ``(..., C, H, W)`` or ``(H, W)``, returned as Tensors.

Internally every op works on a channels-first NumPy view ``(..., C, H, W)`` of the
input (a transposed view of an HWC array: no copy), and writes its result back in
the input's layout.
"""
import enum
import numbers

import numpy as np

import ember

HW, HWC, TENSOR, TENSOR2D = "hw", "hwc", "tensor", "tensor2d"


class InterpolationMode(enum.Enum):
    """Interpolation modes, as ``torchvision.transforms.InterpolationMode``."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def interp_mode(mode, op):
    if isinstance(mode, InterpolationMode):
        return mode.value
    if isinstance(mode, str) and mode in {m.value for m in InterpolationMode}:
        return mode
    raise ValueError(f"{op}: unsupported interpolation {mode!r}; use one of "
                     + ", ".join(m.value for m in InterpolationMode))


def is_tensor(img):
    return isinstance(img, ember.Tensor)


def load(img, op):
    """(chw array view, kind) for an accepted image; TypeError/ValueError otherwise."""
    if isinstance(img, ember.Tensor):
        arr = img._data
        if not isinstance(arr, np.ndarray):
            arr = img.numpy()
        if arr.ndim == 2:
            return arr[None], TENSOR2D
        if arr.ndim < 2:
            raise ValueError(f"{op}: expected a tensor of shape (..., C, H, W), got "
                             f"shape {tuple(arr.shape)}")
        return arr, TENSOR
    if not isinstance(img, np.ndarray):
        if hasattr(img, "__array_interface__") or hasattr(img, "__array__"):
            img = np.asarray(img)
        else:
            raise TypeError(f"{op}: expected a NumPy array (H x W or H x W x C) or an "
                            f"ember Tensor (C x H x W), got {type(img).__name__}")
    if img.ndim == 2:
        return img[None], HW
    if img.ndim == 3:
        return img.transpose(2, 0, 1), HWC
    raise ValueError(f"{op}: expected a NumPy image of shape H x W or H x W x C, got "
                     f"shape {img.shape}")


def store(chw, kind):
    """The result in the input's layout (NumPy arrays come back C-contiguous)."""
    if kind == TENSOR:
        return ember.Tensor._wrap(np.ascontiguousarray(chw))
    if kind == TENSOR2D:
        return ember.Tensor._wrap(np.ascontiguousarray(chw[0]))
    if kind == HW:
        return np.ascontiguousarray(chw[0])
    return np.ascontiguousarray(chw.transpose(1, 2, 0))


def empty(kind, lead, h, w, dtype):
    """A new array in the layout of ``kind`` and its chw view (for writing into)."""
    if kind == HWC:
        out = np.empty((h, w) + tuple(lead), dtype=dtype)
        return out.transpose(2, 0, 1)
    return np.empty(tuple(lead) + (h, w), dtype=dtype)


def size_hw(img_chw):
    return img_chw.shape[-2], img_chw.shape[-1]


def get_dimensions(img):
    """``[channels, height, width]`` of an image, as torchvision's."""
    chw, kind = load(img, "get_dimensions")
    return [chw.shape[-3], chw.shape[-2], chw.shape[-1]]


def get_image_size(img):
    """``[width, height]`` of an image, as torchvision's."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def setup_size(size, op):
    """(h, w) from an int or a sequence of 1 or 2 ints."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{op}: size should be an int or a sequence of 1 or 2 ints, got "
                     f"{size!r}")


def fill_array(fill, channels, dtype, op):
    """``fill`` (number or per-channel sequence) as a (C, 1, 1) array of ``dtype``."""
    if fill is None:
        fill = 0
    dtype = np.dtype(dtype)
    if isinstance(fill, numbers.Number):
        f = np.full(channels, float(fill))
    else:
        f = np.asarray(fill, dtype=np.float64).reshape(-1)
        if f.size == 1:
            f = np.repeat(f, channels)
        elif f.size != channels:
            raise ValueError(f"{op}: fill has {f.size} values but the image has "
                             f"{channels} channels")
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        f = np.clip(np.round(f), info.min, info.max)
    return f.astype(dtype).reshape(channels, 1, 1)


def full(kind, lead, h, w, dtype, fill):
    """Like :func:`empty`, filled with ``fill`` (a (C, 1, 1) array), written in the
    array's own memory order (a broadcast write through a transposed view is slow)."""
    flat = fill.reshape(-1)
    uniform = bool((flat == flat[0]).all())
    if kind == HWC:
        base = np.empty((h, w) + tuple(lead), dtype=dtype)
        if uniform:
            base.fill(flat[0])
        else:
            base[...] = flat
        return base.transpose(2, 0, 1)
    out = np.empty(tuple(lead) + (h, w), dtype=dtype)
    if uniform:
        out.fill(flat[0])
    else:
        out[...] = fill
    return out


def to_float(chw):
    """A floating copy for arithmetic: float32 for integer images, else same dtype."""
    if chw.dtype.kind == "f":
        return chw
    return chw.astype(np.float32)


def cast_back(result, dtype):
    """Round-and-clip back to an integer dtype (torchvision's tensor path rounds)."""
    if np.dtype(dtype).kind in "ui":
        info = np.iinfo(dtype)
        result = np.clip(np.round(result), info.min, info.max)
        return result.astype(dtype)
    return result.astype(dtype, copy=False)


def rng():
    return ember.random.get_numpy_rng(None)
