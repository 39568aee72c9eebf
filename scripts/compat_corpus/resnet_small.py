"""A small residual network: custom blocks, weight decay, CosineAnnealingLR, train/eval modes,
DataParallel and cudnn flags as GPU-era code writes them."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.cudnn.benchmark = True
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(out)))


model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), BasicBlock(4), BasicBlock(4),
                      nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(4, 2))
model = nn.DataParallel(model).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8)
rng = np.random.RandomState(4)
x = torch.from_numpy(rng.randn(16, 3, 6, 6).astype(np.float32)).to(device)
y = torch.from_numpy((rng.rand(16) > 0.5).astype(np.int64)).to(device)
for epoch in range(8):
    model.train()
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    sched.step()
    print(f"RESULT epoch {epoch} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    print(f"RESULT eval {F.cross_entropy(model(x), y).item():.6f} keys {len(model.state_dict())}")
