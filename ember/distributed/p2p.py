"""Point-to-point messages and Python-object collectives over MPI (PyTorch's names).

``send``/``recv`` move a tensor's contiguous buffer (no pickling); ``isend``/``irecv``
return a ``Work`` to ``wait()`` on. The ``*_object`` collectives pickle arbitrary
picklable objects (as PyTorch does): only use them with data you trust.
"""
import pickle

import numpy as np

from ._backend import Buffer, Work, mpi
from .distributed_c10d import resolve

__all__ = ["send", "recv", "isend", "irecv", "P2POp", "batch_isend_irecv", "all_gather_object",
           "gather_object", "broadcast_object_list", "scatter_object_list"]


def _peer(pg, rank, group_rank, what, arg):
    if group_rank is not None:
        return group_rank
    if rank is None:
        raise ValueError(f"{what}: give {arg} (a global rank) or group_{arg}")
    return pg.group_rank(rank, what)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending ``tensor`` to rank ``dst``; returns a ``Work``.

    Example:
        >>> if dist.get_rank() == 0:
        ...     dist.isend(ember.arange(4.0), dst=1).wait()
        ... else:
        ...     t = ember.empty(4); dist.irecv(t, src=0).wait()
    """
    pg = resolve(group, "isend")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "isend", "dst")
    if peer == pg.rank():
        raise ValueError("isend: invalid destination rank: it should not be the same as the "
                         "rank of the current process")
    buf = Buffer(tensor, "isend")
    req = pg.comm.Isend(buf.array, dest=peer, tag=tag)
    return Work([req], f"isend to rank {dst}", pg, result=[tensor], statuses=None)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into ``tensor`` from rank ``src`` (None: any rank); returns a
    ``Work`` whose ``source_rank()`` tells the sender."""
    pg = resolve(group, "irecv")
    if pg is None:
        return None
    peer = mpi().ANY_SOURCE if src is None and group_src is None else \
        _peer(pg, src, group_src, "irecv", "src")
    buf = Buffer(tensor, "irecv", copy_in=False)
    req = pg.comm.Irecv(buf.array, source=peer, tag=tag)
    return Work([req], f"irecv from rank {src if src is not None else 'any'}", pg,
                finish=buf.write_back, result=[tensor], statuses=[mpi().Status()])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` and wait until it is sent."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from ``src`` (None: any rank); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    return work.source_rank()


class P2POp:
    """One operation for ``batch_isend_irecv``: ``P2POp(dist.isend, tensor, peer)``."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("P2POp: op must be ember.distributed.isend or irecv")
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag
        self.group_peer = group_peer


def batch_isend_irecv(p2p_op_list):
    """Start every ``P2POp``; returns their ``Work`` handles."""
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


# -- Python objects (pickled) -------------------------------------------------------
def _bytes(obj):
    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8)


def _load(arr):
    return pickle.loads(arr.tobytes())


def _wait(pg, what, reqs):
    Work(reqs, what, pg).wait()


def _allgather_bytes(pg, data, what):
    sizes = np.zeros(pg.size(), dtype=np.int64)
    _wait(pg, what, [pg.comm.Iallgather(np.array([data.size], dtype=np.int64), sizes)])
    recv = np.empty(int(sizes.sum()), dtype=np.uint8)
    offsets = [int(x) for x in np.cumsum(sizes) - sizes]
    _wait(pg, what, [pg.comm.Iallgatherv(data, [recv, ([int(s) for s in sizes], offsets)])])
    return [recv[o:o + int(s)] for o, s in zip(offsets, sizes)]


def all_gather_object(object_list, obj, group=None):
    """Every rank's picklable ``obj`` into ``object_list[rank]`` on every rank.

    Example:
        >>> out = [None] * dist.get_world_size()
        >>> dist.all_gather_object(out, {"rank": dist.get_rank()})
    """
    pg = resolve(group, "all_gather_object")
    if pg is None:
        return None
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have {pg.size()} entries, got "
                         f"{len(object_list)}")
    for i, part in enumerate(_allgather_bytes(pg, _bytes(obj), "all_gather_object")):
        object_list[i] = _load(part)
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's ``obj`` into ``object_gather_list`` on rank ``dst``."""
    pg = resolve(group, "gather_object")
    if pg is None:
        return None
    root = _peer(pg, 0 if dst is None and group_dst is None else dst, group_dst,
                 "gather_object", "dst")
    parts = _allgather_bytes(pg, _bytes(obj), "gather_object")   # small: objects are metadata
    if pg.rank() == root:
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError(f"gather_object: object_gather_list must have {pg.size()} entries "
                             "on the destination rank")
        for i, part in enumerate(parts):
            object_gather_list[i] = _load(part)
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s items on every rank by rank ``src``'s (pickled)."""
    pg = resolve(group, "broadcast_object_list")
    if pg is None:
        return None
    root = _peer(pg, 0 if src is None and group_src is None else src, group_src,
                 "broadcast_object_list", "src")
    is_root = pg.rank() == root
    data = _bytes(list(object_list)) if is_root else None
    size = np.array([data.size if is_root else 0], dtype=np.int64)
    _wait(pg, "broadcast_object_list", [pg.comm.Ibcast(size, root)])
    if not is_root:
        data = np.empty(int(size[0]), dtype=np.uint8)
    _wait(pg, "broadcast_object_list", [pg.comm.Ibcast(data, root)])
    if not is_root:
        items = _load(data)
        if len(items) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(items)} objects, "
                             f"this rank's list has {len(object_list)}")
        object_list[:] = items
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """Rank ``src``'s ``scatter_object_input_list[i]`` into
    ``scatter_object_output_list[0]`` on rank ``i``."""
    pg = resolve(group, "scatter_object_list")
    if pg is None:
        return None
    root = _peer(pg, 0 if src is None and group_src is None else src, group_src,
                 "scatter_object_list", "src")
    items = [None] * pg.size()
    if pg.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError(f"scatter_object_list: the input list must have {pg.size()} "
                             "entries on the source rank")
        items = list(scatter_object_input_list)
    box = [items]
    broadcast_object_list(box, group_src=root, group=group)
    scatter_object_output_list[0] = box[0][pg.rank()]
    return None
