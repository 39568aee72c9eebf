"""Pixel/channel rearrangements, affine sampling grids and ``conv_tbc`` (``torch.nn.functional``).

All are compositions of reshape/permute/matmul/conv ops, so they differentiate through
those ops' gradients.
"""
import ember

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "affine_grid", "conv_tbc"]


def pixel_shuffle(input, upscale_factor):
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``: moves channel blocks into space (sub-pixel conv)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by "
                           f"the square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``, the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height ({h}) and width ({w}) to be divisible by "
                           f"downscale_factor ({r})")
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """``(N, C, *)``: interleave the channels of ``groups`` groups (ShuffleNet)."""
    g = int(groups)
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    n, c, *rest = input.shape
    if g <= 0 or c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and "
                           f"{g} groups.")
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


def _base(steps, align_corners, like):
    if align_corners:
        return ember.linspace(-1, 1, steps, dtype=like.dtype) if steps > 1 else ember.zeros(1, dtype=like.dtype)
    return (ember.arange(steps, dtype=like.dtype) * 2 + 1) / steps - 1


def affine_grid(theta, size, align_corners=None):
    """Sampling grid of an affine transform: ``theta`` ``(N, 2, 3)`` and ``size`` ``(N, C, H, W)``
    give ``(N, H, W, 2)`` (x, y) coordinates in [-1, 1]; ``(N, 3, 4)`` and ``(N, C, D, H, W)``
    give ``(N, D, H, W, 3)``. ``align_corners`` defaults to False, as in PyTorch."""
    align = bool(align_corners)
    size = tuple(size)
    if len(size) == 4:
        if tuple(theta.shape[1:]) != (2, 3) or theta.shape[0] != size[0]:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {tuple(theta.shape)}.")
        n, _, h, w = size
        ys, xs = _base(h, align, theta), _base(w, align, theta)
        grid = ember.stack([xs.unsqueeze(0).expand(h, w), ys.unsqueeze(1).expand(h, w),
                            ember.ones(h, w, dtype=theta.dtype)], -1)
        return (grid.reshape(1, h * w, 3) @ theta.transpose(1, 2)).reshape(n, h, w, 2)
    if len(size) == 5:
        if tuple(theta.shape[1:]) != (3, 4) or theta.shape[0] != size[0]:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {tuple(theta.shape)}.")
        n, _, d, h, w = size
        zs, ys, xs = _base(d, align, theta), _base(h, align, theta), _base(w, align, theta)
        shape = (d, h, w)
        grid = ember.stack([xs.reshape(1, 1, w).expand(*shape), ys.reshape(1, h, 1).expand(*shape),
                            zs.reshape(d, 1, 1).expand(*shape), ember.ones(*shape, dtype=theta.dtype)], -1)
        return (grid.reshape(1, d * h * w, 4) @ theta.transpose(1, 2)).reshape(n, d, h, w, 3)
    raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                              f"transforms, respectively. Got size {size}.")


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution in time-batch-channel layout: ``input`` ``(T, B, C_in)``, ``weight``
    ``(K, C_in, C_out)``, ``bias`` ``(C_out)`` -> ``(T + 2 pad - K + 1, B, C_out)``."""
    from .conv import conv1d
    if input.ndim != 3 or weight.ndim != 3:
        raise RuntimeError(f"conv_tbc: expected 3-D input (T, B, C) and weight (K, C_in, C_out), got "
                           f"{tuple(input.shape)} and {tuple(weight.shape)}")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)
