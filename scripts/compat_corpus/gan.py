"""A tiny GAN learning a 1-D Gaussian: generator and discriminator MLPs, BCELoss, Adam."""
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
rng = np.random.RandomState(0)
G = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
bce = nn.BCELoss()
ones, zeros = torch.ones(32, 1), torch.zeros(32, 1)
for step in range(60):
    real = torch.from_numpy((rng.randn(32, 1) * 0.5 + 3.0).astype(np.float32))
    noise = torch.from_numpy(rng.randn(32, 2).astype(np.float32))
    fake = G(noise)
    opt_d.zero_grad()
    loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    loss_g = bce(D(fake), ones)
    loss_g.backward()
    opt_g.step()
    if step % 20 == 19:
        print(f"RESULT step {step} loss_d {loss_d.item():.6f} loss_g {loss_g.item():.6f}")
with torch.no_grad():
    sample = G(torch.from_numpy(rng.randn(256, 2).astype(np.float32)))
print(f"RESULT fake_mean {sample.mean().item():.6f}")
