"""DataLoader: batches from a dataset, in the main process or in worker processes.

Same constructor and semantics as ``torch.utils.data.DataLoader``. Differences:
``pin_memory`` and ``pin_memory_device`` are accepted and ignored (there is no
pinned memory on NumPy). With ``num_workers > 0`` the workers are processes
(``fork`` on Linux, the platform default elsewhere, or ``multiprocessing_context``);
batches come back in sampler order.

Randomness: each iterator draws a base seed from ``generator`` (default:
``ember.default_generator``) when it starts, as PyTorch does; worker ``i`` is seeded
with ``base_seed + i``. The shuffle order comes from ``generator`` too, so after
``ember.manual_seed(s)`` a run is reproducible for any ``num_workers``.
"""
import itertools
import multiprocessing as mp
import pickle
import queue
import os
import sys

import ember

from . import _worker
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]


class _InfiniteConstantSampler(Sampler):
    """The 'sampler' of an iterable dataset: yields None forever."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    if sys.platform.startswith("linux"):
        return mp.get_context("fork")
    return mp.get_context()


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset (Dataset or IterableDataset): where samples come from.
        batch_size (int or None): samples per batch (default 1); None disables
            automatic batching (each item is one sample, converted by
            ``default_convert``).
        shuffle (bool): reshuffle at every epoch (map-style datasets only).
        sampler (Sampler or iterable): the order of indices (excludes ``shuffle``).
        batch_sampler (Sampler or iterable): yields lists of indices (excludes
            ``batch_size``, ``shuffle``, ``sampler``, ``drop_last``).
        num_workers (int): worker processes (0: load in the main process).
        collate_fn (callable): list of samples -> batch (default ``default_collate``).
        pin_memory (bool): accepted for compatibility; ignored.
        drop_last (bool): drop the last incomplete batch.
        timeout (float): seconds to wait for a batch from the workers (0: forever).
        worker_init_fn (callable): called as ``worker_init_fn(worker_id)`` in each
            worker after seeding.
        multiprocessing_context (str or context): e.g. ``"spawn"``.
        generator (ember.Generator): source of the shuffle order and worker seeds.
        prefetch_factor (int): batches loaded ahead per worker (default 2 when
            ``num_workers > 0``).
        persistent_workers (bool): keep the workers alive between epochs.
        in_order (bool): accepted for compatibility; batches always come back in
            sampler order.

    A :class:`TensorDataset` with the default collate is batched by indexing each
    tensor once with the batch's indices.

    Example:
        >>> ds = TensorDataset(ember.randn(10, 3), ember.arange(10))
        >>> for x, y in DataLoader(ds, batch_size=4, shuffle=True):
        ...     print(x.shape, y.shape)
        ember.Size([4, 3]) ember.Size([4])
        ember.Size([4, 3]) ember.Size([4])
        ember.Size([2, 3]) ember.Size([2])
    """

    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
               "persistent_workers")

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None,
                 batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False,
                 drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing, got "
                             f"{num_workers!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got "
                             f"{timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified "
                             "in multiprocessing; let num_workers > 0 to enable "
                             "multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("DataLoader: prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler="
                                 f"{batch_sampler}")
        else:
            self._dataset_kind = "map"
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive "
                                 "with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching "
                             "and is mutually exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in self._frozen:
            raise ValueError(f"DataLoader: {name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind == "iterable":
            n = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return n // self.batch_size
                return -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __del__(self):
        it = self.__dict__.get("_iterator")
        if it is not None:
            it._shutdown_workers()


def _draw_base_seed(generator):
    return int(ember.random.get_numpy_rng(generator).integers(0, 2 ** 62))


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._is_iterable = loader._dataset_kind == "iterable"
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._generator = loader.generator
        self._num_yielded = 0
        self._loader_len = None
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._base_seed = _draw_base_seed(loader.generator)

    def _next_index(self):
        return next(self._sampler_iter)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler) if not self._is_iterable else len(self._dataset)

    def _shutdown_workers(self):
        pass


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _worker.make_fetcher(self._is_iterable, self._dataset,
                                             self._auto_collation, self._collate_fn,
                                             self._drop_last)

    def __next__(self):
        index = self._next_index()
        data = self._fetcher.fetch(index)
        self._num_yielded += 1
        return data


