"""A two-layer MLP classifier on synthetic blobs: DataLoader, CrossEntropyLoss, SGD momentum."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
rng = np.random.RandomState(0)
X = np.concatenate([rng.randn(40, 4) + c for c in (-2, 0, 2)]).astype(np.float32)
y = np.repeat(np.arange(3), 40)
loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=30)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


model = MLP()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    print(f"RESULT epoch {epoch} loss {total / len(X):.6f}")
with torch.no_grad():
    acc = (model(torch.from_numpy(X)).argmax(1) == torch.from_numpy(y)).float().mean().item()
print(f"RESULT accuracy {acc:.6f}")
