"""DDP's reducer: buckets of gradients averaged over the ranks while backward runs.

Used by ``DistributedDataParallel`` (distributed.py, which describes the scheme).
"""
import numpy as np

__all__ = ["GradBucket", "Reducer", "outputs"]

_FIRST_BUCKET_BYTES = 1024 * 1024


def outputs(out):
    """The tensors in a forward's output (nested tuples, lists and dicts)."""
    if hasattr(out, "grad_fn"):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in outputs(o)]
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


class GradBucket:
    """One bucket of gradients, as a communication hook sees it (PyTorch's name)."""

    def __init__(self, index, bucket, params, is_last):
        from ...tensor import Tensor
        self._index, self._bucket, self._params, self._last = index, bucket, params, is_last
        self._buffer = Tensor._wrap(bucket.flat)

    def index(self):
        return self._index

    def buffer(self):
        """The flat tensor of the bucket's gradients (local values when the hook runs)."""
        return self._buffer

    def set_buffer(self, tensor):
        self._buffer._data[...] = tensor._data

    def parameters(self):
        return [self._params[i] for i in self._bucket.indices]

    def gradients(self):
        from ...tensor import Tensor
        out = []
        for i in self._bucket.indices:
            lo, hi = self._bucket.offsets[i]
            out.append(Tensor._wrap(self._bucket.flat[lo:hi].reshape(self._params[i]._data.shape)))
        return out

    def is_last(self):
        return self._last


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


class Reducer:
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
        self.comm_hook = None    # (state, hook) from register_comm_hook

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
            work = self.buckets[self.next_bucket - 1].work
            (work.is_completed if hasattr(work, "is_completed") else work.done)()

    def _launch_ready_buckets(self):
        from ...tensor import Tensor
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            b = self.buckets[self.next_bucket]
            if self.comm_hook is not None:
                state, hook = self.comm_hook
                b.work = hook(state, GradBucket(self.next_bucket, b, self.params,
                                                self.next_bucket == len(self.buckets) - 1))
            else:
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
            if self.comm_hook is not None:     # the hook's future holds the average
                avg = b.work.wait()
                b.flat[...] = (avg._data if hasattr(avg, "_data") else avg).reshape(-1)
            else:
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
