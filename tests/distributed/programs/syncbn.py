"""Run under mpiexec: DDP + SyncBatchNorm training equals one process with BatchNorm."""
from datetime import timedelta

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
STEPS, PER = 20, 4


def cnn():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 5 * 5, 6), nn.BatchNorm1d(6), nn.Tanh(),
                         nn.Linear(6, 3))


ember.manual_seed(7)
ref = cnn()
ddp = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(cnn()))
ref.load_state_dict(ddp.module.state_dict())
assert type(ddp.module[1]).__name__ == "SyncBatchNorm"
opts = [ember.optim.SGD(m.parameters(), lr=0.05, momentum=0.9) for m in (ddp, ref)]
g = np.random.default_rng(3)
for step in range(STEPS):
    x = g.standard_normal((PER * world, 2, 5, 5)).astype(np.float32)
    y = g.integers(0, 3, PER * world)
    mine = slice(rank * PER, (rank + 1) * PER)
    for model, opt, xs, ys in ((ddp, opts[0], x[mine], y[mine]), (ref, opts[1], x, y)):
        opt.zero_grad()
        F.cross_entropy(model(ember.tensor(xs)), ember.tensor(ys)).backward()
        opt.step()
for (name, a), b in zip(ddp.module.state_dict().items(), ref.state_dict().values()):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=5e-5, atol=5e-5, err_msg=name)
# eval mode uses the (synchronized) running statistics: same outputs as the reference
ddp.eval()
ref.eval()
x = ember.randn(3, 2, 5, 5)
np.testing.assert_allclose(ddp(x).detach().numpy(), ref(x).detach().numpy(), rtol=1e-4, atol=1e-5)
dist.destroy_process_group()
print(f"OK rank {rank}")
