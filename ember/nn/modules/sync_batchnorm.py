"""``SyncBatchNorm``: batch normalization whose batch statistics span every rank.

With ``DistributedDataParallel`` each rank sees only its share of the batch; a plain
BatchNorm would normalize with that share's statistics. SyncBatchNorm sums the
per-channel sums over the ranks (an all-reduce whose backward is again an all-reduce of
the gradients), so the forward and the gradients equal BatchNorm on the whole batch in
one process.
"""
import ember
from .batchnorm import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over (N, C, *) inputs with statistics over all ranks' batches.

    Same arguments, parameters and buffers as ``BatchNorm1d/2d/3d`` (so their
    state_dicts load), plus ``process_group``. In training mode within an initialized
    process group of more than one rank, the mean and (biased) variance are taken over
    every rank's input; otherwise it is plain batch normalization.

    Args:
        num_features (int): C.
        eps, momentum, affine, track_running_stats: as ``BatchNorm1d``.
        process_group (ProcessGroup, optional): ranks to synchronize (default: world).

    Shape:
        Input: (N, C, *). Output: same shape.

    Example:
        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        >>> ddp = nn.parallel.DistributedDataParallel(model)
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def _group(self):
        import ember.distributed as dist
        if not self.training or not dist.is_initialized():
            return None
        from ...distributed.distributed_c10d import resolve
        pg = resolve(self.process_group, "SyncBatchNorm")
        return pg if pg is not None and pg.size() > 1 else None

    def forward(self, input):
        pg = self._group()
        if pg is None:
            return super().forward(input)
        from ...distributed.nn.functional import all_reduce as _all_reduce
        self._check_input_dim(input)
        C = self.num_features
        if input.shape[1] != C:
            raise RuntimeError(f"SyncBatchNorm: expected input with {C} channels, got input "
                               f"of shape {tuple(input.shape)}")
        dims = [0] + list(range(2, input.ndim))
        view = [1, C] + [1] * (input.ndim - 2)
        count = input.numel() // C
        # one all-reduce for the sums and the element count (ranks' batches may differ)
        local = ember.cat([input.sum(dims), ember.full((1,), float(count), dtype=input.dtype)])
        totals = _all_reduce(local, group=pg)
        n = float(totals._data[C])
        if n <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when "
                             f"training, got {int(n)} over all ranks")
        mean = totals[:C] / n
        centered = input - mean.reshape(view)
        var = _all_reduce((centered * centered).sum(dims), group=pg) / n
        out = centered * (var + self.eps).rsqrt().reshape(view)
        if self.weight is not None:
            out = out * self.weight.reshape(view)
        if self.bias is not None:
            out = out + self.bias.reshape(view)
        if self.track_running_stats and self.running_mean is not None:
            self._update_running(mean.detach(), var.detach() * (n / (n - 1)))
        return out

    def _update_running(self, mean, unbiased_var):
        if self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
        m = self.momentum
        if m is None:   # cumulative moving average, as BatchNorm
            m = 1.0 / float(self.num_batches_tracked._data)
        rm, rv = self.running_mean._data, self.running_var._data
        rm *= 1 - m
        rm += m * mean._data.astype(rm.dtype)
        rv *= 1 - m
        rv += m * unbiased_var._data.astype(rv.dtype)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*D replaced by a SyncBatchNorm sharing its
        parameters and buffers (returns the new module when ``module`` itself is one).

        Example:
            >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
            >>> net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
            >>> type(net[1]).__name__
            'SyncBatchNorm'
        """
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
