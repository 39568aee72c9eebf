"""Differentiable collectives (``torch.distributed.nn.functional``'s names).

Each returns new tensors connected to the autograd graph; the backward is the adjoint
collective across the same ranks (every rank must run backward through it, as in
PyTorch): ``all_reduce``'s gradient is the ``all_reduce`` (sum) of the gradients,
``all_gather``'s is this rank's slot of the summed gradients, ``broadcast``'s is the
sum of the gradients on the source rank (zero elsewhere).

Example:
    >>> from ember.distributed.nn.functional import all_gather
    >>> parts = all_gather(local_features)          # a tuple, one tensor per rank
    >>> loss = ember.cat(parts).pow(2).sum()
    >>> loss.backward()                              # gradients reach local_features
"""
import ember
from ...autograd.op import Op
from .. import collectives
from ..distributed_c10d import ReduceOp, resolve

__all__ = ["all_reduce", "all_gather", "broadcast"]


def _wrap(arr):
    return ember.Tensor._wrap(arr)


class _AllReduce(Op):
    def forward(self, x):
        out = x.copy()
        collectives.all_reduce(_wrap(out), op=self.op, group=self.group)
        return out

    def backward(self, grad):
        g = grad._data.copy()
        collectives.all_reduce(_wrap(g), group=self.group)
        return _wrap(g)


class _AllGather(Op):
    def forward(self, x):
        n = self.pg.size()
        parts = [_wrap(x.copy()) for _ in range(n)]
        collectives.all_gather(parts, _wrap(x), group=self.group)
        return self.xp.stack([p._data for p in parts])

    def backward(self, grad):
        g = grad._data.copy()
        collectives.all_reduce(_wrap(g), group=self.group)
        return _wrap(g[self.pg.rank()].copy())


class _Broadcast(Op):
    def forward(self, x):
        out = x.copy()
        collectives.broadcast(_wrap(out), src=self.src, group=self.group)
        return out

    def backward(self, grad):
        g = grad._data.copy()
        collectives.all_reduce(_wrap(g), group=self.group)
        if self.pg.ranks[self.pg.rank()] != self.src:
            g[...] = 0
        return _wrap(g)


def all_reduce(tensor, op=ReduceOp.SUM, group=None):
    """The reduction of ``tensor`` over the ranks, as a new tensor (SUM or AVG are
    differentiable; the gradient of AVG is that of SUM divided by the world size)."""
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"ember.distributed.nn.functional.all_reduce: only ReduceOp.SUM and "
                         f"AVG are differentiable, got {op!r}")
    out = _AllReduce.apply(tensor, op=ReduceOp.SUM, group=group)
    if op == ReduceOp.AVG:
        out = out / resolve(group, "all_reduce").size()
    return out


def all_gather(tensor, group=None):
    """Every rank's ``tensor``, as a tuple indexed by rank."""
    pg = resolve(group, "all_gather")
    return tuple(ember.unbind(_AllGather.apply(tensor, group=group, pg=pg), 0))


def broadcast(tensor, src, group=None):
    """Rank ``src``'s ``tensor`` (a global rank), as a new tensor on every rank."""
    pg = resolve(group, "broadcast")
    return _Broadcast.apply(tensor, src=src, group=group, pg=pg)
