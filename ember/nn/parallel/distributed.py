"""``DistributedDataParallel``: data parallelism over the ranks of ``ember.distributed``.

Each rank holds a replica of the model and runs it on its share of the batch; during
backward the gradients are averaged across ranks, so every replica takes the same
optimizer step. How the averaging overlaps backward (as PyTorch's reducer does):

* parameters are grouped into buckets of about ``bucket_cap_mb`` MB in *reverse*
  parameter order (the order backward produces their gradients; the first bucket is
  1 MB so communication starts early);
* a post-accumulate-grad hook on each parameter copies its gradient into its bucket's
  flat buffer; when a bucket is full, a non-blocking ``Iallreduce`` starts on it while
  backward goes on computing earlier layers' gradients;
* buckets start in index order on every rank (MPI needs the same collective order on
  every rank); when the last one has started, the reducer waits for all of them and
  writes the averages back into ``param.grad``;
* ``register_comm_hook`` replaces that averaging per bucket (PyTorch's hooks, e.g.
  float16 compression, are in ``ember.distributed.algorithms.ddp_comm_hooks``).
"""
from contextlib import contextmanager

from ..modules import Module
from ._reducer import GradBucket, Reducer, outputs

__all__ = ["DistributedDataParallel", "GradBucket"]


class DistributedDataParallel(Module):
    """Wraps ``module`` for synchronous data-parallel training across processes.

    At construction rank 0's parameters and buffers are broadcast to every rank, so all
    replicas start equal. Each ``backward()`` then leaves every rank with gradients
    averaged over the ranks (bucketed non-blocking all-reduce, overlapping backward).

    Args:
        module (Module): the model (the same architecture on every rank).
        device_ids, output_device, dim: accepted for PyTorch compatibility.
        broadcast_buffers (bool): broadcast rank 0's buffers (BatchNorm running
            statistics) at the start of every forward. Default: True.
        process_group (ProcessGroup, optional): ranks to average over (default: world).
        bucket_cap_mb (float): bucket size in MB. Default: 25.
        find_unused_parameters (bool): walk the autograd graph from the outputs after
            each forward and treat parameters that did not take part as ready, so
            models with branches don't stall. Default: False (then a parameter
            without a gradient makes the next forward raise, as in PyTorch).
        gradient_as_bucket_view, static_graph: accepted for compatibility.

    Attributes:
        module: the wrapped model; ``state_dict()`` keys carry the ``module.`` prefix
            as PyTorch's do: save ``ddp.module.state_dict()`` for a plain model, or
            strip the prefix with ``consume_prefix_in_state_dict_if_present``.

    Example:
        >>> dist.init_process_group("mpi")
        >>> model = DistributedDataParallel(Net())
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
        >>> loss = F.cross_entropy(model(x_local), y_local)
        >>> loss.backward()                   # gradients averaged over the ranks
        >>> opt.step()
        >>> with model.no_sync():             # gradient accumulation: no communication
        ...     model(x2).sum().backward()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        from ... import distributed as dist
        from ...distributed.distributed_c10d import resolve
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module to wrap, got "
                            f"{type(module).__name__}")
        pg = resolve(process_group, "DistributedDataParallel")
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not in process_group")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        object.__setattr__(self, "process_group", pg)
        object.__setattr__(self, "_dist", dist)
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        object.__setattr__(self, "_params", params)
        self._verify_same_shapes()
        if init_sync:
            self._broadcast_states(list(module.parameters()) + self._buffers_list())
        object.__setattr__(self, "_reducer", Reducer(params, pg, dist, self.bucket_bytes_cap))
        object.__setattr__(self, "_hooks", [
            p.register_post_accumulate_grad_hook(self._reducer.hook(i))
            for i, p in enumerate(params)])

    # -- construction helpers --------------------------------------------------------
    def _buffers_list(self):
        return [b for b in self.module.buffers()]

    def _verify_same_shapes(self):
        dist, pg = self._dist, self.process_group
        mine = [(tuple(p.shape), str(p.dtype)) for p in self.module.parameters()]
        every = [None] * pg.size()
        dist.all_gather_object(every, mine, group=pg)
        for r, theirs in enumerate(every):
            if theirs != mine:
                raise RuntimeError(
                    f"DistributedDataParallel: rank {pg.ranks[r]}'s parameters "
                    f"({len(theirs)} tensors) differ in number, shape or dtype from rank "
                    f"{pg.global_rank}'s ({len(mine)} tensors): every rank must build the "
                    "same model")

    def _broadcast_states(self, tensors):
        dist, pg = self._dist, self.process_group
        works = [dist.broadcast(t.detach(), src=pg.ranks[0], group=pg, async_op=True)
                 for t in tensors]
        for w in works:
            w.wait()

    # -- forward ---------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        self._pre_forward()
        out = self.module(*inputs, **kwargs)
        self._post_forward(out)
        return out

    def _pre_forward(self):
        """Before the module's forward: check the last reduction finished; sync buffers."""
        self._reducer.check_previous_finished(self.find_unused_parameters)
        if self.broadcast_buffers and self.require_forward_param_sync:
            bufs = self._buffers_list()
            if bufs and self.process_group.size() > 1:
                self._broadcast_states(bufs)

    def _post_forward(self, out):
        """After it: arm the gradient hooks for the coming backward (or not)."""
        from ...autograd.grad_mode import is_grad_enabled
        sync = is_grad_enabled() and self.require_backward_grad_sync
        self._reducer.prepare(sync, outputs(out) if sync and self.find_unused_parameters
                              else None)

    @contextmanager
    def no_sync(self):
        """Within this context gradients accumulate locally without communication; the
        first forward-backward after it averages the accumulated gradients.

        Example:
            >>> with ddp.no_sync():
            ...     ddp(x1).sum().backward()    # local only
            >>> ddp(x2).sum().backward()        # averages x1's + x2's gradients
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state, hook):
        """Replace the averaging of each bucket by ``hook(state, bucket)``, which returns
        a ``Future`` of the bucket's averaged flat gradient (``bucket`` is a
        ``GradBucket``: ``buffer()``, ``gradients()``, ``parameters()``, ``index()``,
        ``is_last()``). Register before the first backward, at most once, as PyTorch.

        Example:
            >>> from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
            >>> ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
        """
        if self._reducer.comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only "
                               "be called once.")
        if not callable(hook):
            raise TypeError("register_comm_hook: hook must be callable")
        self._reducer.comm_hook = (state, hook)

    def join(self, *args, **kwargs):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs) is not "
                                  "supported: give every rank the same number of batches "
                                  "(DistributedSampler does)")

    def _set_static_graph(self):
        self.static_graph = True

    def extra_repr(self):
        return f"world_size={self.process_group.size()}"
