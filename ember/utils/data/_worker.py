"""The worker-process side of a multi-process DataLoader.

Each worker reads ``(task_id, indices)`` from its own index queue, fetches and
collates the batch, and puts ``(task_id, pickled batch)`` on the shared result queue
(pickled in the worker so that an unpicklable batch becomes a clear error rather
than a lost message).
Errors travel back as an :class:`ExceptionWrapper` holding the worker's traceback,
re-raised in the main process. Each worker is seeded with ``base_seed + worker_id``
(ember, ``random`` and NumPy's legacy global RNG) and limits BLAS to one thread.
"""
import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

import ember

__all__ = ["WorkerInfo", "get_worker_info"]

POLL_INTERVAL = 1.0  # seconds between liveness checks while waiting on a queue


class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: ``id``,
    ``num_workers``, ``seed`` and ``dataset`` (this worker's copy)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, "
                f"seed={self.seed}, dataset={type(self.dataset).__name__})")


_worker_info = None


def get_worker_info():
    """Information about the current DataLoader worker process, or None in the main
    process.

    Returns:
        WorkerInfo or None: ``id`` (0..num_workers-1), ``num_workers``, ``seed``
        (``base_seed + id``) and ``dataset``, as in PyTorch.

    Example:
        >>> get_worker_info() is None   # in the main process
        True
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its
    formatted traceback."""

    def __init__(self, exc_info, where):
        exc_type = exc_info[0]
        try:  # a class that cannot travel (defined in a function) becomes RuntimeError
            pickle.loads(pickle.dumps(exc_type))
        except Exception:
            exc_type = RuntimeError
        self.exc_type = exc_type
        self.msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.msg}"
        if self.exc_type is KeyError:  # KeyError would repr() the message
            raise KeyError(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            exc = None
        if not isinstance(exc, BaseException):
            raise RuntimeError(msg)
        raise exc


class _IterableExhausted:
    """Result marker: this worker's iterable dataset has no more data."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Index-queue / result-queue marker used by persistent workers between epochs."""

    def __init__(self, worker_id=None):
        self.worker_id = worker_id


class _PackedTensor:
    """An ember Tensor reduced to its array for the trip through a queue."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __reduce__(self):
        return (_PackedTensor, (self.array,))


def pack(obj):
    """Replace ember Tensors inside lists/tuples/dicts with picklable arrays."""
    if isinstance(obj, ember.Tensor):
        data = obj._data
        return _PackedTensor(data if isinstance(data, np.ndarray) else obj.numpy())
    if type(obj) in (list, tuple):
        return type(obj)(pack(x) for x in obj)
    if type(obj) is dict:
        return {k: pack(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(pack(x) for x in obj))
    return obj


def unpack(obj):
    """Inverse of :func:`pack`, run in the main process."""
    if type(obj) is _PackedTensor:
        return ember.Tensor._wrap(obj.array)
    if type(obj) in (list, tuple):
        return type(obj)(unpack(x) for x in obj)
    if type(obj) is dict:
        return {k: unpack(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(unpack(x) for x in obj))
    return obj


class MapFetcher:
    """Fetches a batch (or one sample) of a map-style dataset."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        from ._collate import default_collate
        from .dataset import TensorDataset
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.fast = (auto_collation and collate_fn is default_collate
                     and type(dataset) is TensorDataset)
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if auto_collation else None

    def fetch(self, index):
        if self.fast:
            return self.dataset._batch(index)
        if self.auto_collation:
            if self.getitems is not None:
                data = self.getitems(index)
            else:
                ds = self.dataset
                data = [ds[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterFetcher:
    """Fetches a batch (or one sample) from an iterator over an iterable dataset."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.it = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.it)
        return self.collate_fn(data)


def make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = IterFetcher if is_iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def limit_blas_threads():
    """One thread for everything in a worker process: ember's own parallel work
    (``ember.set_num_threads(1)``) and every BLAS/OpenMP pool already loaded (NumPy's
    OpenBLAS, PyTorch's if the dataset loaded it) through threadpoolctl when installed;
    the usual environment variables for libraries loaded later. The workers run beside
    the training process on the same cores: more threads there only steal its cycles."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = "1"
    ember.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    try:  # explicit: a forked worker inherits whatever count the parent had set
        threadpool_limits(limits=1)
    except Exception:  # noqa: BLE001 -- a limiter failure must not kill the worker
        return None
    return True


def seed_worker(seed):
    random.seed(seed)
    ember.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))


def worker_loop(dataset, index_queue, result_queue, done_event, is_iterable,
                auto_collation, collate_fn, drop_last, base_seed, init_fn, worker_id,
                num_workers, persistent_workers, parent_pid):
    """Body of a worker process (see the module docstring)."""
    global _worker_info
    try:
        limit_blas_threads()
        seed = base_seed + worker_id
        seed_worker(seed)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                   drop_last)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(),
                                          f"in DataLoader worker process {worker_id}")
        exhausted = False
        while True:
            try:
                task = index_queue.get(timeout=POLL_INTERVAL)
            except queue.Empty:
                if done_event.is_set() or os.getppid() != parent_pid:
                    break
                continue
            if task is None:
                break
            if isinstance(task, _ResumeIteration):
                exhausted = False
                if init_error is None:
                    try:
                        fetcher = make_fetcher(is_iterable, dataset, auto_collation,
                                               collate_fn, drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(
                            sys.exc_info(), f"in DataLoader worker process {worker_id}")
                result_queue.put((_ResumeIteration(worker_id), None))
                continue
            if done_event.is_set():
                continue  # draining before shutdown
            task_id, index = task
            if init_error is not None:
                data, init_error = init_error, None
                exhausted = is_iterable
            elif exhausted:
                data = _IterableExhausted(worker_id)
            else:
                try:
                    data = pickle.dumps(pack(fetcher.fetch(index)),
                                        protocol=pickle.HIGHEST_PROTOCOL)
                except StopIteration:
                    if not is_iterable:
                        raise
                    exhausted = True
                    data = _IterableExhausted(worker_id)
                except Exception:
                    data = ExceptionWrapper(sys.exc_info(),
                                            f"in DataLoader worker process {worker_id}")
            result_queue.put((task_id, data))
            del data, task, index
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        result_queue.cancel_join_thread()
    result_queue.close()
