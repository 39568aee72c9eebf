"""``unfold`` (im2col: sliding blocks to columns) and ``fold`` (col2im: columns summed back
into an image), PyTorch's ``F.unfold`` / ``F.fold``. Each is the other's adjoint, so each
one's backward is the other."""
import math

from ..autograd.op import Op
from ._im2col import ntuple, conv_out_size, pad_spatial, crop_spatial, im2col, col2im

__all__ = ["unfold", "fold"]


class _Unfold(Op):
    """(N, C, H, W) -> (N, C*kh*kw, L). Params: k, d, p, s."""

    def forward(self, x):
        xp = self.xp
        n, c = x.shape[:2]
        self.size = x.shape[2:]
        osize = tuple(conv_out_size(sz, k, s, p, p, d) for sz, k, s, p, d
                      in zip(self.size, self.k, self.s, self.p, self.d))
        col = im2col(xp, pad_spatial(xp, x, self.p, self.p), self.k, osize, self.s, self.d)
        col = col.reshape(c * math.prod(self.k), n, -1)
        return xp.ascontiguousarray(col.swapaxes(0, 1))

    def backward(self, g):
        return _Fold.apply(g, size=self.size, k=self.k, d=self.d, p=self.p, s=self.s)

    def name(self):
        return "Im2ColBackward0"


class _Fold(Op):
    """(N, C*kh*kw, L) -> (N, C, *size). Params: size, k, d, p, s."""

    def forward(self, g):
        xp = self.xp
        n, ck, _ = g.shape
        c = ck // math.prod(self.k)
        osize = tuple(conv_out_size(sz, k, s, p, p, d) for sz, k, s, p, d
                      in zip(self.size, self.k, self.s, self.p, self.d))
        col = xp.ascontiguousarray(g.swapaxes(0, 1)).reshape((c,) + self.k + (n,) + osize)
        pshape = (n, c) + tuple(sz + 2 * p for sz, p in zip(self.size, self.p))
        out = col2im(xp, col, pshape, self.k, osize, self.s, self.d)
        return xp.ascontiguousarray(crop_spatial(out, self.p, self.size))

    def backward(self, gg):
        return _Unfold.apply(gg, k=self.k, d=self.d, p=self.p, s=self.s)

    def name(self):
        return "Col2ImBackward0"


def _args(op, kernel_size, dilation, padding, stride):
    k = ntuple(kernel_size, 2, "kernel_size", op)
    d = ntuple(dilation, 2, "dilation", op)
    p = ntuple(padding, 2, "padding", op)
    s = ntuple(stride, 2, "stride", op)
    if any(v < 1 for v in k + d + s) or any(v < 0 for v in p):
        raise ValueError(f"{op}: kernel_size, dilation and stride must be positive and padding "
                         f"non-negative, got kernel_size={k}, dilation={d}, padding={p}, "
                         f"stride={s}")
    return k, d, p, s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding local blocks: ``(N, C, H, W)`` -> ``(N, C*kh*kw, L)`` where L is the
    number of block positions (im2col).

    Example:
        >>> F.unfold(ember.randn(2, 3, 8, 8), 3, padding=1).shape   # (2, 27, 64)
    """
    op = "unfold"
    k, d, p, s = _args(op, kernel_size, dilation, padding, stride)
    unb = input.ndim == 3
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    x = input.unsqueeze(0) if unb else input
    osize = tuple(conv_out_size(sz, kv, sv, pv, pv, dv) for sz, kv, sv, pv, dv
                  in zip(x.shape[2:], k, s, p, d))
    if any(o < 1 for o in osize):
        raise RuntimeError(f"{op}: kernel {k} (dilation {d}) does not fit the padded input of "
                           f"shape {tuple(x.shape)} (padding {p})")
    y = _Unfold.apply(x, k=k, d=d, p=p, s=s)
    return y.squeeze(0) if unb else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combines sliding local blocks into an image, summing overlaps (col2im):
    ``(N, C*kh*kw, L)`` -> ``(N, C, *output_size)``.

    Example:
        >>> x = ember.randn(2, 3, 8, 8)
        >>> F.fold(F.unfold(x, 2, stride=2), (8, 8), 2, stride=2)   # == x
    """
    op = "fold"
    k, d, p, s = _args(op, kernel_size, dilation, padding, stride)
    size = ntuple(output_size, 2, "output_size", op)
    unb = input.ndim == 2
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D or 3-D input, got shape {tuple(input.shape)}")
    g = input.unsqueeze(0) if unb else input
    kp = math.prod(k)
    osize = tuple(conv_out_size(sz, kv, sv, pv, pv, dv) for sz, kv, sv, pv, dv
                  in zip(size, k, s, p, d))
    if g.shape[1] % kp or g.shape[2] != math.prod(osize):
        raise RuntimeError(f"{op}: expected input of shape (N, C*{kp}, {math.prod(osize)}) for "
                           f"output_size={size}, kernel_size={k}, got {tuple(input.shape)}")
    y = _Fold.apply(g, size=size, k=k, d=d, p=p, s=s)
    return y.squeeze(0) if unb else y
