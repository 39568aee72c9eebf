"""Run under mpiexec: every collective against NumPy on each rank's known data."""
from datetime import timedelta

import numpy as np

import ember
import ember.distributed as dist

dist.init_process_group("mpi", timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
R = dist.ReduceOp


def data(r, dtype=np.float32, shape=(2, 3)):
    """Rank r's deterministic input."""
    return (np.arange(np.prod(shape)).reshape(shape) + 10 * r + 1).astype(dtype)


def check(name, got, want):
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=name)


everyone = np.stack([data(r) for r in range(world)])
for op, ref in [(R.SUM, everyone.sum(0)), (R.AVG, everyone.mean(0)), (R.MAX, everyone.max(0)),
                (R.MIN, everyone.min(0)), (R.PRODUCT, everyone.prod(0))]:
    t = ember.tensor(data(rank))
    ptr = t.data_ptr()
    dist.all_reduce(t, op=op)
    check(f"all_reduce {op}", t.numpy(), ref)
    assert t.data_ptr() == ptr and t.dtype == ember.float32   # in place, dtype kept
# float64, int64, non-contiguous, async
t = ember.tensor(data(rank, np.float64))
dist.all_reduce(t)
check("all_reduce f64", t.numpy(), everyone.astype(np.float64).sum(0))
t = ember.tensor(data(rank, np.int64))
dist.all_reduce(t, op=R.MAX)
check("all_reduce int64 max", t.numpy(), everyone.max(0).astype(np.int64))
base = ember.tensor(data(rank, shape=(3, 2)))
tt = base.t()                                   # a non-contiguous view: written through
dist.all_reduce(tt)
check("all_reduce view", base.numpy(), np.stack([data(r, shape=(3, 2)) for r in range(world)]).sum(0))
t = ember.tensor(data(rank))
work = dist.all_reduce(t, async_op=True)
assert work.wait() is True and work.is_completed()
check("all_reduce async", t.numpy(), everyone.sum(0))
flags = ember.tensor([rank == 0, True])
dist.all_reduce(flags, op=R.MIN)
assert flags.tolist() == [world == 1, True]

# reduce / broadcast
t = ember.tensor(data(rank))
dist.reduce(t, dst=world - 1)
if rank == world - 1:
    check("reduce", t.numpy(), everyone.sum(0))
t = ember.tensor(data(rank))
dist.broadcast(t, src=world - 1)
check("broadcast", t.numpy(), data(world - 1))

# all_gather / all_gather_into_tensor / all_gather_object
outs = [ember.zeros(2, 3) for _ in range(world)]
dist.all_gather(outs, ember.tensor(data(rank)))
for r in range(world):
    check("all_gather", outs[r].numpy(), data(r))
big = ember.zeros(2 * world, 3)
dist.all_gather_into_tensor(big, ember.tensor(data(rank)))
check("all_gather_into_tensor", big.numpy(), np.concatenate([data(r) for r in range(world)]))
objs = [None] * world
dist.all_gather_object(objs, {"rank": rank, "name": f"r{rank}"})
assert objs == [{"rank": r, "name": f"r{r}"} for r in range(world)], objs

# gather / scatter
gl = [ember.zeros(2, 3) for _ in range(world)] if rank == 0 else None
dist.gather(ember.tensor(data(rank)), gl, dst=0)
if rank == 0:
    for r in range(world):
        check("gather", gl[r].numpy(), data(r))
t = ember.zeros(2, 3)
dist.scatter(t, [ember.tensor(data(r) * 2) for r in range(world)] if rank == 0 else None, src=0)
check("scatter", t.numpy(), data(rank) * 2)

# reduce_scatter: rank r gets sum over ranks q of inputs_q[r]
ins = [ember.tensor(data(rank) + 100 * r) for r in range(world)]
t = ember.zeros(2, 3)
dist.reduce_scatter(t, ins)
check("reduce_scatter", t.numpy(), sum(data(q) + 100 * rank for q in range(world)))
t = ember.zeros(2, 3)
dist.reduce_scatter_tensor(t, ember.cat(ins), op=R.AVG)
check("reduce_scatter_tensor avg", t.numpy(), sum(data(q) + 100 * rank for q in range(world)) / world)

