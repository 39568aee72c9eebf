"""A variational autoencoder on binary vectors: reparameterisation with randn_like, BCE + KL."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.RandomState(0)
data = torch.from_numpy((rng.rand(64, 12) > 0.5).astype(np.float32))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(12, 16)
        self.mu = nn.Linear(16, 2)
        self.logvar = nn.Linear(16, 2)
        self.dec1 = nn.Linear(2, 16)
        self.dec2 = nn.Linear(16, 12)

    def forward(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z)))), mu, logvar


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    opt.zero_grad()
    recon, mu, logvar = model(data)
    bce = F.binary_cross_entropy(recon, data, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    loss = (bce + kld) / len(data)
    loss.backward()
    opt.step()
    if epoch % 5 == 4:
        print(f"RESULT epoch {epoch} loss {loss.item():.6f}")
