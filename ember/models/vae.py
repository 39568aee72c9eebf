"""The course's variational autoencoder on MNIST (the ``mnist-vae`` recipe).

Encoder 784 -> 400 -> (mu, logvar) of a 20-d Gaussian, reparameterisation
``z = mu + exp(logvar / 2) * eps``, decoder 20 -> 400 -> 784 (sigmoid); loss = binary
cross-entropy of the reconstruction (summed over pixels) + KL(q(z|x) || N(0, I)), i.e.
the negative ELBO, per image. Plain PyTorch-style code on ``import ember as torch``:
the same file run with PyTorch is its twin (``scripts/torch_twin.py``).
"""
import os

import numpy as np

import ember as torch
from ember import nn
from ember.nn import functional as F
from ember.models._course import (load_state, mnist_arrays, save_grid, save_state,
                                  write_json)

__all__ = ["VAE", "vae_loss", "train_vae"]


class VAE(nn.Module):
    """Fully connected VAE for 28x28 images with pixel values in [0, 1].

    Args:
        hidden (int): hidden layer width (400).
        latent (int): latent dimensions (20).

    Shape:
        ``forward(x)``: ``x`` ``(N, 1, 28, 28)`` or ``(N, 784)`` -> ``(recon (N, 784)
        probabilities, mu (N, latent), logvar (N, latent))``.

    Example:
        >>> recon, mu, logvar = VAE()(ember.rand(4, 1, 28, 28))
        >>> recon.shape, mu.shape
        (ember.Size([4, 784]), ember.Size([4, 20]))
    """

    def __init__(self, hidden=400, latent=20):
        super().__init__()
        self.latent = latent
        self.fc1 = nn.Linear(784, hidden)
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def encode(self, x):
        h = F.relu(self.fc1(x.reshape(-1, 784)))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        # sampling through a deterministic function of (mu, logvar) and outside noise,
        # so gradients reach the encoder
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def vae_loss(recon, x, mu, logvar):
    """Negative ELBO summed over the batch: BCE(recon, x) + KL(N(mu, var) || N(0, I))."""
    bce = F.binary_cross_entropy(recon, x.reshape(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def _images(x):
    return torch.from_numpy(np.ascontiguousarray(x[:, None], dtype=np.float32) / 255)


def train_vae(cfg, out=None, resume=None, log=print):
    """Train the VAE on the embedded MNIST sample; after each epoch record the training
    and test loss (negative ELBO per image) and, with ``out``, write
    ``recon_EPOCH.png`` (test digits above their reconstructions), ``samples_EPOCH.png``
    (decoded prior samples) and a checkpoint. Returns ``{"history": [...],
    "test_loss": last}``.

    cfg keys: ``seed``, ``lr``, ``batch_size``, ``epochs``, ``limit_train``, ``limit_test``;
    optional ``steps``: stop after that many steps in all (saved there; a resumed run then
    equals one never stopped).
    """
    seed, bs = int(cfg["seed"]), int(cfg["batch_size"])
    xtr = _images(mnist_arrays("train", cfg["limit_train"])[0])
    xte = _images(mnist_arrays("test", cfg["limit_test"])[0])
    torch.manual_seed(seed)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    done, states = load_state(torch, resume)
    history = list(states.get("history", []))
    if "model" in states:
        model.load_state_dict(states["model"])
        opt.load_state_dict(states["optimizer"])
    n_batches = max(1, -(-len(xtr) // bs))
    step = int(states.get("step", done * n_batches))  # optimizer steps so far
    partial, max_steps = states.get("partial"), cfg.get("steps")  # see train_gan
    rng = np.random.default_rng(seed)
    for _ in range(done):  # the shuffles the finished epochs drew
        rng.permutation(len(xtr))
    z_fixed = torch.from_numpy(np.random.default_rng(seed + 7).standard_normal(
        (64, model.latent)).astype(np.float32))

    def checkpoint(epoch, part=None):
        save_state(torch, out, epoch, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                       "history": history, "step": step, "partial": part},
                   {"recipe": cfg["recipe"], "config": cfg})

    for epoch in range(done + 1, int(cfg["epochs"]) + 1):
        if max_steps is not None and step >= int(max_steps):
            break
        model.train()
        total, n = (float(partial["total"]), int(partial["batches"])) if partial else (0.0, 0)
        partial = None
        for idx in np.array_split(rng.permutation(len(xtr)), n_batches)[n:]:
            if max_steps is not None and step >= int(max_steps):  # resume goes on here
                checkpoint(epoch - 1, {"batches": n, "total": total})
                log(f"stopped after {step} steps in epoch {epoch} (steps={max_steps})")
                return {"history": history, "steps": step, "stopped": True,
                        "test_loss": history[-1]["test_loss"] if history else None}
            n += 1
            step += 1
            x = xtr[torch.from_numpy(idx)]
            recon, mu, logvar = model(x)
            loss = vae_loss(recon, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        model.eval()
        test = 0.0
        with torch.no_grad():
            for i in range(0, len(xte), 500):
                x = xte[i:i + 500]
                recon, mu, logvar = model(x)
                # the test ELBO uses z = mu (no sampling noise), a deterministic figure
                test += vae_loss(model.decode(mu), x, mu, logvar).item()
            if out is not None:
                pair = torch.cat([xte[:10].reshape(10, 1, 28, 28),
                                  model.decode(model.encode(xte[:10])[0]).reshape(10, 1, 28, 28)])
                save_grid(pair, os.path.join(out, f"recon_{epoch:03d}.png"), nrow=10)
                save_grid(model.decode(z_fixed).reshape(64, 1, 28, 28),
                          os.path.join(out, f"samples_{epoch:03d}.png"), nrow=8)
        history.append({"epoch": epoch, "train_loss": total / len(xtr),
                        "test_loss": test / len(xte)})
        log(f"epoch {epoch}/{cfg['epochs']} | train loss {total / len(xtr):.2f} | test "
            f"loss (-ELBO per image) {test / len(xte):.2f}")
        checkpoint(epoch)
        write_json(out, "history.json", history)
    return {"history": history, "test_loss": history[-1]["test_loss"] if history else None,
            "steps": step, "stopped": len(history) < int(cfg["epochs"])}
