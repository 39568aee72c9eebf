"""Collectives on ember tensors over MPI, with PyTorch's signatures.

Each works in place on the tensors' contiguous buffers (see ``_backend.Buffer``): no
pickling of tensors. ``src``/``dst`` are *global* ranks, as in PyTorch (``group_src`` /
``group_dst`` give ranks inside ``group``). With ``async_op=True`` a ``Work`` is
returned; the result is in the tensors after ``work.wait()``. A process outside
``group`` returns None without communicating, as PyTorch does.
"""
import numpy as np

from ._backend import Buffer, Work, mpi, mpi_op
from .distributed_c10d import ReduceOp, resolve

__all__ = ["all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "gather", "scatter", "reduce_scatter", "reduce_scatter_tensor", "all_to_all",
           "all_to_all_single"]


def _run(pg, what, reqs, finish, result, async_op):
    work = Work(reqs, what, pg, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def _root(pg, rank, group_rank, what, arg):
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"{what}: group_{arg}={group_rank} is out of range for a group of "
                             f"size {pg.size()}")
        return group_rank
    if rank is None:
        raise ValueError(f"{what}: give {arg} (a global rank) or group_{arg}")
    return pg.group_rank(rank, what)


def _averager(op, array, n):
    if op == ReduceOp.AVG:
        def finish():
            np.divide(array, n, out=array, casting="unsafe")
        return finish
    return None


def _then(*fns):
    fns = [f for f in fns if f is not None]

    def finish():
        for f in fns:
            f()
    return finish


def _assign(tensor, array):
    """Copy a host array into a tensor's storage (NumPy or CuPy)."""
    a = tensor._data
    if type(a) is np.ndarray:
        a[...] = array.reshape(a.shape)
    else:
        import cupy
        a[...] = cupy.asarray(array.reshape(a.shape))


def _same_shape(tensors, ref, what):
    for t in tensors:
        if tuple(t._data.shape) != tuple(ref.shape) or t._data.dtype != ref.dtype:
            raise ValueError(f"{what}: every tensor must have shape {tuple(ref.shape)} and "
                             f"dtype {ref.dtype}, got {tuple(t._data.shape)} {t._data.dtype}")


