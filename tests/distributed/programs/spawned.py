"""A PyTorch-style mp.spawn script (started plainly: spawn relaunches it under MPI)."""
import os

import ember
import ember.distributed as dist
import ember.multiprocessing as mp


def train(rank, world_size, tag):
    os.environ.setdefault("MASTER_ADDR", "localhost")
    os.environ.setdefault("MASTER_PORT", "12355")
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    t = ember.tensor([float(rank + 1)])
    dist.all_reduce(t)
    print(f"{tag} rank {rank} of {world_size}: {t.item():g}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(train, args=(2, "spawned"), nprocs=2, join=True)
    print("after spawn", flush=True)