class _MultiProcessIter(_BaseIter):
    """Worker processes with per-worker index queues, one result queue, up to
    ``prefetch_factor * num_workers`` tasks in flight, results in order."""

    def __init__(self, loader):
        self._workers = []
        self._shutdown = False
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = _default_context()
        elif isinstance(ctx, str):
            ctx = mp.get_context(ctx)
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues = []
        parent = os.getpid()
        for wid in range(self._num_workers):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=_worker.worker_loop,
                            args=(self._dataset, iq, self._result_queue, self._done_event,
                                  self._is_iterable, self._auto_collation,
                                  self._collate_fn, self._drop_last, self._base_seed,
                                  loader.worker_init_fn, wid, self._num_workers,
                                  self._persistent, parent),
                            daemon=True)
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._start_epoch()

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        if first_iter:
            return
        # persistent workers: discard what is still in flight, restart each fetcher
        for iq in self._index_queues:
            iq.put(_worker._ResumeIteration())
        pending = self._num_workers
        while pending > 0:
            task_id, data = self._get_result()
            if isinstance(task_id, _worker._ResumeIteration):
                pending -= 1
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = 0          # next task id to hand out
        self._rcvd_idx = 0          # next task id to return
        self._task_worker = {}      # task id -> worker id, for tasks in flight
        self._results = {}          # task id -> data, arrived out of order
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        if self._sampler_done or not any(self._active):
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_worker[self._send_idx] = wid
        self._send_idx += 1

    def _get_result(self):
        waited = 0.0
        while True:
            step = _worker.POLL_INTERVAL
            if self._timeout > 0:
                step = min(step, self._timeout - waited)
            try:
                return self._result_queue.get(timeout=max(step, 1e-3))
            except queue.Empty:
                waited += step
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    pids = ", ".join(str(w.pid) for w in dead)
                    codes = ", ".join(str(w.exitcode) for w in dead)
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited "
                                       f"unexpectedly (exit code(s) {codes})") from None
                if self._timeout > 0 and waited >= self._timeout:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} "
                                       "seconds waiting for a batch from its workers") \
                        from None

    def __next__(self):
        while True:
            if self._shutdown:
                raise StopIteration
            # skip tasks whose worker had nothing left (iterable datasets)
            while self._rcvd_idx < self._send_idx:
                data = self._results.get(self._rcvd_idx)
                if isinstance(data, _worker._IterableExhausted):
                    del self._results[self._rcvd_idx]
                    self._rcvd_idx += 1
                    continue
                break
            if self._rcvd_idx in self._results:
                data = self._results.pop(self._rcvd_idx)
                del self._task_worker[self._rcvd_idx]
                self._rcvd_idx += 1
                self._try_put_index()
                return self._process(data)
            if self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            task_id, data = self._get_result()
            if isinstance(task_id, _worker._ResumeIteration):
                continue
            if isinstance(data, _worker._IterableExhausted):
                self._active[data.worker_id] = False
                # hand its share of the prefetch budget to the remaining workers
                self._try_put_index()
            self._results[task_id] = data

    def _process(self, data):
        self._num_yielded += 1
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return _worker.unpack(pickle.loads(data))

    def _shutdown_workers(self):
        if self._shutdown or not self._workers:
            self._shutdown = True
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for iq in self._index_queues:
                try:
                    iq.put(None)
                except (OSError, ValueError):
                    pass
            for w in self._workers:
                w.join(timeout=5.0)
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
            for iq in self._index_queues:
                iq.close()
            self._result_queue.cancel_join_thread()
            self._result_queue.close()
        except Exception:  # noqa: BLE001 -- best effort during interpreter teardown
            pass

    def __del__(self):
        self._shutdown_workers()
