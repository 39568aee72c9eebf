"""The MPI layer under ``ember.distributed``: mpi4py access, tensor buffers, ``Work``.

Every collective is started non-blocking (``Iallreduce``, ``Ibcast``, ...) and waited
for by ``wait_all``, which polls with short sleeps and raises after the process
group's timeout. So a rank that crashed or skipped a collective ends the others with
an error naming the op, never a silent hang, and waiting ranks don't spin a core at
100% (MPICH's own blocking waits busy-poll, which hurts when ranks share cores).

Tensors are handed to MPI as their own contiguous NumPy buffers (in place, no
pickling). A non-contiguous tensor, a GPU tensor, or a dtype MPI can't reduce is
copied to a contiguous host buffer and copied back when the op completes.
"""
import os
import sys
import time

import numpy as np

__all__ = ["mpi", "DistError", "DistBackendError", "DistNetworkError", "DistStoreError",
           "Work", "Future", "wait_all", "Buffer"]


class DistError(RuntimeError):
    """Base class of ember.distributed's errors (PyTorch's name)."""


class DistBackendError(DistError):
    """The communication backend failed or timed out (PyTorch's name)."""


class DistNetworkError(DistError):
    """A network error (PyTorch's name)."""


class DistStoreError(DistError):
    """A store error (PyTorch's name; ember keeps no store, MPI wires the ranks up)."""


_MPI = None


