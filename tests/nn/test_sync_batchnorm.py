"""SyncBatchNorm in one process (plain batch norm) and convert_sync_batchnorm; the
multi-rank equality with BatchNorm on the whole batch is tests/distributed (-m mpi)."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import require_torch


def test_without_process_group_equals_batchnorm_and_loads_its_state_dict():
    ember.manual_seed(0)
    bn, sbn = nn.BatchNorm2d(3), nn.SyncBatchNorm(3)
    sbn.load_state_dict(bn.state_dict())
    x = ember.randn(4, 3, 2, 2, requires_grad=True)
    for m in (bn, sbn):
        m(x).square().sum().backward()
    np.testing.assert_allclose(sbn.running_var.numpy(), bn.running_var.numpy())
    np.testing.assert_allclose(sbn.weight.grad.numpy(), bn.weight.grad.numpy() / 1, rtol=1e-6)


def test_state_dict_keys_match_pytorch():
    torch = require_torch()
    assert list(nn.SyncBatchNorm(4).state_dict()) == list(torch.nn.SyncBatchNorm(4).state_dict())


def test_convert_shares_parameters_and_buffers():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm1d(2)))
    net.eval()
    out = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert out is net
    assert isinstance(net[1], nn.SyncBatchNorm) and isinstance(net[2][0], nn.SyncBatchNorm)
    assert not net[1].training
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(5))
    assert isinstance(single, nn.SyncBatchNorm) and single.num_features == 5


def test_rejects_1d_input():
    with pytest.raises(ValueError, match="at least 2D"):
        nn.SyncBatchNorm(3)(ember.randn(3))
