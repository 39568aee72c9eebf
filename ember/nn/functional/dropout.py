"""Dropout functions (``ember.nn.functional.dropout`` and friends)."""
import warnings

from ...ops.dropout import alpha_dropout_op, dropout_op
from ._inplace import maybe_inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]


def _check_p(p):
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` during training, scaling the kept ones
    by ``1 / (1 - p)`` (inverted dropout; identity when ``training`` is False).

    Args:
        input (Tensor): any shape.
        p (float): drop probability in [0, 1]. Default: 0.5.
        training (bool): apply dropout only when True. Default: True.
        inplace (bool): write the result into ``input`` when no gradient is recorded.

    Example:
        >>> y = F.dropout(ember.ones(4, 5), p=0.5)   # entries 0 or 2
    """
    _check_p(p)
    if not training or p == 0:
        return input
    return maybe_inplace(input, inplace, dropout_op, p)


def _feature(name, nd, input, p, training, inplace):
    _check_p(p)
    dim = input.dim()
    if nd == 1 and dim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {dim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if nd == 2 and dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {dim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead.")
    if nd == 2 and dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d "
                      "instead.")
    if nd == 3 and dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {dim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release.")
    if not training or p == 0:
        return input
    return maybe_inplace(input, inplace, dropout_op, p, feature_dims=nd)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, L) or (C, L) input with probability ``p``
    (scaling the rest by ``1 / (1 - p)``)."""
    return _feature("dropout1d", 1, input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, H, W) input with probability ``p``
    (scaling the rest by ``1 / (1 - p)``). A 3-D input is read as (N, C, L), as in
    PyTorch."""
    return _feature("dropout2d", 2, input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input with
    probability ``p`` (scaling the rest by ``1 / (1 - p)``)."""
    return _feature("dropout3d", 3, input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout for SELU networks: dropped units take SELU's negative saturation
    value and an affine correction keeps mean 0 and variance 1 (see ``AlphaDropout``).
    Note the default ``training=False``, as in PyTorch."""
    _check_p(p)
    if not training or p == 0:
        return input
    return maybe_inplace(input, inplace, alpha_dropout_op, p)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dims from 2 on share one draw)."""
    _check_p(p)
    if not training or p == 0:
        return input
    return maybe_inplace(input, inplace, alpha_dropout_op, p, feature_dims=input.dim() - 2)
