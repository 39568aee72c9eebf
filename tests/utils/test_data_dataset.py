"""Tests of ember.utils.data datasets and samplers (dataset.py, sampler.py)."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch
from ember.utils.data import (BatchSampler, ChainDataset, ConcatDataset, Dataset,
                              IterableDataset, RandomSampler, SequentialSampler, Subset,
                              SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                              random_split)


def T(a):
    return ember.Tensor._wrap(np.asarray(a))


class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def test_tensor_dataset_items_and_len():
    x = T(np.arange(12.0).reshape(6, 2))
    y = T(np.arange(6))
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[4]
    np.testing.assert_array_equal(a.numpy(), [8.0, 9.0])
    assert b.item() == 4 and b.dim() == 0
    batch = ds._batch([5, 0, 2])
    np.testing.assert_array_equal(batch[1].numpy(), [5, 0, 2])
    np.testing.assert_array_equal(batch[0].numpy(), x.numpy()[[5, 0, 2]])


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(T(np.zeros((3, 2))), T(np.zeros(4)))
    with pytest.raises(TypeError):
        TensorDataset([1, 2, 3])


def test_tensor_dataset_accepts_numpy():
    ds = TensorDataset(np.arange(5), np.arange(5) * 2)
    assert ds[2][1].item() == 4


def test_subset_and_concat():
    s = Subset(Range(10), [7, 3, 5])
    assert len(s) == 3 and [s[i] for i in range(3)] == [7, 3, 5]
    assert s.__getitems__([2, 0]) == [5, 7]
    c = ConcatDataset([Range(3), Range(2)])
    assert len(c) == 5 and c.cumulative_sizes == [3, 5]
    assert [c[i] for i in range(5)] == [0, 1, 2, 0, 1]
    assert c[-1] == 1 and c[-5] == 0
    with pytest.raises(IndexError):
        c[5]
    with pytest.raises(ValueError):
        c[-6]
    assert len(Range(2) + Range(4)) == 6
    with pytest.raises(TypeError):
        ConcatDataset([Stream(3)])


def test_chain_dataset():
    assert list(ChainDataset([Stream(2), Stream(3)])) == [0, 1, 0, 1, 2]
    assert list(Stream(2) + Stream(1)) == [0, 1, 0]


def test_random_split_lengths_and_generator():
    parts = random_split(Range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    allidx = sorted(parts[0].indices + parts[1].indices)
    assert allidx == list(range(10))
    again = random_split(Range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices
    other = random_split(Range(10), [3, 7], generator=ember.Generator().manual_seed(2))
    assert other[0].indices != parts[0].indices or other[1].indices != parts[1].indices


def test_random_split_fractions_like_torch():
    # floor(n * f) each, remainder round-robin from the first part
    parts = random_split(Range(11), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [6, 3, 2]
    with pytest.warns(UserWarning):
        parts = random_split(Range(2), [0.9, 0.05, 0.05])
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(Range(10), [3, 3])


def test_random_split_uses_default_generator():
    ember.manual_seed(3)
    a = random_split(Range(20), [10, 10])[0].indices
    ember.manual_seed(3)
    b = random_split(Range(20), [10, 10])[0].indices
    assert a == b


def test_sequential_and_random_sampler():
    assert list(SequentialSampler(Range(4))) == [0, 1, 2, 3]
    g = ember.Generator().manual_seed(0)
    s = RandomSampler(Range(50), generator=g)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(50)) and first != second
    assert len(s) == 50
    g.manual_seed(0)
    assert list(s) == first


def test_random_sampler_num_samples_and_replacement():
    g = ember.Generator().manual_seed(0)
    s = RandomSampler(Range(4), num_samples=10, generator=g)
    out = list(s)
    assert len(out) == 10 and sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3]
    r = list(RandomSampler(Range(3), replacement=True, num_samples=100, generator=g))
    assert len(r) == 100 and set(r) == {0, 1, 2}
    with pytest.raises(ValueError):
        RandomSampler(Range(3), num_samples=0)
    with pytest.raises(TypeError):
        RandomSampler(Range(3), replacement=1)


def test_subset_random_sampler():
    g = ember.Generator().manual_seed(5)
    s = SubsetRandomSampler([10, 20, 30, 40], generator=g)
    assert sorted(s) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_random_sampler():
    g = ember.Generator().manual_seed(0)
    s = WeightedRandomSampler([0.1, 0.0, 0.9], 2000, generator=g)
    out = np.array(list(s))
    assert len(out) == 2000 and not np.any(out == 1)
    assert 0.85 < np.mean(out == 2) < 0.95
    s = WeightedRandomSampler(T([1.0, 1.0, 1.0, 0.0]), 3, replacement=False, generator=g)
    assert sorted(s) == [0, 1, 2]
    with pytest.raises(ValueError):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(ValueError):
        WeightedRandomSampler([-1.0, 2.0], 2)
    with pytest.raises(ValueError):
        WeightedRandomSampler([1.0], 0)


def test_batch_sampler():
    b = BatchSampler(SequentialSampler(Range(7)), 3, drop_last=False)
    assert list(b) == [[0, 1, 2], [3, 4, 5], [6]] and len(b) == 3
    b = BatchSampler(SequentialSampler(Range(7)), 3, drop_last=True)
    assert list(b) == [[0, 1, 2], [3, 4, 5]] and len(b) == 2
    assert list(BatchSampler(range(4), 2, False)) == [[0, 1], [2, 3]]
    with pytest.raises(ValueError):
        BatchSampler(range(4), 0, False)
    with pytest.raises(ValueError):
        BatchSampler(range(4), 2, drop_last=None)


def test_samplers_match_torch_semantics_shapes():
    torch = require_torch()
    tds = torch.utils.data
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False)]:
        ours = list(BatchSampler(SequentialSampler(Range(n)), bs, drop))
        theirs = list(tds.BatchSampler(tds.SequentialSampler(range(n)), bs, drop))
        assert ours == theirs
    for lengths, n in [([0.5, 0.3, 0.2], 11), ([0.34, 0.33, 0.33], 10), ([0.7, 0.3], 7)]:
        ours = [len(p) for p in random_split(Range(n), lengths)]
        theirs = [len(p) for p in tds.random_split(range(n), lengths)]
        assert ours == theirs


def test_tensor_dataset_keeps_autograd():
    w = ember.Tensor._wrap(np.arange(6.0).reshape(3, 2), requires_grad=True)
    ds = TensorDataset(w, T(np.arange(3)))
    batch = ds._batch([2, 0])
    assert batch[0].requires_grad
    batch[0].sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [1, 1]])


def test_public_import_paths():
    import ember.utils.data as data
    assert ember.utils.data is data
    for name in ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
                 "random_split", "SequentialSampler", "RandomSampler", "BatchSampler",
                 "WeightedRandomSampler", "SubsetRandomSampler", "DataLoader",
                 "default_collate", "get_worker_info"]:
        assert hasattr(data, name), name
