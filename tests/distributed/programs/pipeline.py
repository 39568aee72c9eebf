"""Run under mpiexec: pipeline training (GPipe and 1F1B) equals one process."""
from datetime import timedelta

import numpy as np

import ember
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
from ember.distributed.pipeline import Pipe, _schedule

dist.init_process_group("mpi", timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()


def model():
    ember.manual_seed(11)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


for schedule, chunks, batch in (("gpipe", 4, 12), ("1f1b", 3, 10), ("1f1b", 5, 10)):
    pipe, ref = Pipe(model(), chunks=chunks, schedule=schedule), model()
    opt = ember.optim.SGD(pipe.parameters(), lr=0.1, momentum=0.9)
    ref_opt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    g = np.random.default_rng(5)
    for step in range(20):
        x = ember.tensor(g.standard_normal((batch, 6)).astype(np.float32))
        y = ember.tensor(g.integers(0, 3, batch))
        opt.zero_grad()
        loss = pipe.step(x if rank == 0 else None, y if rank == world - 1 else None,
                         F.cross_entropy)
        opt.step()
        ref_opt.zero_grad()
        ref_loss = F.cross_entropy(ref(x), y)
        ref_loss.backward()
        ref_opt.step()
        assert abs(loss - float(ref_loss)) < 1e-5, (schedule, step, loss, float(ref_loss))
    lo = sum(pipe.balance[:rank])
    for i, layer in enumerate(pipe.stage):
        for (name, p), q in zip(layer.named_parameters(), ref[lo + i].parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=2e-5,
                                       atol=2e-5, err_msg=f"{schedule} layer {lo + i} {name}")
    out = pipe(x if rank == 0 else None)
    if rank == world - 1:
        np.testing.assert_allclose(out.numpy(), ref(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    else:
        assert out is None

# every stage's schedule runs each micro-batch's forward before its backward
for S in (2, 3, 4):
    for s in range(S):
        order = _schedule("1f1b", s, S, 6)
        assert sorted(order) == sorted([("F", m) for m in range(6)] + [("B", m) for m in range(6)])
        assert all(order.index(("F", m)) < order.index(("B", m)) for m in range(6))
dist.destroy_process_group()
print(f"OK rank {rank}")