def mpi():
    """The ``mpi4py.MPI`` module, imported on first use (importing it starts MPI)."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "ember.distributed needs mpi4py and an MPI library: "
                "pip install 'ember[dist]' (installs mpi4py and the mpich wheel, which "
                f"provides mpiexec) ({e})") from None
        _MPI = MPI
    return _MPI


def available():
    """Whether mpi4py can be imported (without starting MPI)."""
    if _MPI is not None:
        return True
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def wait_all(reqs, what, timeout, rank, statuses=None):
    """Wait for MPI requests, polling; raise ``DistBackendError`` after ``timeout`` s.

    MPI moves a non-blocking operation forward only while a rank polls it, so for the
    first 2 ms this polls continuously (as MPI's own blocking calls do); then it yields
    the core between polls (``sched_yield``: with more ranks than cores the busy ranks
    get it), and after a second of waiting (another rank is busy elsewhere, e.g.
    evaluating) sleeps 1 ms between polls.
    """
    MPI = mpi()
    test = MPI.Request.Testall
    if not reqs or test(reqs, statuses):
        return
    start = time.monotonic()
    polls = 0
    while not test(reqs, statuses):
        polls += 1
        if polls & 63:
            continue
        waited = time.monotonic() - start
        if waited > timeout:
            raise DistBackendError(
                f"ember.distributed: {what} on rank {rank} timed out after {timeout:g} s "
                "waiting for the other ranks (one of them crashed, hangs, or did not call "
                "the same collective in the same order)")
        if waited > 1.0:
            time.sleep(1e-3)
        elif waited > 2e-3:
            _yield()


_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


class Work:
    """The handle of an asynchronous operation (``async_op=True``, ``isend``, ``irecv``).

    ``wait()`` blocks until the operation completes (then the tensors hold the result)
    and returns True; ``is_completed()`` checks without blocking.

    Example:
        >>> work = dist.all_reduce(t, async_op=True)
        >>> ...                                   # compute meanwhile
        >>> work.wait()
        True
    """

    def __init__(self, reqs, what, group, finish=None, result=None, statuses=None):
        self._reqs = list(reqs)
        self._what = what
        self._group = group
        self._finish = finish
        self._result = result
        self._done = False
        self._statuses = statuses   # MPI statuses, filled in for receives

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()
                self._finish = None

    def wait(self, timeout=None):
        """Block until done; ``timeout`` (seconds or timedelta) overrides the group's."""
        if not self._done:
            t = self._group.timeout if timeout is None else _seconds(timeout)
            wait_all(self._reqs, self._what, t, self._group.global_rank, self._statuses)
            self._complete()
        return True

    def is_completed(self):
        """True once the operation has finished (tests the requests; never blocks)."""
        if not self._done and mpi().Request.Testall(self._reqs, self._statuses):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def exception(self):
        return None

    def result(self):
        """The tensors the operation wrote (a list, as PyTorch's ``Work.result``)."""
        self.wait()
        return list(self._result or [])

    def source_rank(self):
        """For a receive: the global rank the message came from."""
        self.wait()
        if not self._statuses:
            return None
        return self._group.ranks[self._statuses[0].Get_source()]

    def get_future(self):
        """A ``Future`` whose value is ``result()`` (the list of written tensors)."""
        return Future(self)


class Future:
    """A value that becomes available later (PyTorch's ``torch.futures.Future``, for
    ``Work.get_future()`` and DDP communication hooks).

    ``wait()``/``value()`` give the value (finishing the operation behind it first);
    ``then(fn)`` returns a future of ``fn(this_future)``; ``set_result`` fills a future
    made with ``Future()``.
    """

    _UNSET = object()

    def __init__(self, work=None, parent=None, callback=None):
        self._work, self._parent, self._callback = work, parent, callback
        self._value = Future._UNSET

    def wait(self):
        if self._value is Future._UNSET:
            if self._work is not None:
                self._value = self._work.result()
            elif self._parent is not None:
                self._parent.wait()
                self._value = self._callback(self._parent)
            else:
                raise RuntimeError("Future.wait: the future has no result yet (set_result)")
        return self._value

    value = wait

    def done(self):
        if self._value is not Future._UNSET:
            return True
        if self._work is not None:
            return self._work.is_completed()
        return self._parent is not None and self._parent.done()

    def then(self, callback):
        """A future of ``callback(self)``, run when this one's value is needed."""
        return Future(parent=self, callback=callback)

    def set_result(self, result):
        self._value = result


def _seconds(timeout):
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


class Buffer:
    """A tensor's storage as a contiguous host NumPy buffer for MPI.

    ``Buffer(t).array`` is ``t``'s own array when it is a contiguous NumPy array (MPI
    reads/writes it in place); otherwise a contiguous copy, and ``write_back()`` copies
    the result into the tensor. ``bool`` tensors are reduced with logical ops (SUM and
    MAX are OR, PRODUCT and MIN are AND), as PyTorch does.
    """

    def __init__(self, tensor, what, copy_in=True):
        if not hasattr(tensor, "_data"):
            raise TypeError(f"{what}: expected an ember Tensor, got {type(tensor).__name__}")
        self.tensor = tensor
        a = tensor._data
        self.copied = type(a) is not np.ndarray or not a.flags.c_contiguous \
            or not a.flags.writeable
        if type(a) is not np.ndarray:      # a GPU array: stage through host memory
            self.array = np.ascontiguousarray(a.get()) if copy_in \
                else np.empty(a.shape, dtype=a.dtype)
        elif self.copied:
            self.array = np.ascontiguousarray(a) if copy_in else np.empty(a.shape, dtype=a.dtype)
        else:
            self.array = a

    def write_back(self):
        if self.copied:
            a = self.tensor._data
            if type(a) is np.ndarray:
                a[...] = self.array
            else:
                import cupy
                a[...] = cupy.asarray(self.array)


def mpi_op(op, dtype, what):
    """The MPI reduction for a ``ReduceOp`` on arrays of ``dtype`` (AVG is SUM + divide)."""
    MPI = mpi()
    name = op.name if hasattr(op, "name") else str(op).upper()
    if dtype == np.bool_:
        table = {"SUM": MPI.LOR, "MAX": MPI.LOR, "PRODUCT": MPI.LAND, "MIN": MPI.LAND}
        if name not in table:
            raise ValueError(f"{what}: ReduceOp.{name} is not supported for bool tensors")
        return table[name]
    table = {"SUM": MPI.SUM, "AVG": MPI.SUM, "MAX": MPI.MAX, "MIN": MPI.MIN,
             "PRODUCT": MPI.PROD, "BAND": MPI.BAND, "BOR": MPI.BOR, "BXOR": MPI.BXOR}
    if name not in table:
        raise ValueError(f"{what}: unknown reduction {op!r}")
    if name == "AVG" and dtype.kind not in "fc":
        raise ValueError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if name in ("BAND", "BOR", "BXOR") and dtype.kind not in "iub":
        raise ValueError(f"{what}: ReduceOp.{name} needs an integer tensor, got {dtype}")
    return table[name]


_LAUNCHER_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


def launched_by_mpi():
    """Whether this process is a rank of an MPI job of several processes."""
    size = os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE") or "1"
    return any(v in os.environ for v in _LAUNCHER_RANK_VARS) and size.isdigit() and int(size) > 1


# seconds between a failed rank's last words and MPI_Abort, for mpiexec to forward them
_ABORT_GRACE_S = 0.3


def install_abort_on_error():
    """Make an uncaught exception on any rank abort the whole MPI job (idempotent).

    Without this, a rank that dies with a Python exception leaves the others blocked in
    their next collective (and MPI_Finalize at exit waits too), or -- if it dies before
    MPI starts -- in MPI_Init: the job hangs. The hook prints the traceback, starts MPI
    if needed (that completes once the other ranks reach MPI_Init) and calls
    ``MPI_Abort``, which ends every rank. ``python -m mpi4py`` does the same. Installed
    when ``ember.distributed`` is imported in a multi-process MPI job, and by
    ``init_process_group``. Returns the previous hook.
    """
    previous = sys.excepthook
    if getattr(previous, "_ember_abort", False):
        return previous

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            previous(exc_type, exc, tb)
            return
        text = ""
        if previous is sys.__excepthook__:
            # the traceback and the notice in ONE write, then a moment before MPI_Abort:
            # mpiexec forwards a rank's output asynchronously and the abort can cut it off
            # (a traceback printed line by line arrived as its first line only)
            import traceback
            text = "".join(traceback.format_exception(exc_type, exc, tb))
        else:
            previous(exc_type, exc, tb)
        try:
            world = mpi().COMM_WORLD
            sys.stderr.write(text + f"ember.distributed: rank {world.Get_rank()} failed with "
                             f"{exc_type.__name__}; aborting all ranks\n")
            sys.stderr.flush()
            time.sleep(_ABORT_GRACE_S)
        finally:
            mpi().COMM_WORLD.Abort(1)

    hook._ember_abort = True
    sys.excepthook = hook
    return previous
