"""Process groups over MPI: ``init_process_group``, ranks, ``barrier``, ``new_group``.

PyTorch's names and semantics (``torch.distributed.distributed_c10d``). The ranks and
the world size come from MPI (start the processes with ``mpiexec -n N`` or
``python -m ember.distributed.run -n N``); the ``env://`` variables ``RANK`` and
``WORLD_SIZE`` are accepted too and checked against MPI's.
"""
import os
from datetime import timedelta

from . import _backend
from ._backend import mpi

__all__ = ["Backend", "ReduceOp", "ProcessGroup", "GroupMember", "group", "init_process_group",
           "is_initialized", "is_available", "is_mpi_available", "is_gloo_available",
           "is_nccl_available", "is_torchelastic_launched", "destroy_process_group", "get_rank",
           "get_world_size", "get_backend", "barrier", "monitored_barrier", "new_group",
           "get_global_rank", "get_group_rank", "get_process_group_ranks",
           "default_pg_timeout"]

default_pg_timeout = timedelta(minutes=30)   # PyTorch's default


class Backend(str):
    """Backend names. ember runs every backend over MPI (``gloo``/``nccl`` scripts run
    unchanged), so ``get_backend()`` is always ``"mpi"``."""
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UNDEFINED = "undefined"

    def __new__(cls, name):
        return str.__new__(cls, name.lower())


class _RedOp:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<RedOpType.{self.name}>"

    def __eq__(self, other):
        return isinstance(other, _RedOp) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


class ReduceOp:
    """Reductions for ``all_reduce``, ``reduce`` and ``reduce_scatter``:
    ``SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, ``BAND``, ``BOR``, ``BXOR``."""
    SUM = _RedOp("SUM")
    AVG = _RedOp("AVG")
    PRODUCT = _RedOp("PRODUCT")
    MIN = _RedOp("MIN")
    MAX = _RedOp("MAX")
    BAND = _RedOp("BAND")
    BOR = _RedOp("BOR")
    BXOR = _RedOp("BXOR")
    RedOpType = _RedOp


class ProcessGroup:
    """A set of ranks with its own MPI communicator.

    ``ranks`` are the global ranks of the members, in group-rank order; ``comm`` is
    None on processes outside the group.
    """

    def __init__(self, comm, ranks, timeout, global_rank):
        self.comm = comm
        self.ranks = list(ranks)
        self.timeout = timeout
        self.global_rank = global_rank

    def rank(self):
        return self.ranks.index(self.global_rank) if self.global_rank in self.ranks else -1

    def size(self):
        return len(self.ranks)

    def name(self):
        return "mpi"

    def group_rank(self, global_rank, what):
        """The rank inside this group of a global rank (PyTorch takes global ranks)."""
        if global_rank not in self.ranks:
            raise ValueError(f"{what}: global rank {global_rank} is not part of the group "
                             f"(ranks {self.ranks})")
        return self.ranks.index(global_rank)

    def __repr__(self):
        return f"ProcessGroup(backend=mpi, ranks={self.ranks})"


class GroupMember:
    """``GroupMember.WORLD`` is the default group; ``NON_GROUP_MEMBER`` is what
    ``new_group`` returns on processes outside the new group."""
    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember   # ``dist.group.WORLD`` as in PyTorch

_STATE = {"world": None, "groups": []}


def is_available():
    """True when ``ember.distributed`` can run (mpi4py is installed)."""
    return _backend.available()


def is_mpi_available():
    return _backend.available()


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_torchelastic_launched():
    """True when started by ember's launcher (which sets ``TORCHELASTIC_RUN_ID``)."""
    return "TORCHELASTIC_RUN_ID" in os.environ


def is_initialized():
    """Whether the default process group has been initialized."""
    return _STATE["world"] is not None


