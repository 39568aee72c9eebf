"""DistributedSampler: PyTorch's padding, drop_last, set_epoch and index order."""
import pytest

import ember
from ember.utils.data.distributed import DistributedSampler
from tests.helpers import require_torch


def shares(n, replicas, **kw):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kw))
            for r in range(replicas)]


def test_plain_split_interleaves_ranks():
    assert shares(10, 2, shuffle=False) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]


def test_padding_repeats_from_the_start():
    assert shares(7, 3, shuffle=False) == [[0, 3, 6], [1, 4, 0], [2, 5, 1]]
    assert shares(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]   # list repeated
    assert len(DistributedSampler(range(7), num_replicas=3, rank=0)) == 3


def test_drop_last_cuts_the_tail():
    s = shares(7, 3, shuffle=False, drop_last=True)
    assert s == [[0, 3], [1, 4], [2, 5]]
    assert len(DistributedSampler(range(7), 3, 0, drop_last=True)) == 2


def test_shuffle_is_a_partition_same_on_every_rank_and_set_epoch_changes_it():
    parts = shares(11, 2, drop_last=True, seed=5)
    assert sorted(parts[0] + parts[1]) == sorted(set(parts[0] + parts[1]))  # no repeats
    s = DistributedSampler(range(11), 2, 0, seed=5)
    a = list(s)
    assert list(s) == a                 # same epoch: same order
    s.set_epoch(1)
    assert list(s) != a


def test_invalid_rank():
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


@pytest.mark.parametrize("kw", [dict(), dict(drop_last=True), dict(shuffle=False),
                                dict(seed=3)])
def test_same_indices_as_pytorch(kw):
    torch = require_torch()
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for epoch in (0, 2):
        for rank in range(3):
            mine = DistributedSampler(range(23), num_replicas=3, rank=rank, **kw)
            ref = TorchSampler(range(23), num_replicas=3, rank=rank, **kw)
            mine.set_epoch(epoch)
            ref.set_epoch(epoch)
            assert list(mine) == list(ref) and len(mine) == len(ref)
    assert torch is not None


def test_defaults_need_a_process_group():
    with pytest.raises((ValueError, RuntimeError)):
        DistributedSampler(range(4))


def test_reexported_from_utils_data():
    from ember.utils.data import DistributedSampler as D
    assert D is DistributedSampler
    assert ember.utils.data.distributed.DistributedSampler is D