def _check_len(lst, pg, what, name):
    if lst is None or len(lst) != pg.size():
        got = "None" if lst is None else len(lst)
        raise ValueError(f"{what}: {name} must hold one tensor per rank ({pg.size()}), got {got}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over all ranks of ``group``; every rank gets the result, in place.

    Args:
        tensor (Tensor): input and output.
        op (ReduceOp): ``SUM`` (default), ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, ...
        group (ProcessGroup, optional): default the world.
        async_op (bool): return a ``Work`` instead of waiting.

    Example:
        >>> t = ember.tensor([float(dist.get_rank())])
        >>> dist.all_reduce(t)                 # on 2 ranks: t == tensor([1.])
    """
    pg = resolve(group, "all_reduce")
    if pg is None:
        return None
    buf = Buffer(tensor, "all_reduce")
    req = pg.comm.Iallreduce(mpi().IN_PLACE, buf.array, mpi_op(op, buf.array.dtype, "all_reduce"))
    return _run(pg, "all_reduce", [req], _then(_averager(op, buf.array, pg.size()), buf.write_back),
                [tensor], async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over ``group`` into rank ``dst``'s ``tensor`` (in place there)."""
    pg = resolve(group, "reduce")
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "reduce", "dst")
    buf = Buffer(tensor, "reduce")
    mop = mpi_op(op, buf.array.dtype, "reduce")
    if pg.rank() == root:
        req = pg.comm.Ireduce(mpi().IN_PLACE, buf.array, mop, root)
        finish = _then(_averager(op, buf.array, pg.size()), buf.write_back)
    else:
        req = pg.comm.Ireduce(buf.array, None, mop, root)
        finish = None
    return _run(pg, "reduce", [req], finish, [tensor], async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank of ``group``."""
    pg = resolve(group, "broadcast")
    if pg is None:
        return None
    root = _root(pg, src, group_src, "broadcast", "src")
    is_root = pg.rank() == root
    buf = Buffer(tensor, "broadcast", copy_in=is_root)
    req = pg.comm.Ibcast(buf.array, root)
    return _run(pg, "broadcast", [req], None if is_root else buf.write_back, [tensor], async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list[rank]``, on every rank."""
    pg = resolve(group, "all_gather")
    if pg is None:
        return None
    _check_len(tensor_list, pg, "all_gather", "tensor_list")
    send = Buffer(tensor, "all_gather").array
    _same_shape(tensor_list, send, "all_gather")
    recv = np.empty((pg.size(),) + send.shape, dtype=send.dtype)
    req = pg.comm.Iallgather(send, recv)

    def finish():
        for t, r in zip(tensor_list, recv):
            _assign(t, r)
    return _run(pg, "all_gather", [req], finish, tensor_list, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (dim 0) or stacked into ``output_tensor``."""
    pg = resolve(group, "all_gather_into_tensor")
    if pg is None:
        return None
    send = Buffer(input_tensor, "all_gather_into_tensor").array
    out = Buffer(output_tensor, "all_gather_into_tensor", copy_in=False)
    if out.array.size != send.size * pg.size() or out.array.dtype != send.dtype:
        raise ValueError(f"all_gather_into_tensor: output of shape {tuple(out.array.shape)} "
                         f"{out.array.dtype} cannot hold {pg.size()} inputs of shape "
                         f"{tuple(send.shape)} {send.dtype}")
    req = pg.comm.Iallgather(send, out.array)
    return _run(pg, "all_gather_into_tensor", [req], out.write_back, [output_tensor], async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list[rank]`` on rank ``dst``."""
    pg = resolve(group, "gather")
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "gather", "dst")
    send = Buffer(tensor, "gather").array
    finish = None
    if pg.rank() == root:
        _check_len(gather_list, pg, "gather", "gather_list")
        _same_shape(gather_list, send, "gather")
        recv = np.empty((pg.size(),) + send.shape, dtype=send.dtype)
        req = pg.comm.Igather(send, recv, root)

        def finish():
            for t, r in zip(gather_list, recv):
                _assign(t, r)
    else:
        if gather_list:
            raise ValueError("gather: gather_list must be None or empty on non-destination ranks")
        req = pg.comm.Igather(send, None, root)
    return _run(pg, "gather", [req], finish, gather_list, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src``'s ``scatter_list[i]`` into ``tensor`` on rank ``i``."""
    pg = resolve(group, "scatter")
    if pg is None:
        return None
    root = _root(pg, src, group_src, "scatter", "src")
    out = Buffer(tensor, "scatter", copy_in=False)
    if pg.rank() == root:
        _check_len(scatter_list, pg, "scatter", "scatter_list")
        _same_shape(scatter_list, out.array, "scatter")
        send = np.stack([Buffer(t, "scatter").array for t in scatter_list])
        req = pg.comm.Iscatter(send, out.array, root)
    else:
        if scatter_list:
            raise ValueError("scatter: scatter_list must be None or empty on non-source ranks")
        req = pg.comm.Iscatter(None, out.array, root)
    return _run(pg, "scatter", [req], out.write_back, [tensor], async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[i]`` over the ranks into ``output`` on rank ``i``."""
    pg = resolve(group, "reduce_scatter")
    if pg is None:
        return None
    _check_len(input_list, pg, "reduce_scatter", "input_list")
    out = Buffer(output, "reduce_scatter", copy_in=False)
    _same_shape(input_list, out.array, "reduce_scatter")
    send = np.stack([Buffer(t, "reduce_scatter").array for t in input_list])
    req = pg.comm.Ireduce_scatter_block(send, out.array, mpi_op(op, send.dtype, "reduce_scatter"))
    return _run(pg, "reduce_scatter", [req],
                _then(_averager(op, out.array, pg.size()), out.write_back), [output], async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``reduce_scatter`` with the inputs concatenated (dim 0) in one tensor."""
    pg = resolve(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    out = Buffer(output, "reduce_scatter_tensor", copy_in=False)
    send = Buffer(input, "reduce_scatter_tensor").array
    if send.size != out.array.size * pg.size() or send.dtype != out.array.dtype:
        raise ValueError(f"reduce_scatter_tensor: input of shape {tuple(send.shape)} must hold "
                         f"{pg.size()} outputs of shape {tuple(out.array.shape)}")
    req = pg.comm.Ireduce_scatter_block(send, out.array,
                                        mpi_op(op, send.dtype, "reduce_scatter_tensor"))
    return _run(pg, "reduce_scatter_tensor", [req],
                _then(_averager(op, out.array, pg.size()), out.write_back), [output], async_op)


def _offsets(counts):
    return [int(x) for x in np.cumsum([0] + list(counts[:-1]))]


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """Split ``input`` along dim 0 (equally, or by ``input_split_sizes``), send piece ``i``
    to rank ``i``, and concatenate what arrives in ``output``."""
    pg = resolve(group, "all_to_all_single")
    if pg is None:
        return None
    send = Buffer(input, "all_to_all_single").array
    out = Buffer(output, "all_to_all_single", copy_in=False)
    n = pg.size()
    if send.dtype != out.array.dtype:
        raise ValueError(f"all_to_all_single: input dtype {send.dtype} and output dtype "
                         f"{out.array.dtype} differ")
    row_in = int(np.prod(send.shape[1:], dtype=np.int64))
    row_out = int(np.prod(out.array.shape[1:], dtype=np.int64))
    if input_split_sizes is None and output_split_sizes is None:
        if send.shape[0] % n or out.array.shape != send.shape:
            raise ValueError(f"all_to_all_single: input {tuple(send.shape)} and output "
                             f"{tuple(out.array.shape)} must match, dim 0 divisible by {n}")
        req = pg.comm.Ialltoall(send, out.array)
    else:
        ins = list(input_split_sizes or [send.shape[0] // n] * n)
        outs = list(output_split_sizes or [out.array.shape[0] // n] * n)
        sc = [s * row_in for s in ins]
        rc = [s * row_out for s in outs]
        req = pg.comm.Ialltoallv([send, (sc, _offsets(sc))],
                                 [out.array, (rc, _offsets(rc))])
    return _run(pg, "all_to_all_single", [req], out.write_back, [output], async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Send ``input_tensor_list[i]`` to rank ``i``; receive rank ``j``'s into
    ``output_tensor_list[j]``."""
    pg = resolve(group, "all_to_all")
    if pg is None:
        return None
    _check_len(output_tensor_list, pg, "all_to_all", "output_tensor_list")
    _check_len(input_tensor_list, pg, "all_to_all", "input_tensor_list")
    ins = [Buffer(t, "all_to_all").array.ravel() for t in input_tensor_list]
    send = np.concatenate(ins)
    if any(t._data.dtype != send.dtype for t in list(input_tensor_list) + list(output_tensor_list)):
        raise ValueError("all_to_all: every input and output tensor must have the same dtype")
    sizes = [t._data.size for t in output_tensor_list]
    recv = np.empty(sum(sizes), dtype=send.dtype)
    sc = [a.size for a in ins]
    req = pg.comm.Ialltoallv([send, (sc, _offsets(sc))],
                             [recv, (sizes, _offsets(sizes))])

    def finish():
        at = 0
        for t, n in zip(output_tensor_list, sizes):
            _assign(t, recv[at:at + n])
            at += n
    return _run(pg, "all_to_all", [req], finish, output_tensor_list, async_op)
