"""DistributedDataParallel: multi-rank equality with one process (``-m mpi``), and its
behaviour on a world of one process."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 3])
def test_ddp_training_equals_single_process(mpi_run, n):
    out = mpi_run("ddp.py", n=n).stdout
    assert all(f"OK rank {r}" in out for r in range(n)), out


def net():
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))


def test_world_of_one_trains_like_the_plain_module(world1):
    ember.manual_seed(0)
    ddp = DDP(net(), bucket_cap_mb=1e-6)
    ref = net()
    ref.load_state_dict(ddp.module.state_dict())
    x, y = ember.randn(8, 4), ember.randint(0, 2, (8,))
    for model in (ddp, ref):
        opt = ember.optim.SGD(model.parameters(), lr=0.5)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_keys_and_module(world1):
    inner = net()
    ddp = DDP(inner)
    assert ddp.module is inner
    assert list(ddp.state_dict()) == ["module." + k for k in inner.state_dict()]
    from ember.nn.modules.utils import consume_prefix_in_state_dict_if_present
    sd = ddp.state_dict()
    consume_prefix_in_state_dict_if_present(sd, "module.")
    net().load_state_dict(sd)


def test_grad_is_kept_as_the_same_tensor_and_no_sync_skips(world1):
    ddp = DDP(net())
    x = ember.randn(3, 4)
    ddp(x).sum().backward()
    g = ddp.module[0].weight.grad
    ddp(x).sum().backward()
    assert ddp.module[0].weight.grad is g
    with ddp.no_sync():
        ddp(x).sum().backward()
    assert not ddp._reducer.active


def test_unused_parameter_error_names_the_fix(world1):
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.a(x)

    ddp = DDP(Two())
    ddp(ember.ones(1, 2)).sum().backward()
    with pytest.raises(RuntimeError, match="find_unused_parameters=True"):
        ddp(ember.ones(1, 2))
    ddp = DDP(Two(), find_unused_parameters=True)
    for _ in range(2):
        ddp(ember.ones(1, 2)).sum().backward()
    assert ddp.module.b.weight.grad is None and ddp.module.a.weight.grad is not None


def test_rejects_bad_arguments(world1):
    with pytest.raises(TypeError, match="nn.Module"):
        DDP(lambda x: x)
    with pytest.raises(RuntimeError, match="doesn't have any parameter"):
        DDP(nn.ReLU())


def test_needs_a_process_group():
    import ember.distributed as dist
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="init_process_group"):
        DDP(net())


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 3])
def test_ddp_with_sync_batchnorm_equals_batchnorm_on_the_whole_batch(mpi_run, n):
    out = mpi_run("syncbn.py", n=n).stdout
    assert all(f"OK rank {r}" in out for r in range(n)), out


def test_sync_batchnorm_on_a_world_of_one_is_batchnorm(world1):
    ember.manual_seed(0)
    bn = nn.BatchNorm1d(3)
    sbn = nn.SyncBatchNorm(3)
    x = ember.randn(5, 3)
    np.testing.assert_allclose(sbn(x).detach().numpy(), bn(x).detach().numpy(), rtol=1e-6)


def test_comm_hook_sees_buckets_and_its_future_sets_the_gradients(world1):
    from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
    seen = []

    def hook(state, bucket):
        seen.append((state, bucket.index(), bucket.is_last(), len(bucket.parameters())))
        assert [tuple(g.shape) for g in bucket.gradients()] == \
            [tuple(p.shape) for p in bucket.parameters()]
        return default_hooks.allreduce_hook(None, bucket).then(lambda f: f.value() * 2)

    ember.manual_seed(0)
    ddp = DDP(net(), bucket_cap_mb=1e-6)
    ref = net()
    ref.load_state_dict(ddp.module.state_dict())
    ddp.register_comm_hook("state", hook)
    x = ember.randn(3, 4)
    ddp(x).sum().backward()
    ref(x).sum().backward()
    assert [s[1] for s in seen] == [0, 1, 2, 3] and seen[-1][2] and seen[0][0] == "state"
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), 2 * q.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="only be called once"):
        ddp.register_comm_hook(None, hook)


def test_future_then_and_set_result():
    from ember.distributed import Future
    f = Future()
    g = f.then(lambda fut: fut.value() + 1)
    f.set_result(41)
    assert g.wait() == 42 and g.done()