def _env_int(name):
    v = os.environ.get(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise ValueError(f"init_process_group: environment variable {name}={v!r} is not an "
                         "integer") from None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default process group: every rank of the MPI job.

    Args:
        backend (str, optional): ``"mpi"`` (``"gloo"``, ``"nccl"`` and ``None`` are
            accepted and also run over MPI, so PyTorch scripts need no change).
        init_method (str, optional): ``"env://"`` (default) or ``"mpi://"``: ranks are
            wired up by ``mpiexec``; the ``RANK``/``WORLD_SIZE`` variables or the
            ``rank``/``world_size`` arguments, when given, must match MPI's.
        timeout (timedelta, optional): how long a collective waits for the other ranks
            before raising ``DistBackendError`` (default 30 minutes, as PyTorch).
        world_size, rank (int, optional): checked against MPI's.

    Example:
        >>> # mpiexec -n 2 python train.py   (or: python -m ember.distributed.run -n 2 train.py)
        >>> import ember.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> dist.get_rank(), dist.get_world_size()
        (0, 2)
    """
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower().split(":")[-1] not in (
            "mpi", "gloo", "nccl", "cpu", "cuda") and "," not in str(backend):
        raise ValueError(f"init_process_group: unknown backend {backend!r} (ember runs over "
                         "MPI: use 'mpi'; 'gloo' and 'nccl' are accepted as aliases)")
    if init_method is not None and not str(init_method).startswith(("env://", "mpi://", "tcp://",
                                                                     "file://")):
        raise ValueError(f"init_process_group: unsupported init_method {init_method!r}")
    if store is not None:
        raise ValueError("init_process_group: ember wires ranks up through MPI and takes no "
                         "store; start the processes with mpiexec instead")
    MPI = mpi()
    world = MPI.COMM_WORLD
    mpi_rank, mpi_size = world.Get_rank(), world.Get_size()
    want_size = world_size if world_size not in (None, -1) else _env_int("WORLD_SIZE")
    want_rank = rank if rank not in (None, -1) else _env_int("RANK")
    if want_size is not None and want_size != mpi_size:
        if mpi_size == 1:
            raise RuntimeError(
                f"init_process_group: world size {want_size} was asked for, but this process "
                "was not started by mpiexec (MPI sees 1 process). Start the ranks with "
                f"`python -m ember.distributed.run -n {want_size} script.py` or "
                f"`mpiexec -n {want_size} python script.py`")
        raise ValueError(f"init_process_group: world_size={want_size} does not match the "
                         f"{mpi_size} processes MPI started")
    if want_rank is not None and want_rank != mpi_rank:
        raise ValueError(f"init_process_group: rank={want_rank} does not match MPI's rank "
                         f"{mpi_rank} for this process")
    seconds = _backend._seconds(timeout) if timeout is not None \
        else default_pg_timeout.total_seconds()
    comm = world.Dup()    # a communicator of our own: user MPI code can't collide with it
    pg = ProcessGroup(comm, range(mpi_size), seconds, mpi_rank)
    _STATE["world"] = pg
    GroupMember.WORLD = pg
    if mpi_size > 1:      # one failing rank must end the others, not leave them waiting
        _backend.install_abort_on_error()
    return None


def _world(what="ember.distributed"):
    pg = _STATE["world"]
    if pg is None:
        raise ValueError(f"{what}: Default process group has not been initialized, please "
                         "make sure to call init_process_group.")
    return pg


def resolve(group, what):
    """The ProcessGroup for ``group`` (None: the world); None if this rank isn't in it."""
    world = _world(what)
    if group is None or group is GroupMember.WORLD:
        return world
    if group is GroupMember.NON_GROUP_MEMBER or group.comm is None:
        return None
    return group


def get_rank(group=None):
    """This process's rank in ``group`` (default: the world); -1 if not a member."""
    pg = _STATE["world"] if group is None else group
    if pg is None:
        raise ValueError("get_rank: Default process group has not been initialized, please "
                         "make sure to call init_process_group.")
    if pg is GroupMember.NON_GROUP_MEMBER:
        return -1
    return pg.rank()


def get_world_size(group=None):
    """The number of processes in ``group`` (default: the world); -1 if not a member."""
    pg = _STATE["world"] if group is None else group
    if pg is None:
        raise ValueError("get_world_size: Default process group has not been initialized, "
                         "please make sure to call init_process_group.")
    if pg is GroupMember.NON_GROUP_MEMBER:
        return -1
    return pg.size()


def get_backend(group=None):
    _world("get_backend")
    return Backend.MPI


def get_global_rank(group, group_rank):
    """The global rank of rank ``group_rank`` of ``group``."""
    return resolve(group, "get_global_rank").ranks[group_rank]


def get_group_rank(group, global_rank):
    return resolve(group, "get_group_rank").group_rank(global_rank, "get_group_rank")


def get_process_group_ranks(group):
    """The global ranks of ``group``'s members, in group-rank order."""
    return list((_world("get_process_group_ranks") if group is None else group).ranks)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of ``group`` has reached this call."""
    pg = resolve(group, "barrier")
    if pg is None:
        return None
    work = _backend.Work([pg.comm.Ibarrier()], "barrier", pg)
    return work if async_op else work.wait() and None


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier that raises ``DistBackendError`` after ``timeout`` (default: the group's)."""
    pg = resolve(group, "monitored_barrier")
    if pg is None:
        return None
    _backend.Work([pg.comm.Ibarrier()], "monitored_barrier", pg).wait(timeout)
    return None


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some ranks with its own communicator. Every rank must call it (in the
    same order), as in PyTorch; non-members get ``GroupMember.NON_GROUP_MEMBER``.

    Example:
        >>> evens = dist.new_group([0, 2])
        >>> if dist.get_rank() in (0, 2):
        ...     dist.all_reduce(t, group=evens)
    """
    world = _world("new_group")
    ranks = sorted(range(world.size())) if ranks is None else sorted(int(r) for r in ranks)
    if len(set(ranks)) != len(ranks) or any(r < 0 or r >= world.size() for r in ranks):
        raise ValueError(f"new_group: ranks {ranks} must be distinct ranks of the world "
                         f"(size {world.size()})")
    MPI = mpi()
    sub = world.comm.group.Incl(ranks)
    comm = world.comm.Create(sub)        # collective over the world, as PyTorch's new_group
    sub.Free()
    seconds = world.timeout if timeout is None else _backend._seconds(timeout)
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, seconds, world.global_rank)
    _STATE["groups"].append(pg)
    return pg


def destroy_process_group(group=None):
    """Leave ``group`` (default: all groups, after which ``is_initialized()`` is False)."""
    world = _STATE["world"]
    if world is None:
        raise ValueError("destroy_process_group: Default process group has not been "
                         "initialized, please make sure to call init_process_group.")
    if group is not None and group is not world:
        if group is not GroupMember.NON_GROUP_MEMBER and group in _STATE["groups"]:
            _STATE["groups"].remove(group)
            group.comm.Free()
            group.comm = None
        return
    for pg in _STATE["groups"]:
        pg.comm.Free()
        pg.comm = None
    _STATE["groups"].clear()
    world.comm.Free()
    world.comm = None
    _STATE["world"] = None
    GroupMember.WORLD = None
    # (the abort-on-error hook stays: MPI stays initialized until the process exits)