# all_to_all_single: rank r sends row block i to rank i
inp = ember.tensor((np.full((world, 2), rank) + np.arange(world)[:, None] * 10).astype(np.float32))
out = ember.zeros(world, 2)
dist.all_to_all_single(out, inp)
check("all_to_all_single", out.numpy(), np.arange(world)[:, None] + rank * 10 + np.zeros((world, 2)))
# all_to_all with uneven sizes: rank r sends r+1 values 10r+i to rank i
outs = [ember.zeros(j + 1) for j in range(world)]
dist.all_to_all(outs, [ember.full((rank + 1,), 10.0 * rank + i) for i in range(world)])
for j in range(world):
    check("all_to_all", outs[j].numpy(), np.full(j + 1, 10.0 * j + rank))

# broadcast_object_list
box = [{"lr": 0.1}, "x"] if rank == 0 else [None, None]
dist.broadcast_object_list(box, src=0)
assert box == [{"lr": 0.1}, "x"]

# send/recv/isend/irecv in a ring
if world > 1:
    right, left = (rank + 1) % world, (rank - 1) % world
    got = ember.zeros(2, 3)
    rw = dist.irecv(got, src=left)
    sw = dist.isend(ember.tensor(data(rank)), dst=right)
    sw.wait(); rw.wait()
    check("irecv", got.numpy(), data(left))
    if rank == 0:
        dist.send(ember.tensor(data(0, np.float64)), dst=1, tag=7)
    elif rank == 1:
        got = ember.zeros(2, 3, dtype=ember.float64)
        src = dist.recv(got, tag=7)
        assert src == 0, src
        check("recv", got.numpy(), data(0))

# batch_isend_irecv ring; object gather/scatter
if world > 1:
    got = ember.zeros(3)
    works = dist.batch_isend_irecv([dist.P2POp(dist.isend, ember.full((3,), float(rank)), right),
                                    dist.P2POp(dist.irecv, got, left)])
    for w in works:
        w.wait()
    check("batch_isend_irecv", got.numpy(), np.full(3, float(left)))
gathered = [None] * world if rank == 0 else None
dist.gather_object(("r", rank), gathered, dst=0)
if rank == 0:
    assert gathered == [("r", r) for r in range(world)], gathered
mine = [None]
dist.scatter_object_list(mine, [{"i": r} for r in range(world)] if rank == 0 else None, src=0)
assert mine == [{"i": rank}], mine

# new_group: the even ranks
evens = dist.new_group([r for r in range(world) if r % 2 == 0])
if rank % 2 == 0:
    t = ember.tensor(data(rank))
    dist.all_reduce(t, group=evens)
    check("group all_reduce", t.numpy(), sum(data(r) for r in range(0, world, 2)))
    assert dist.get_world_size(evens) == len(range(0, world, 2))
    assert dist.get_rank(evens) == rank // 2
else:
    assert evens is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(evens) == -1

# differentiable collectives: the gradient of the sum over ranks of each rank's loss
from ember.distributed.nn import functional as DF  # noqa: E402
ranks_w = sum(r + 1 for r in range(world))
x = ember.tensor(data(rank), requires_grad=True)
(DF.all_reduce(x) * (rank + 1)).sum().backward()
check("nn.all_reduce grad", x.grad.numpy(), np.full((2, 3), ranks_w))
x = ember.tensor(data(rank), requires_grad=True)
parts = DF.all_gather(x)
check("nn.all_gather", parts[world - 1].detach().numpy(), data(world - 1))
sum((q + 1) * (rank + 1) * parts[q].sum() for q in range(world)).backward()
check("nn.all_gather grad", x.grad.numpy(), np.full((2, 3), (rank + 1) * ranks_w))
x = ember.tensor(data(rank), requires_grad=True)
y = DF.broadcast(x, src=0)
check("nn.broadcast", y.detach().numpy(), data(0))
((rank + 1) * y.sum()).backward()
check("nn.broadcast grad", x.grad.numpy(), np.full((2, 3), ranks_w if rank == 0 else 0))

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"OK rank {rank}")
