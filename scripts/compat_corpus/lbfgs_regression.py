"""Polynomial regression fitted with LBFGS (closure), MSELoss and a parameter count."""
import numpy as np
import torch

torch.manual_seed(0)
rng = np.random.RandomState(3)
x = torch.from_numpy(rng.uniform(-1, 1, (40, 1)))
y = 1.0 - 2.0 * x + 0.5 * x ** 3 + 0.01 * torch.from_numpy(rng.randn(40, 1))
features = torch.cat([x, x ** 2, x ** 3], dim=1)
model = torch.nn.Linear(3, 1).double()
opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=20, history_size=10)
mse = torch.nn.MSELoss()


def closure():
    opt.zero_grad()
    loss = mse(model(features), y)
    loss.backward()
    return loss


for step in range(3):
    loss = opt.step(closure)
    print(f"RESULT step {step} loss {loss.item():.8f}")
print("RESULT params", sum(p.numel() for p in model.parameters()))
print("RESULT weights", " ".join(f"{v:.5f}" for v in model.weight.detach().view(-1).tolist()))
