"""Core activations, also Tensor methods: relu, sigmoid, tanh, softmax, log_softmax
(numerically stable: the max is subtracted before exponentiating)."""
import numpy as np

from ..autograd.op import Op
from ..tensor import Tensor
from ._args import wrap_dim as _wrap_dim, not_implemented_for
from ._generic import sum_keepdim, exp as _exp
from ._out import with_out
from . import _activation_loops, _im2col
from ._im2col import parallel_elementwise
from ..backend import _jit

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax"]


def _on_cuda(a):
    """True for a CUDA array (the fused-kernel path); NumPy arrays and scalars are not."""
    from ..backend import get_array_module
    return get_array_module(a) is not np


def _fused(name):
    from ..backend._fused import kernel
    return kernel(name)


def _positive(y, dtype):
    """The 0/1 mask of ``y > 0`` as ``dtype``: relu's derivative."""
    return (y > 0).astype(dtype)


def _sigmoid_grad(g, y):
    """sigmoid's derivative applied: the kernel of SigmoidBackward and the raw backward."""
    return g * (y * (1 - y))


def _tanh_grad(g, y):
    """tanh's derivative applied: the kernel of TanhBackward and the raw backward."""
    return g * (1 - y * y)


def _relu_into(xp):
    return lambda x, out: xp.maximum(x, 0, out=out)


def _relu_grad_into(xp, g, y):
    # one compiled pass when the numba extra is there (ember/ops/_activation_loops.py);
    # else, on one cache-sized part (parallel_elementwise), the bool mask multiplied in
    # directly beats a float mask made first (318 against 416 us on 512K float32; the float
    # mask wins only on whole arrays that spill the cache), with the same bits
    loops = _jit.loops_for(_activation_loops, g, y)
    if loops is not None:
        return lambda g, y, out: loops.relu_grad(g.reshape(-1), y.reshape(-1), out.reshape(-1))
    return lambda g, y, out: xp.multiply(g, y > 0, out=out)


class Relu(Op):
    def forward(self, x):
        xp = self.xp
        # big arrays split over ember's threads; below two parts (fixed_parts) they never
        # split, and skip the planning (~3 us a call on 100 elements)
        if type(x) is np.ndarray and x.size >= 2 * _im2col.PART_ELEMENTS:
            y = parallel_elementwise(xp, _relu_into(xp), xp.empty_like(x), x)
        else:
            y = xp.maximum(x, 0)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * Tensor._wrap(_positive(y._data, grad._data.dtype))

    def backward_raw(self, grad):
        (y,) = self.saved_arrays
        if grad.__class__ is not np.ndarray and _on_cuda(grad):  # CUDA: one fused kernel
            return _fused("relu_grad")(grad, y)
        if type(grad) is np.ndarray and type(y) is np.ndarray and grad.shape == y.shape \
                and grad.size >= 2 * _im2col.PART_ELEMENTS:
            xp = self.xp
            return parallel_elementwise(xp, _relu_grad_into(xp, grad, y), xp.empty_like(grad),
                                        grad, y)
        return grad * _positive(y, grad.dtype)


class Sigmoid(Op):
    def forward(self, x):
        xp = self.xp
        # split by sign so exp never overflows
        e = xp.exp(-xp.abs(x))
        y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return SigmoidBackward.apply(grad, y)

    def backward_raw(self, grad):
        (y,) = self.saved_arrays
        if grad.__class__ is not np.ndarray and _on_cuda(grad):  # CUDA: one fused kernel
            return _fused("sigmoid_grad")(grad, y)
        return _sigmoid_grad(grad, y)


class SigmoidBackward(Op):
    """grad * y * (1 - y) as one op (its own backward makes double backward work)."""

    def forward(self, g, y):
        self.save_for_backward(g, y)
        return _sigmoid_grad(g, y)

    def backward(self, gg):
        g, y = self.saved_tensors
        ng, ny = self.needs_input_grad
        return (gg * y * (1 - y) if ng else None,
                gg * g * (1 - 2 * y) if ny else None)


class Tanh(Op):
    def forward(self, x):
        y = self.xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return TanhBackward.apply(grad, y)

    def backward_raw(self, grad):
        (y,) = self.saved_arrays
        if grad.__class__ is not np.ndarray and _on_cuda(grad):  # CUDA: one fused kernel
            return _fused("tanh_grad")(grad, y)
        return _tanh_grad(grad, y)


class TanhBackward(Op):
    """grad * (1 - y^2) as one op (its own backward makes double backward work)."""

    def forward(self, g, y):
        self.save_for_backward(g, y)
        return _tanh_grad(g, y)

    def backward(self, gg):
        g, y = self.saved_tensors
        ng, ny = self.needs_input_grad
        return (gg * (1 - y * y) if ng else None,
                gg * g * y * -2.0 if ny else None)


class Softmax(Op):
    def forward(self, x):
        ax = self.axis
        e = self.xp.exp(x - x.max(axis=ax, keepdims=True))
        e /= e.sum(axis=ax, keepdims=True)
        self.save_for_backward(e)
        return e

    def derivative(self, grad, y):
        gy = grad * y
        return gy - y * sum_keepdim(gy, self.axis)


class LogSoftmax(Op):
    def forward(self, x):
        ax = self.axis
        s = x - x.max(axis=ax, keepdims=True)
        s -= self.xp.log(self.xp.exp(s).sum(axis=ax, keepdims=True))
        self.save_for_backward(s)
        return s

    def derivative(self, grad, y):
        return grad - _exp(y) * sum_keepdim(grad, self.axis)


def _float(x):
    return x if x._data.dtype.kind == "f" else x.float()


def relu(input):
    """max(x, 0)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("relu: Boolean inputs not supported for relu")
    return Relu.apply(input)


@with_out
def sigmoid(input):
    """1 / (1 + exp(-x)), stable for large |x|."""
    return Sigmoid.apply(_float(input))


@with_out
def tanh(input):
    return Tanh.apply(_float(input))


def _softmax_args(input, dim, dtype, op):
    """The input (cast to ``dtype``) and the axis; None for an input with nothing to
    normalise (empty or 0-d), which PyTorch returns as it is."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:  # PyTorch's legacy implicit dim
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    axis = _wrap_dim(dim, input._data.ndim, op)
    if input._data.size == 0:
        return input, None
    not_implemented_for(op, input, "biu")  # integer inputs need an explicit float `dtype=`
    return input, (axis if input._data.ndim else None)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
    input, axis = _softmax_args(input, dim, dtype, "softmax")
    if axis is None:
        return input.clone() if input._data.size == 0 else Softmax.apply(input.reshape(1), axis=0).reshape(())
    return Softmax.apply(input, axis=axis)


def log_softmax(input, dim=None, dtype=None):
    """x - logsumexp(x) along ``dim``, computed stably."""
    input, axis = _softmax_args(input, dim, dtype, "log_softmax")
    if axis is None:
        return input.clone() if input._data.size == 0 else LogSoftmax.apply(input.reshape(1), axis=0).reshape(())
    return LogSoftmax.apply(input, axis=axis)
