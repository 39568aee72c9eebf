"""Reparameterised policy optimisation with torch.distributions (Normal.rsample, log_prob,
entropy, kl_divergence) towards a target action."""
import torch
from torch.distributions import Normal, kl_divergence

torch.manual_seed(0)
policy = torch.nn.Linear(3, 2)  # outputs mean and log-std of the action
state = torch.tensor([[0.5, -1.0, 2.0]])
opt = torch.optim.Adam(policy.parameters(), lr=0.05)
prior = Normal(torch.zeros(1), torch.ones(1))
for step in range(40):
    out = policy(state)
    dist = Normal(out[:, :1], out[:, 1:].exp())
    actions = dist.rsample((16,))
    reward = -((actions - 1.5) ** 2).mean()
    loss = -reward - 0.01 * dist.entropy().mean() + 0.01 * kl_divergence(dist, prior).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(f"RESULT step {step} loss {loss.item():.6f} logp {dist.log_prob(torch.tensor([[1.5]])).item():.6f}")
