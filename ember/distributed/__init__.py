"""``ember.distributed``: PyTorch's ``torch.distributed`` over MPI.

Run one process per worker with MPI's launcher (``pip install 'ember[dist]'`` installs
mpi4py and the mpich wheel that provides ``mpiexec``)::

    python -m ember.distributed.run -n 2 train.py     # or: mpiexec -n 2 python train.py

and in the script::

    import ember.distributed as dist
    dist.init_process_group("mpi")
    t = ember.ones(3) * dist.get_rank()
    dist.all_reduce(t)                                # sum over ranks, in place

Collectives work in place on tensors' contiguous buffers (never pickled), wait with a
timeout (a crashed rank ends the job with an error, not a hang), and an uncaught
exception on one rank aborts every rank. ``ember.nn.parallel.DistributedDataParallel``,
``ember.utils.data.distributed.DistributedSampler``, ``ember.nn.SyncBatchNorm`` and
``ember.distributed.pipeline.Pipe`` build on these. Importing this package does not
start MPI; ``init_process_group`` does.
"""
from ._backend import (DistError, DistBackendError, DistNetworkError, DistStoreError,  # noqa: F401
                       Future, Work)
from .distributed_c10d import (Backend, ReduceOp, ProcessGroup, GroupMember, group,  # noqa: F401
                               init_process_group, is_initialized, is_available,
                               is_mpi_available, is_gloo_available, is_nccl_available,
                               is_torchelastic_launched, destroy_process_group, get_rank,
                               get_world_size, get_backend, barrier, monitored_barrier, new_group,
                               get_global_rank, get_group_rank, get_process_group_ranks,
                               default_pg_timeout)
from .collectives import (all_reduce, reduce, broadcast, all_gather,  # noqa: F401
                          all_gather_into_tensor, gather, scatter, reduce_scatter,
                          reduce_scatter_tensor, all_to_all, all_to_all_single)
from .p2p import (send, recv, isend, irecv, P2POp, batch_isend_irecv,  # noqa: F401
                  all_gather_object, gather_object, broadcast_object_list, scatter_object_list)
from . import _backend as _b  # noqa: E402

if _b.launched_by_mpi():   # a rank failing even before init_process_group ends the job
    _b.install_abort_on_error()


def __getattr__(name):
    if name == "GradBucket":     # (lives with DDP's reducer; imported on first use)
        from ..nn.parallel._reducer import GradBucket
        return GradBucket
    raise AttributeError(f"module 'ember.distributed' has no attribute '{name}'")
