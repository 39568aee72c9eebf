"""Run under mpiexec: DistributedDataParallel equals single-process training."""
import sys
from datetime import timedelta

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
STEPS, PER_RANK = 20, 4


def mlp():
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))


def batches():
    g = np.random.default_rng(0)
    for _ in range(STEPS):
        yield (g.standard_normal((PER_RANK * world, 5)).astype(np.float32),
               g.integers(0, 3, PER_RANK * world))


def train(model, opt, local):
    for x, y in batches():
        if local:
            x, y = x[rank * PER_RANK:(rank + 1) * PER_RANK], y[rank * PER_RANK:(rank + 1) * PER_RANK]
        opt.zero_grad()
        F.cross_entropy(model(ember.tensor(x)), ember.tensor(y)).backward()
        opt.step()


def close(a, b, what, tol=2e-5):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol,
                               err_msg=what)


# 1. replicas start equal (rank 0's init broadcast) and train like one process
ember.manual_seed(100 + rank)            # different init on each rank on purpose
for cap in (None, 1e-6):                  # default buckets; tiny buckets (one per param)
    ddp = DDP(mlp(), bucket_cap_mb=cap)
    if cap is not None:
        assert len(ddp._reducer.buckets) == len(list(ddp.parameters()))
        # overlap: when the first layer's gradient arrives (last in backward), the
        # later layers' buckets have already started their all-reduce
        started = []
        ddp.module[0].weight.register_hook(lambda g: started.append(ddp._reducer.next_bucket))
    ref = mlp()
    ref.load_state_dict(ddp.module.state_dict())
    train(ddp, ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9), local=True)
    train(ref, ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9), local=False)
    if cap is not None:
        assert len(started) == STEPS and min(started) >= 3, started
    for (name, p), q in zip(ddp.module.named_parameters(), ref.parameters()):
        close(p, q, f"DDP (bucket_cap_mb={cap}) vs single process: {name}")
    every = [None] * world
    dist.all_gather_object(every, [p.detach().numpy() for p in ddp.parameters()])
    for other in every:                   # bit-identical replicas
        assert all(np.array_equal(a, b) for a, b in zip(other, every[0]))

# 1b. communication hooks: PyTorch's default all-reduce hook and float16 compression
from ember.distributed.algorithms.ddp_comm_hooks import default_hooks  # noqa: E402
for hook, tol in ((default_hooks.allreduce_hook, 2e-5), (default_hooks.fp16_compress_hook, 2e-3)):
    ember.manual_seed(3)
    ddp = DDP(mlp(), bucket_cap_mb=1e-4)
    ddp.register_comm_hook(None, hook)
    ref = mlp()
    ref.load_state_dict(ddp.module.state_dict())
    train(ddp, ember.optim.SGD(ddp.parameters(), lr=0.1), local=True)
    train(ref, ember.optim.SGD(ref.parameters(), lr=0.1), local=False)
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        close(p, q, f"comm hook {hook.__name__}", tol=tol)
try:
    ddp.register_comm_hook(None, hook)
except RuntimeError as e:
    assert "only be called once" in str(e)
else:
    raise AssertionError("a second comm hook was accepted")

# 2. state_dict keys carry module., as PyTorch's
assert all(k.startswith("module.") for k in ddp.state_dict())
assert list(ddp.module.state_dict()) == [k[len("module."):] for k in ddp.state_dict()]

# 3. no_sync: local accumulation, then one averaged sync == full-batch accumulated grads
ember.manual_seed(1)
ddp = DDP(mlp())
ref = mlp()
ref.load_state_dict(ddp.module.state_dict())
xs = [np.random.default_rng(s).standard_normal((PER_RANK * world, 5)).astype(np.float32)
      for s in (1, 2)]
with ddp.no_sync():
    ddp(ember.tensor(xs[0][rank * PER_RANK:(rank + 1) * PER_RANK])).sum().backward()
local = [p.grad.clone() for p in ddp.parameters()]
ddp(ember.tensor(xs[1][rank * PER_RANK:(rank + 1) * PER_RANK])).sum().backward()
for x in xs:
    ref(ember.tensor(x)).sum().backward()
for p, q in zip(ddp.parameters(), ref.parameters()):
    close(p.grad * world, q.grad, "no_sync accumulation", tol=1e-4)
if world > 1:
    assert any(not np.allclose(a.numpy(), p.grad.numpy() * 0) for a, p in zip(local, ddp.parameters()))


# 4. find_unused_parameters: each rank uses another branch
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x, which):
        return self.a(x) if which == 0 else self.b(x)


ember.manual_seed(2)
ddp = DDP(Branchy(), find_unused_parameters=True)
x = ember.ones(2, 3) * (rank + 1)
ddp(x, rank % 2).sum().backward()
a, b = ddp.module.a, ddp.module.b
# rank 0 computed a's gradient on x=1, rank 1 b's on x=2; averages over the 2 ranks
if world == 2:
    close(a.weight.grad, ember.full((2, 3), 2.0 / 2), "branch a")
    close(b.weight.grad, ember.full((2, 3), 4.0 / 2), "branch b")
assert ddp.module.never.weight.grad is None          # unused everywhere: left as None
ddp(x, rank % 2).sum().backward()                     # a second iteration works too

# 5. without find_unused_parameters, an unused parameter is reported at the next forward
ddp = DDP(Branchy())
ddp(x, 0).sum().backward()
try:
    ddp(x, 0)
except RuntimeError as e:
    assert "Expected to have finished reduction in the prior iteration" in str(e), e
    assert "find_unused_parameters=True" in str(e)
else:
    raise AssertionError("unused parameters were not reported")

# 6. broadcast_buffers: rank 0's BatchNorm running stats reach every rank each forward
bn = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
ddp = DDP(bn)
bn[1].running_mean._data[...] = rank + 5.0
ddp.eval()                           # (training would then update them with local data)
ddp(ember.randn(4, 3) + rank)
assert bn[1].running_mean.tolist() == [5.0] * 4

dist.destroy_process_group()
print(f"OK rank {rank}")
sys.stdout.flush()
