"""Logging a training run with torch.utils.tensorboard.SummaryWriter."""
import os
import tempfile

import torch
from torch.utils.tensorboard import SummaryWriter

torch.manual_seed(0)
logdir = tempfile.mkdtemp()
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.linspace(-1, 1, 32).view(8, 4)
y = x.sum(1, keepdim=True)
with SummaryWriter(logdir) as writer:
    for step in range(10):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        writer.add_scalar("loss/train", loss.item(), step)
    writer.add_histogram("weight", model.weight, 10)
    writer.add_text("note", "done", 10)
files = [f for f in os.listdir(logdir) if f.startswith("events.out.tfevents")]
print(f"RESULT event_files {len(files)} final_loss {loss.item():.6f}")
