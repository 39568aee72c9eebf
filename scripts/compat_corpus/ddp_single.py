"""DistributedDataParallel in a single process (world size 1), the launch-free way course
code tries DDP: init_process_group, DDP wrapper, a few steps, destroy_process_group."""
import os
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

with socket.socket() as s:  # a free port for torch's TCP store
    s.bind(("127.0.0.1", 0))
    os.environ.setdefault("MASTER_PORT", str(s.getsockname()[1]))
os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
dist.init_process_group("gloo", rank=0, world_size=1)
torch.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.linspace(-1, 1, 40).view(10, 4)
y = (x ** 2).sum(1, keepdim=True)
for step in range(10):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
print(f"RESULT rank {dist.get_rank()} world {dist.get_world_size()} loss {loss.item():.6f}")
dist.destroy_process_group()
