"""``ember.vision.utils``: torchvision's ``make_grid`` and ``save_image``.

``make_grid`` tiles a batch of images into one image with ``padding`` pixels of
``pad_value`` between them (``nrow`` images per row); ``save_image`` writes that grid
as a PNG (or any format Pillow knows) after torchvision's conversion
``uint8(clamp(x * 255 + 0.5, 0, 255))``, so the same float tensor gives the same file.
"""
import math

import numpy as np

import ember

__all__ = ["make_grid", "save_image"]


def _norm_range(t, value_range):
    low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
    t = t.clamp(min=low, max=high)
    return (t - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Arrange a batch of images in a grid (torchvision's ``make_grid``).

    Args:
        tensor (Tensor or list of Tensors): ``(B, C, H, W)`` images, a list of ``(C, H, W)``
            images of one size, or a single ``(C, H, W)`` / ``(H, W)`` image.
            One-channel images are repeated to three channels.
        nrow (int): images per row. padding (int): pixels between images and at the border.
        normalize (bool): shift and scale to [0, 1] by ``value_range`` (default: the
            tensor's min and max; with ``scale_each`` each image's own).
        pad_value (float): value of the padding pixels.

    Returns:
        Tensor: ``(C, rows * (H + padding) + padding, cols * (W + padding) + padding)``.

    Example:
        >>> grid = make_grid(images[:16], nrow=4, normalize=True)
    """
    if isinstance(tensor, (list, tuple)):
        tensor = ember.stack(list(tensor), 0)
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"tensor should be of type ember.Tensor, got {type(tensor).__name__}")
    tensor = tensor.detach()
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 3:
        if tensor.shape[0] == 1:
            tensor = ember.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.ndim != 4:
        raise ValueError(f"make_grid: expected a 2-D, 3-D or 4-D tensor, got shape {tuple(tensor.shape)}")
    if tensor.shape[1] == 1:
        tensor = ember.cat((tensor, tensor, tensor), 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        if scale_each:
            tensor = ember.stack([_norm_range(t, value_range) for t in tensor], 0)
        else:
            tensor = _norm_range(tensor, value_range)
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps = tensor.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = tensor.shape[2] + padding, tensor.shape[3] + padding
    grid = np.full((tensor.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=tensor.numpy().dtype)
    arr = tensor.numpy()
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = arr[k]
    return ember.from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a batch, tiled by :func:`make_grid` with ``kwargs``) as an image file.

    Values are expected in [0, 1] and written as ``uint8(clamp(x * 255 + 0.5, 0, 255))``,
    as torchvision does. Needs Pillow (``pip install pillow``).

    Args:
        tensor (Tensor or list): the image(s).
        fp (str, os.PathLike or file object): where to write.
        format (str, optional): image format; default from the file name's extension.
        **kwargs: passed to :func:`make_grid` (``nrow``, ``padding``, ``normalize``, ...).

    Example:
        >>> save_image(fake_images, "samples.png", nrow=8, normalize=True)
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image needs Pillow: pip install pillow") from None
    grid = make_grid(tensor, **kwargs)
    pixels = (grid * 255 + 0.5).clamp(0, 255).permute(1, 2, 0).numpy()
    # torchvision converts float -> uint8 by truncation (values are in [0.5, 255.5] here)
    Image.fromarray(pixels.astype(np.uint8)).save(fp, format=format)
