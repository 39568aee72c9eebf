"""Activation functions (``ember.nn.functional``), PyTorch's names and arguments.

Each is a single fused op (see ``ember/ops/nn_activation.py``) whose backward is one
multiply by the derivative. ``inplace=True`` writes the result into the input through
ember's one in-place mechanism (``ember.ops.inplace``), under autograd too, as PyTorch.
"""
import warnings

from ...ops import nn_activation as _A
from ._inplace import maybe_inplace

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
           "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "gelu", "silu", "mish", "sigmoid", "tanh", "hardsigmoid", "hardswish",
           "softplus", "softsign", "softmax", "softmin", "log_softmax", "logsigmoid",
           "tanhshrink", "hardshrink", "softshrink", "glu", "maxout", "rrelu", "rrelu_",
           "gumbel_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _relu(x):
    return x.relu()


def threshold(input, threshold, value, inplace=False):
    """``y = x if x > threshold else value``.

    Example:
        >>> F.threshold(ember.tensor([-1.0, 0.5, 2.0]), 1.0, 0.0)
        tensor([0., 0., 2.])
    """
    return maybe_inplace(input, inplace, _A.threshold, threshold, value)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return globals()["threshold"](input, threshold, value, inplace=True)


def relu(input, inplace=False):
    """``max(0, x)`` elementwise. Shape: any.

    Example:
        >>> F.relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return maybe_inplace(input, inplace, _relu)


def relu_(input):
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to ``[min_val, max_val]`` (gradient 1 strictly inside, 0 outside)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return maybe_inplace(input, inplace, _A.hardtanh, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x if x > 0 else negative_slope * x``."""
    return maybe_inplace(input, inplace, _A.leaky_relu, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """``x if x > 0 else a * x`` with a learnable ``weight`` ``a`` of 1 or C entries
    (applied along dim 1, the channels; a 1-D input counts as one channel)."""
    return _A.prelu(input, weight)


def elu(input, alpha=1.0, inplace=False):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    return maybe_inplace(input, inplace, _A.elu, alpha)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with SELU's constants (alpha 1.6733, scale 1.0507)."""
    return maybe_inplace(input, inplace, _A.elu, _SELU_ALPHA, _SELU_SCALE)


def selu_(input):
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise ValueError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return maybe_inplace(input, inplace, _A.elu, alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    """Gaussian error linear unit ``x * Phi(x)``.

    Args:
        approximate (str): ``'none'`` (exact, with erf) or ``'tanh'``
            (``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``).
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _A.gelu(input, approximate)


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (also called swish)."""
    return maybe_inplace(input, inplace, _A.silu)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return maybe_inplace(input, inplace, _A.mish)


def sigmoid(input):
    """``1 / (1 + exp(-x))``."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent."""
    return input.tanh()


def hardsigmoid(input, inplace=False):
    """``clamp(x / 6 + 1/2, 0, 1)``."""
    return maybe_inplace(input, inplace, _A.hardsigmoid)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    return maybe_inplace(input, inplace, _A.hardswish)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    return _A.softplus(input, beta, threshold)


def softsign(input):
    """``x / (1 + |x|)``."""
    return _A.softsign(input)


def logsigmoid(input):
    """``log(sigmoid(x))``, computed stably."""
    return _A.logsigmoid(input)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return _A.tanhshrink(input)


def hardshrink(input, lambd=0.5):
    """``x if |x| > lambd else 0``."""
    return _A.hardshrink(input, lambd)


def softshrink(input, lambd=0.5):
    """``x - lambd if x > lambd; x + lambd if x < -lambd; else 0``."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}.")
    return _A.softshrink(input, lambd)


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``.

    Args:
        dim (int): the dimension to normalise (give it: the implicit choice is
            deprecated in PyTorch too).
        dtype (ember.dtype, optional): cast the input to this dtype first.
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return (-input).softmax(dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x_i - log(sum_j exp(x_j))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


def glu(input, dim=-1):
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``;
    ``a * sigmoid(b)``."""
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is "
                           f"size {n}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def maxout(input, weight, bias=None, pieces=2):
    """Maxout (ember's own; PyTorch has none): ``max_k (x W_k^T + b_k)``.

    ``weight`` has shape ``(out_features * pieces, in_features)``: rows
    ``j * pieces ... j * pieces + pieces - 1`` are the pieces of output unit ``j``.

    Shape:
        input ``(*, in_features)`` -> output ``(*, out_features)``.
    """
    from .linear import linear

    z = linear(input, weight, bias)
    out = z.shape[-1] // pieces
    return z.reshape(tuple(z.shape[:-1]) + (out, pieces)).amax(-1)




def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: in training each non-positive element is multiplied by a
    slope drawn from ``U(lower, upper)`` (the gradient uses the same slopes); in eval
    mode the fixed slope ``(lower + upper) / 2``."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    import numpy as np

    from ...ops.dropout import mask_mul_op
    from ...random import get_numpy_rng

    x = input._data
    r = get_numpy_rng(None).uniform(lower, upper, x.shape).astype(x.dtype)  # drawn on the host
    if type(x) is not np.ndarray:
        from ...backend import get_array_module
        r = get_array_module(x).asarray(r)
    noise = (x <= 0).astype(x.dtype)
    noise *= r - 1
    noise += 1
    return maybe_inplace(input, inplace, mask_mul_op, noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution (softmax of ``(logits + g) / tau`` with
    Gumbel noise ``g``). With ``hard=True`` the result is one-hot in the forward pass
    while gradients flow through the soft sample (straight-through estimator).

    Example:
        >>> y = F.gumbel_softmax(ember.randn(4, 10), tau=0.5, hard=True)
        >>> y.sum(-1).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    import numpy as np

    from ...random import get_numpy_rng
    from ...tensor import Tensor

    from ...backend import get_array_module

    x = logits._data
    xp = get_array_module(x)
    g = -np.log(get_numpy_rng(None).standard_exponential(x.shape))  # host: drawn, then copied
    g = Tensor._wrap(xp.asarray(g.astype(x.dtype)))
    y_soft = ((logits + g) / tau).softmax(dim)
    if not hard:
        return y_soft
    idx = y_soft._data.argmax(axis=dim)
    d = dim % x.ndim
    onehot = (xp.expand_dims(idx, d) == xp.arange(x.shape[d]).reshape(
        (-1,) + (1,) * (x.ndim - d - 1))).astype(x.dtype)
    y_hard = Tensor._wrap(onehot)
    return y_hard - y_soft.detach() + y_soft
