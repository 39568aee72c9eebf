"""Core activations, also Tensor methods: relu, sigmoid, tanh, softmax, log_softmax
(numerically stable: the max is subtracted before exponentiating)."""
import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax"]


class Relu(Function):
    def forward(self, x):
        y = np.maximum(x, 0, dtype=x.dtype) if type(x) is np.ndarray else self.xp.maximum(x, 0)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * Tensor._wrap((y._data > 0).astype(grad._data.dtype))


class Sigmoid(Function):
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


class SigmoidBackward(Function):
    """grad * y * (1 - y) as one op (its own backward makes double backward work)."""

    def forward(self, g, y):
        self.save_for_backward(g, y)
        return g * (y * (1 - y))

    def backward(self, gg):
        g, y = self.saved_tensors
        ng, ny = self.needs_input_grad
        return (gg * y * (1 - y) if ng else None,
                gg * g * (1 - 2 * y) if ny else None)


class Tanh(Function):
    def forward(self, x):
        y = self.xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return TanhBackward.apply(grad, y)


class TanhBackward(Function):
    """grad * (1 - y^2) as one op (its own backward makes double backward work)."""

    def forward(self, g, y):
        self.save_for_backward(g, y)
        return g * (1 - y * y)

    def backward(self, gg):
        g, y = self.saved_tensors
        ng, ny = self.needs_input_grad
        return (gg * (1 - y * y) if ng else None,
                gg * g * y * -2.0 if ny else None)


class Softmax(Function):
    def forward(self, x):
        ax = self.axis
        e = self.xp.exp(x - x.max(axis=ax, keepdims=True))
        e /= e.sum(axis=ax, keepdims=True)
        self.save_for_backward(e)
        return e

    def backward(self, grad):
        (y,) = self.saved_tensors
        gy = grad * y
        return gy - y * gy.sum(self.axis, keepdim=True)


class LogSoftmax(Function):
    def forward(self, x):
        ax = self.axis
        s = x - x.max(axis=ax, keepdims=True)
        s -= self.xp.log(self.xp.exp(s).sum(axis=ax, keepdims=True))
        self.save_for_backward(s)
        return s

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad - y.exp() * grad.sum(self.axis, keepdim=True)


def _float(x):
    return x if x._data.dtype.kind == "f" else x.float()


def relu(input):
    """max(x, 0)."""
    return Relu.apply(input)


def sigmoid(input):
    """1 / (1 + exp(-x)), stable for large |x|."""
    return Sigmoid.apply(_float(input))


def tanh(input):
    return Tanh.apply(_float(input))


def _softmax_dim(input, dim, op):
    if dim is None:  # PyTorch's legacy implicit dim
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    return _wrap_dim(dim, input._data.ndim, op)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(_float(input), axis=_softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):
    """x - logsumexp(x) along ``dim``, computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(_float(input), axis=_softmax_dim(input, dim, "log_softmax"))
