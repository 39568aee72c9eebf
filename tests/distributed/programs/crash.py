"""Run under mpiexec -n 2: rank 1 fails ('raise'), fails before init_process_group
('early'), or skips a collective ('skip')."""
import os
import sys
from datetime import timedelta

import ember
import ember.distributed as dist

mode = sys.argv[1]
if mode == "early" and os.environ.get("PMI_RANK") == "1":
    raise ImportError("rank 1 fails before init_process_group")
dist.init_process_group("mpi", timeout=timedelta(seconds=3))
t = ember.ones(4)
dist.all_reduce(t)          # everyone gets here
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("rank 1 fails on purpose")
    sys.exit(0)             # 'skip': leaves without the next collective
dist.all_reduce(t)          # rank 0 waits for rank 1: must end with an error, not hang
print("unreachable")
