"""Batch normalization layers: BatchNorm1d, BatchNorm2d, BatchNorm3d (PyTorch's names,
arguments, parameters ``weight``/``bias`` and buffers ``running_mean``/``running_var``/
``num_batches_tracked``, so PyTorch state_dicts load unchanged)."""
import ember
from ..parameter import Parameter
from .. import functional as F
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Parameters and running statistics shared by batch and instance norm."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if int(num_features) <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got "
                             f"{num_features}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = {"dtype": dtype} if dtype is not None else {}
        if device is not None:
            kw["device"] = device
        if affine:
            self.weight = Parameter(ember.empty(self.num_features, **kw))
            if bias:
                self.bias = Parameter(ember.empty(self.num_features, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", ember.zeros(self.num_features, **kw))
            self.register_buffer("running_var", ember.ones(self.num_features, **kw))
            self.register_buffer("num_batches_tracked",
                                 ember.tensor(0, dtype=ember.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Zero the running mean and the batch counter, and set the running var to 1."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        """Reset the running statistics, weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}: expected input with {self.num_features} channels, "
                f"got input of shape {tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:      # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over a (N, C) or (N, C, L) input.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` with per-channel batch
    statistics in training mode (biased variance) and the running statistics in eval mode.
    The running statistics are updated in training mode with
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased variance), or with a
    cumulative average when ``momentum=None``.

    Args:
        num_features (int): C.
        eps (float): Default: 1e-5.
        momentum (float or None): Default: 0.1.
        affine (bool): learnable ``weight`` and ``bias``. Default: True.
        track_running_stats (bool): keep running statistics. Default: True.
        bias (bool, keyword-only): learnable bias when affine. Default: True.

    Shape:
        Input: (N, C) or (N, C, L). Output: same shape.

    Example:
        >>> bn = ember.nn.BatchNorm1d(16)
        >>> bn(ember.randn(8, 16)).shape
        ember.Size([8, 16])
    """

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization over a 4D input (N, C, H, W); see :class:`BatchNorm1d`.

    Example:
        >>> bn = ember.nn.BatchNorm2d(3)
        >>> bn(ember.randn(4, 3, 8, 8)).shape
        ember.Size([4, 3, 8, 8])
    """

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalization over a 5D input (N, C, D, H, W); see :class:`BatchNorm1d`.

    Example:
        >>> bn = ember.nn.BatchNorm3d(3)
        >>> bn(ember.randn(2, 3, 4, 4, 4)).shape
        ember.Size([2, 3, 4, 4, 4])
    """

    def _check_input_dim(self, input):
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")
