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
  writes the averages back into ``param.grad``.
"""
from contextlib import contextmanager

import numpy as np

from ..modules import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024


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
        object.__setattr__(self, "_reducer", _Reducer(params, pg, dist, self.bucket_bytes_cap))
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
        self._reducer.prepare(sync, _outputs(out) if sync and self.find_unused_parameters
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

    def join(self, *args, **kwargs):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs) is not "
                                  "supported: give every rank the same number of batches "
                                  "(DistributedSampler does)")

    def _set_static_graph(self):
        self.static_graph = True

    def extra_repr(self):
        return f"world_size={self.process_group.size()}"


def _outputs(out):
    """The tensors in a forward's output (nested tuples, lists and dicts)."""
    if hasattr(out, "grad_fn"):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _outputs(o)]
    return []


def _reachable_leaves(outputs):
    """ids of the AccumulateGrad nodes reachable from ``outputs``' grad_fns."""
    seen, found = set(), set()
    stack = [t.grad_fn for t in outputs if getattr(t, "grad_fn", None) is not None]
    stack += [t._acc for t in outputs if getattr(t, "grad_fn", None) is None
              and getattr(t, "_acc", None) is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.name() == "AccumulateGrad":
            found.add(id(node))
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return found


class _Bucket:
    def __init__(self, indices, params, dtype):
        self.indices = indices                # parameter indices, in ready order
        self.offsets = {}
        at = 0
        for i in indices:
            self.offsets[i] = (at, at + params[i]._data.size)
            at += params[i]._data.size
        self.flat = np.zeros(at, dtype=dtype)
        self.pending = len(indices)
        self.work = None


class _Reducer:
    """Per-iteration bookkeeping: which gradients are ready, which buckets started."""

    def __init__(self, params, pg, dist, cap):
        self.params, self.pg, self.dist = params, pg, dist
        self.buckets = self._build(cap)
        self.bucket_of = {i: b for b, bucket in enumerate(self.buckets) for i in bucket.indices}
        self.active = False      # a synced backward is expected for the last forward
        self.started = False     # some gradient of this iteration arrived
        self.ready = set()
        self.used = None         # per-parameter 0/1 (find_unused_parameters)
        self.next_bucket = 0

    def _build(self, cap):
        buckets, cur, size, dtype = [], [], 0, None
        limit = min(_FIRST_BUCKET_BYTES, cap)
        for i in reversed(range(len(self.params))):
            a = self.params[i]._data
            if cur and (a.dtype != dtype or size + a.nbytes > limit):
                buckets.append(_Bucket(cur, self.params, dtype))
                cur, size, limit = [], 0, cap
            cur.append(i)
            size += a.nbytes
            dtype = a.dtype
        if cur:
            buckets.append(_Bucket(cur, self.params, dtype))
        return buckets

    def check_previous_finished(self, find_unused):
        if self.active and self.started:
            missing = [i for i in range(len(self.params)) if i not in self.ready]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting "
                "a new one. This error indicates that your module has parameters that were "
                "not used in producing loss. You can enable unused parameter detection by "
                "passing the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all "
                "`forward` function outputs participate in calculating loss. Parameter "
                f"indices which did not receive grad for rank {self.pg.global_rank}: "
                f"{' '.join(map(str, missing))}")

    def prepare(self, sync, outputs):
        """Called after each forward: arm the hooks (or not) for the coming backward."""
        self.active = sync
        self.started = False
        self.ready = set()
        self.next_bucket = 0
        self.used = None
        for b in self.buckets:
            b.pending = len(b.indices)
            b.work = None
        if sync and outputs is not None:
            reached = _reachable_leaves(outputs)
            self.used = np.array([int(getattr(p, "_acc", None) is not None and
                                      id(p._acc) in reached) for p in self.params], dtype=np.uint8)
            for i in np.flatnonzero(self.used == 0):
                self._mark_ready(int(i), None)

    def hook(self, index):
        def on_grad(param):
            if self.active and index not in self.ready:
                self._mark_ready(index, param)
        return on_grad

    def _mark_ready(self, i, param):
        self.started = True
        self.ready.add(i)
        b = self.buckets[self.bucket_of[i]]
        lo, hi = b.offsets[i]
        if param is None or param.grad is None:
            b.flat[lo:hi] = 0                  # unused here: contributes zeros
        else:
            g = param.grad._data
            b.flat[lo:hi] = (g if type(g) is np.ndarray else g.get()).reshape(-1)
        b.pending -= 1
        if b.pending == 0:
            self._launch_ready_buckets()
        elif self.next_bucket:                 # give started all-reduces a chance to progress
            self.buckets[self.next_bucket - 1].work.is_completed()

    def _launch_ready_buckets(self):
        from ...tensor import Tensor
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            b = self.buckets[self.next_bucket]
            b.work = self.dist.all_reduce(Tensor._wrap(b.flat), group=self.pg, async_op=True)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _finalize(self):
        """All buckets started: wait, then write the averages into ``param.grad``."""
        from ...tensor import Tensor
        n = self.pg.size()
        globally_used = None
        if self.used is not None:
            counts = Tensor._wrap(self.used.copy())
            self.dist.all_reduce(counts, op=self.dist.ReduceOp.MAX, group=self.pg)
            globally_used = counts._data
        for b in self.buckets:
            b.work.wait()
            b.flat /= n
            for i in b.indices:
                if globally_used is not None and not globally_used[i]:
                    continue                   # unused on every rank: grad left as it was
                p = self.params[i]
                lo, hi = b.offsets[i]
                avg = b.flat[lo:hi].reshape(p._data.shape)
                if p.grad is None:
                    p.grad = Tensor._wrap(_like(p._data, avg))
                else:
                    g = p.grad._data
                    g[...] = avg if type(g) is np.ndarray else _like(g, avg)
        self.active = False


def _like(arr, host):
    """``host`` (a NumPy array) as a fresh array on ``arr``'s device."""
    if type(arr) is np.ndarray:
        return host.copy()
    import cupy
    return cupy.asarray(host)
