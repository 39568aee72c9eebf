"""Tests of DataLoader in the main process and with worker processes
(ember/utils/data/dataloader.py, _worker.py)."""
import os
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              SequentialSampler, TensorDataset, get_worker_info)


def T(a):
    return ember.Tensor._wrap(np.asarray(a))


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


class Noisy(Dataset):
    """Items carry a random draw from ember's default generator (as transforms do)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return float(ember.random.get_numpy_rng(None).random())


class WorkerId(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = get_worker_info()
        return (-1 if info is None else info.id, os.getpid(), -1 if info is None else info.seed)


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample 5")
        return i


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(1.5)
        return i


class Shards(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def labels(loader):
    return [b[1].numpy().tolist() for b in loader]


def test_batches_and_len():
    dl = DataLoader(Squares(10), batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 2) and x.dtype == ember.float32 and y.dtype == ember.int64
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2, 3])
    assert labels(DataLoader(Squares(10), batch_size=4, drop_last=True)) == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Squares(10), batch_size=4, drop_last=True)) == 2


def test_batch_size_none_and_custom_collate():
    items = list(DataLoader(Squares(3), batch_size=None))
    assert isinstance(items[0][0], ember.Tensor) and items[0][1] == 0
    dl = DataLoader(Squares(5), batch_size=2, collate_fn=lambda b: [i for _, i in b])
    assert list(dl) == [[0, 1], [2, 3], [4]]


def test_sampler_and_batch_sampler():
    dl = DataLoader(Squares(6), sampler=[5, 4, 3], batch_size=2)
    assert labels(dl) == [[5, 4], [3]]
    bs = BatchSampler(SequentialSampler(range(5)), 2, drop_last=True)
    assert labels(DataLoader(Squares(5), batch_sampler=bs)) == [[0, 1], [2, 3]]


def test_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Squares(4), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(Squares(4), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(Squares(4), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Squares(4), num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(Squares(4), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(Squares(4), persistent_workers=True)
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Shards(4), shuffle=True)
    dl = DataLoader(Squares(4))
    with pytest.raises(ValueError, match="should not be set"):
        dl.batch_size = 3


def test_shuffle_reproducible_and_generator():
    ember.manual_seed(7)
    a = labels(DataLoader(Squares(20), batch_size=5, shuffle=True))
    ember.manual_seed(7)
    b = labels(DataLoader(Squares(20), batch_size=5, shuffle=True))
    assert a == b and sorted(sum(a, [])) == list(range(20)) and sum(a, []) != list(range(20))
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    c = labels(DataLoader(Squares(20), batch_size=5, shuffle=True, generator=g1))
    ember.manual_seed(99)
    d = labels(DataLoader(Squares(20), batch_size=5, shuffle=True, generator=g2))
    assert c == d
    dl = DataLoader(Squares(20), batch_size=5, shuffle=True)
    assert labels(dl) != labels(dl)  # a new order every epoch


def test_tensor_dataset_fast_path(monkeypatch):
    x = T(np.arange(20.0).reshape(10, 2))
    y = T(np.arange(10))
    ds = TensorDataset(x, y)

    def boom(self, i):
        raise AssertionError("per-item path used")

    monkeypatch.setattr(TensorDataset, "__getitem__", boom)
    ember.manual_seed(0)
    batches = list(DataLoader(ds, batch_size=4, shuffle=True))
    assert isinstance(batches[0], list) and len(batches[0]) == 2
    order = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(order.tolist()) == list(range(10))
    for bx, by in batches:
        np.testing.assert_array_equal(bx.numpy(), x.numpy()[by.numpy()])
    monkeypatch.undo()
    # same batches as the generic per-item path
    ember.manual_seed(0)
    slow = list(DataLoader(ds, batch_size=4, shuffle=True, collate_fn=lambda b: __import__(
        "ember").utils.data.default_collate(b)))
    for (a1, b1), (a2, b2) in zip(batches, slow):
        np.testing.assert_array_equal(a1.numpy(), a2.numpy())
        np.testing.assert_array_equal(b1.numpy(), b2.numpy())


def test_workers_same_batches_as_main_process():
    ember.manual_seed(1)
    main = labels(DataLoader(Squares(23), batch_size=4, shuffle=True))
    ember.manual_seed(1)
    work = labels(DataLoader(Squares(23), batch_size=4, shuffle=True, num_workers=2))
    assert main == work


def test_worker_info_and_seeds():
    seen = []
    dl = DataLoader(WorkerId(), batch_size=1, num_workers=2,
                    worker_init_fn=lambda wid: seen.append(wid))
    rows = [tuple(int(v) for v in (b[0].item(), b[1].item(), b[2].item())) for b in dl]
    ids = {r[0] for r in rows}
    pids = {r[1] for r in rows}
    assert ids == {0, 1} and len(pids) == 2 and os.getpid() not in pids
    seeds = {r[0]: r[2] for r in rows}
    assert seeds[1] == seeds[0] + 1
    # round-robin: batch k comes from worker k % 2, in order
    assert [r[0] for r in rows] == [0, 1, 0, 1, 0, 1]
    assert get_worker_info() is None


def test_worker_randomness_reproducible():
    def run(workers):
        ember.manual_seed(5)
        return [b.numpy().tolist() for b in DataLoader(Noisy(), batch_size=2,
                                                        num_workers=workers)]
    a, b = run(2), run(2)
    assert a == b
    flat = sum(a, [])
    assert len(set(flat)) == len(flat)  # workers draw different streams
    ember.manual_seed(6)
    c = [x.numpy().tolist() for x in DataLoader(Noisy(), batch_size=2, num_workers=2)]
    assert c != a


def test_worker_exception_reraised_with_traceback():
    dl = DataLoader(Failing(), batch_size=2, num_workers=2)
    it = iter(dl)
    assert next(it).numpy().tolist() == [0, 1]
    assert next(it).numpy().tolist() == [2, 3]
    with pytest.raises(ValueError) as info:
        next(it)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0" in msg
    assert "bad sample 5" in msg and "Traceback" in msg and "__getitem__" in msg
    assert next(it).numpy().tolist() == [6, 7]
    with pytest.raises(StopIteration):
        next(it)


def test_main_process_exception_plain():
    with pytest.raises(ValueError, match="bad sample 5"):
        list(DataLoader(Failing(), batch_size=2))


def test_timeout():
    dl = DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.3)
    with pytest.raises(RuntimeError, match="timed out"):
        next(iter(dl))


def test_early_break_shuts_workers_down():
    dl = DataLoader(Squares(100), batch_size=2, num_workers=2)
    it = iter(dl)
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    it._shutdown_workers()
    assert not any(w.is_alive() for w in workers)
    with pytest.raises(StopIteration):
        next(it)


def test_workers_exit_after_epoch():
    dl = DataLoader(Squares(10), batch_size=4, num_workers=2)
    it = iter(dl)
    list(it)
    assert not any(w.is_alive() for w in it._workers)


def test_persistent_workers():
    dl = DataLoader(WorkerId(), batch_size=2, num_workers=2, persistent_workers=True)
    first = [set(b[1].numpy().tolist()) for b in dl]
    pids1 = set().union(*first)
    it = dl._iterator
    second = [set(b[1].numpy().tolist()) for b in dl]
    assert dl._iterator is it and set().union(*second) == pids1
    assert all(w.is_alive() for w in it._workers)
    # break mid-epoch, then a full epoch still yields everything in order
    for _ in dl:
        break
    assert [len(s) for s in second] == [1, 1, 1]
    assert sum(len(b[0]) for b in dl) == 6
    it._shutdown_workers()


def test_iterable_dataset_single_and_workers():
    assert [b.numpy().tolist() for b in DataLoader(Shards(7), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    out = [b.numpy().tolist() for b in DataLoader(Shards(7), batch_size=2, num_workers=2)]
    flat = sorted(sum(out, []))
    assert flat == list(range(7))
    # worker 0 yields 0,2,4,6 and worker 1 yields 1,3,5 -> batches alternate
    assert out[:3] == [[0, 2], [1, 3], [4, 6]]
    dl = DataLoader(Shards(7), batch_size=2, num_workers=2, drop_last=True)
    assert sorted(sum([b.numpy().tolist() for b in dl], [])) == [0, 1, 2, 3, 4, 6]


class Threads(Dataset):
    def __len__(self):
        return 1

    def __getitem__(self, i):
        from threadpoolctl import threadpool_info
        import ember
        return max([d["num_threads"] for d in threadpool_info()] or [1]), ember.get_num_threads()


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_workers_run_blas_and_ember_on_one_thread(context, monkeypatch):
    """Even when the parent runs BLAS on 2 threads and ember on 3 (a forked worker would
    inherit both, a spawned one would get the defaults)."""
    tpc = pytest.importorskip("threadpoolctl")
    import ember.threads
    monkeypatch.setattr(ember.threads, "_requested", ember.threads._requested)  # restored after
    ember.set_num_threads(3)
    with tpc.threadpool_limits(limits=2, user_api="blas"):
        dl = DataLoader(Threads(), batch_size=None, num_workers=1,
                        multiprocessing_context=context)
        assert [tuple(int(v) for v in b) for b in dl] == [(1, 1)]
    assert ember.get_num_threads() == 3   # the parent keeps its own setting


def test_spawn_context_works():
    dl = DataLoader(TensorDataset(T(np.arange(6))), batch_size=3, num_workers=1,
                    multiprocessing_context="spawn")
    assert [b[0].numpy().tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]]


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            os._exit(3)
        return i


def test_dead_worker_is_reported():
    dl = DataLoader(Dies(), batch_size=1, num_workers=1)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(dl)


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class RaisesOdd(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise TwoArgError("x", "y")


def test_unpicklable_batch_and_odd_exceptions_become_errors():
    dl = DataLoader(Squares(4), batch_size=2, num_workers=1,
                    collate_fn=lambda b: (lambda: b))  # a lambda cannot be pickled
    with pytest.raises(Exception, match="DataLoader worker process 0"):
        next(iter(dl))
    with pytest.raises(RuntimeError, match="TwoArgError"):
        next(iter(DataLoader(RaisesOdd(), num_workers=1)))
