"""Datasets: the map-style and iterable protocols and the standard combinators.

Same names and semantics as ``torch.utils.data``: a map-style :class:`Dataset`
implements ``__getitem__`` and ``__len__``; an :class:`IterableDataset` implements
``__iter__``. :func:`random_split` draws its permutation from an ``ember.Generator``.
"""
import bisect
import math
import warnings
from itertools import accumulate

import numpy as np

import ember

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: ``dataset[i]`` gives sample ``i``.

    Subclasses implement ``__getitem__(index)`` and usually ``__len__()`` (needed by
    the default samplers). They may also implement ``__getitems__(indices)`` returning
    a list of samples, which the DataLoader then uses to fetch a whole batch at once.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 10
        ...     def __getitem__(self, i): return i * i
        >>> Squares()[3]
        9
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets that are streams: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy of the
    dataset; use :func:`ember.utils.data.get_worker_info` inside ``__iter__`` to give
    each worker its own share of the stream (as in PyTorch).

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self): return iter(range(4))
        >>> list(Count())
        [0, 1, 2, 3]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


def _first_dim(t):
    shape = t.shape
    if len(shape) == 0:
        raise ValueError("TensorDataset: tensors must have at least one dimension, "
                         "got a 0-d tensor")
    return shape[0]


class TensorDataset(Dataset):
    """Dataset of tensors that share their first dimension: sample ``i`` is
    ``tuple(t[i] for t in tensors)``.

    Args:
        *tensors: ember Tensors (NumPy arrays are accepted and wrapped as Tensors)
            with the same size in dimension 0.

    The DataLoader batches a TensorDataset by indexing every tensor once with the
    batch's indices (no per-sample collation) when no ``collate_fn`` is given.

    Example:
        >>> ds = TensorDataset(ember.randn(100, 3), ember.arange(100))
        >>> x, y = ds[0]; x.shape, len(ds)
        (ember.Size([3]), 100)
    """

    def __init__(self, *tensors):
        ts = []
        for t in tensors:
            if isinstance(t, np.ndarray):
                t = ember.Tensor._wrap(t)
            elif not isinstance(t, ember.Tensor):
                raise TypeError(f"TensorDataset: expected Tensors, got {type(t).__name__}")
            ts.append(t)
        if ts:
            n = _first_dim(ts[0])
            for t in ts:
                if _first_dim(t) != n:
                    raise ValueError("TensorDataset: size mismatch between tensors, first "
                                     "dimensions are " + str([_first_dim(x) for x in ts]))
        self.tensors = tuple(ts)

    def __getitem__(self, index):
        out = []
        for t in self.tensors:
            if t.requires_grad:
                out.append(t[index])
            else:
                out.append(ember.Tensor._wrap(np.asarray(t._data[index]) if
                                              isinstance(t._data, np.ndarray)
                                              else t._data[index]))
        return tuple(out)

    def _batch(self, indices):
        """The batch of ``indices`` as a list of tensors, one fancy-index per tensor."""
        idx = np.asarray(indices, dtype=np.int64)
        out = []
        for t in self.tensors:
            if t.requires_grad:
                out.append(t[ember.Tensor._wrap(idx)])
            elif isinstance(t._data, np.ndarray):
                out.append(ember.Tensor._wrap(t._data[idx]))
            else:  # CUDA data: the indices go over
                from ...backend import get_array_module
                out.append(ember.Tensor._wrap(t._data[get_array_module(t._data).asarray(idx)]))
        return out

    def __len__(self):
        return _first_dim(self.tensors[0]) if self.tensors else 0


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset (Dataset): the whole dataset.
        indices (sequence of int): indices into it.

    Example:
        >>> s = Subset(TensorDataset(ember.arange(10)), [2, 5]); len(s)
        2
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        inner = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The concatenation of several map-style datasets.

    Args:
        datasets (iterable of Dataset): the parts, in order (none may be iterable).

    Example:
        >>> c = ConcatDataset([TensorDataset(ember.zeros(3)), TensorDataset(ember.ones(2))])
        >>> len(c), c.cumulative_sizes
        (5, [3, 5])
    """

    @staticmethod
    def cumsum(sequence):
        return list(accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; "
                                "use ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"ConcatDataset: absolute value of index {idx} should "
                                 f"not exceed dataset length {n}")
            idx = n + idx
        elif idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


class ChainDataset(IterableDataset):
    """Iterates several iterable datasets one after the other.

    Example:
        >>> class R(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n))
        >>> list(ChainDataset([R(2), R(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence): the lengths of the parts, summing to ``len(dataset)``, or
            fractions summing to 1 (then each part gets ``floor(frac * n)`` and the
            remainder is handed out one by one, round-robin, as in PyTorch).
        generator (ember.Generator, optional): the source of the permutation
            (default: ``ember.default_generator``).

    Returns:
        list of Subset.

    Example:
        >>> train, val = random_split(range(10), [0.8, 0.2], ember.Generator().manual_seed(0))
        >>> len(train), len(val)
        (8, 2)
    """
    lengths = list(lengths)
    n = len(dataset)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 "
                                 f"and 1: {frac}")
            counts.append(int(math.floor(n * frac)))
        rest = n - sum(counts)
        for i in range(rest):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this "
                              "might result in an empty dataset.")
        lengths = counts
    for i, length in enumerate(lengths):
        if isinstance(length, float) and not float(length).is_integer():
            raise ValueError(f"random_split: lengths must be integers or fractions "
                             f"summing to 1, got {lengths}")
        if length < 0:
            raise ValueError(f"random_split: negative length {length} at index {i}")
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}) does not "
                         f"equal the length of the input dataset ({n})")
    perm = ember.random.get_numpy_rng(generator).permutation(n).tolist()
    out = []
    for offset, length in zip(accumulate(lengths), lengths):
        out.append(Subset(dataset, perm[offset - length:offset]))
    return out
