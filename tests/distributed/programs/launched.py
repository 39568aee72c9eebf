"""Started by ember.distributed.run: checks the variables, arguments and threads it set."""
import os
import sys

if sys.argv[1:3] == ["fail-before-init", os.environ.get("RANK")]:
    raise RuntimeError("rank 1 fails before init_process_group")

import ember.distributed as dist  # noqa: E402

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == str(world)
assert os.environ["LOCAL_RANK"] == str(rank) and os.environ["LOCAL_WORLD_SIZE"] == str(world)
assert dist.is_torchelastic_launched()
print(f"rank {rank} argv {sys.argv[1:]} threads {os.environ['OMP_NUM_THREADS']} "
      f"name {__name__}")
dist.barrier()
dist.destroy_process_group()
