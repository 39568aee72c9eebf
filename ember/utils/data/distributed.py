"""``DistributedSampler``: each rank of a data-parallel job reads its own share of a dataset.

PyTorch's semantics and index order: with ``shuffle=True`` the permutation is
``randperm(len(dataset))`` from a generator seeded with ``seed + epoch`` (ember's
seeded ``randperm`` equals PyTorch's), then padded by repeating indices from the start
(or cut with ``drop_last``) to a multiple of the number of replicas, and rank ``r``
takes every ``num_replicas``-th index from position ``r``.
"""
import math

import ember
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restricts data loading to the share of rank ``rank`` out of ``num_replicas``.

    Args:
        dataset (Dataset): the dataset (only its length is used).
        num_replicas (int, optional): number of ranks (default: the process group's
            world size).
        rank (int, optional): this rank (default: the process group's rank).
        shuffle (bool): shuffle the indices, the same way on every rank. Default: True.
        seed (int): shuffling seed; must be the same on every rank. Default: 0.
        drop_last (bool): drop the tail so every rank gets the same number of samples
            without repeats; otherwise indices from the start are repeated to pad.

    Call ``set_epoch(epoch)`` at the start of each epoch so each epoch has a new order
    (otherwise every epoch repeats the same order, as in PyTorch).

    Example:
        >>> sampler = DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False)
        >>> list(sampler)
        [1, 3, 5, 7, 9]
        >>> loader = DataLoader(dataset, batch_size=32, sampler=DistributedSampler(dataset))
        >>> for epoch in range(epochs):
        ...     loader.sampler.set_epoch(epoch)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            import ember.distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # the largest per-rank count that needs no padding
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = ember.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = ember.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            pad = self.total_size - len(indices)
            if pad > 0:   # repeat from the start (the whole list several times if tiny)
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the order of ``epoch`` next (all ranks must pass the same epoch)."""
        self.epoch = epoch
