"""GANs on MNIST-sized images (the ``mnist-dcgan`` and ``mnist-gan`` recipes).

:class:`DCGenerator`/:class:`DCDiscriminator`: DCGAN (transposed convolutions with
BatchNorm and ReLU up to a tanh image; strided convolutions with LeakyReLU down to one
logit). :class:`MLPGenerator`/:class:`MLPDiscriminator`: the fully connected GAN.
Both are trained by :func:`train_gan` with the non-saturating loss, binary
cross-entropy on logits, Adam(2e-4, betas (0.5, 0.999)). Plain PyTorch-style code on
``import ember as torch``: the same file run with PyTorch is its twin.
"""
import copy
import os

import numpy as np

import ember as torch
from ember import nn
from ember.models._course import (classifier_check, load_state, mnist_arrays, save_grid,
                                  save_state, write_json)

__all__ = ["DCGenerator", "DCDiscriminator", "MLPGenerator", "MLPDiscriminator", "train_gan",
           "dcgan_init_", "standing_stats_", "translate"]


class DCGenerator(nn.Module):
    """Noise ``(N, nz)`` -> ``(N, 1, 28, 28)`` image in [-1, 1]: project to 7x7 with a
    7x7 transposed conv, then two stride-2 transposed convs (14x14, 28x28); ``depth``
    extra stride-1 3x3 transposed convs (with BatchNorm and ReLU) at 14x14.

    Example:
        >>> DCGenerator()(ember.randn(2, 64)).shape
        ember.Size([2, 1, 28, 28])
    """

    def __init__(self, nz=64, width=32, depth=0):
        super().__init__()
        self.nz = nz
        extra = []  # (none by default: the layer indices of checkpoints stay)
        for _ in range(depth):
            extra += [nn.ConvTranspose2d(2 * width, 2 * width, 3, 1, 1, bias=False),
                      nn.BatchNorm2d(2 * width), nn.ReLU(True)]
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, 4 * width, 7, 1, 0, bias=False), nn.BatchNorm2d(4 * width),
            nn.ReLU(True),                                          # 7x7
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(True), *extra,      # 14x14
            nn.ConvTranspose2d(2 * width, 1, 4, 2, 1), nn.Tanh())   # 28x28

    def forward(self, z):
        return self.net(z.reshape(z.shape[0], self.nz, 1, 1))


class DCDiscriminator(nn.Module):
    """``(N, 1, 28, 28)`` -> ``(N,)`` logits (real vs generated); ``dropout``: the
    probability of the dropout layers after its LeakyReLUs (0: none).

    Example:
        >>> DCDiscriminator()(ember.randn(2, 1, 28, 28)).shape
        ember.Size([2])
    """

    def __init__(self, width=32, dropout=0.0):
        super().__init__()
        # dropout > 0: after each LeakyReLU (a weaker, noisier D); 0 keeps the layer indices
        def drop():
            return [nn.Dropout(dropout)] if dropout else []
        self.net = nn.Sequential(
            nn.Conv2d(1, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2, True), *drop(),     # 14x14
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * width),
            nn.LeakyReLU(0.2, True), *drop(),                                       # 7x7
            nn.Conv2d(4 * width, 1, 7, 1, 0))                                       # 1x1

    def forward(self, x):
        return self.net(x).reshape(-1)


class MLPGenerator(nn.Module):
    """Noise ``(N, nz)`` -> ``(N, 1, 28, 28)``: 256 -> 512 -> 784 with LeakyReLU, tanh."""

    def __init__(self, nz=64, hidden=(256, 512)):
        super().__init__()
        self.nz = nz
        h1, h2 = hidden
        self.net = nn.Sequential(nn.Linear(nz, h1), nn.LeakyReLU(0.2), nn.Linear(h1, h2),
                                 nn.LeakyReLU(0.2), nn.Linear(h2, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).reshape(-1, 1, 28, 28)


class MLPDiscriminator(nn.Module):
    """``(N, 1, 28, 28)`` -> ``(N,)`` logits: 784 -> 512 -> 256 -> 1 with LeakyReLU;
    ``dropout``: the probability of dropout after each LeakyReLU (the original GAN's D
    used it; 0: none)."""

    def __init__(self, hidden=(512, 256), dropout=0.0):
        super().__init__()
        h1, h2 = hidden

        def drop():  # 0 keeps the layer indices (and checkpoints) of the plain network
            return [nn.Dropout(dropout)] if dropout else []
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, h1), nn.LeakyReLU(0.2), *drop(),
                                 nn.Linear(h1, h2), nn.LeakyReLU(0.2), *drop(),
                                 nn.Linear(h2, 1))

    def forward(self, x):
        return self.net(x).reshape(-1)


def standing_stats_(generator, noise, batch=250):
    """Recompute ``generator``'s BatchNorm running statistics from its own activations on
    ``noise`` (a cumulative average over the batches), then put it in eval mode. An
    average of a generator's weights needs this: the running statistics gathered while
    training belong to the trained weights, not to their average."""
    bns = [m for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    generator.train()
    with torch.no_grad():
        for i in range(0, len(noise), batch):
            generator(noise[i:i + batch])
    for m in bns:
        m.momentum = 0.1
    return generator.eval()


def translate(images, shifts, pad):
    """Shift each image of ``images`` ``(N, C, H, W)`` by its ``shifts[n] = (dy, dx)``
    pixels (integers in ``[-pad, pad]``; NumPy), filling the uncovered border with -1 (the
    background of images in [-1, 1]). Differentiable: a gather from the padded images.

    Example:
        >>> translate(ember.randn(2, 1, 28, 28), np.array([[1, -2], [0, 0]]), 2).shape
        ember.Size([2, 1, 28, 28])
    """
    n, c, h, w = images.shape
    padded = nn.functional.pad(images, (pad, pad, pad, pad), value=-1.0)
    rows = np.arange(h)[None, :, None] + pad - shifts[:, 0, None, None]   # (N, H, 1)
    cols = np.arange(w)[None, None, :] + pad - shifts[:, 1, None, None]   # (N, 1, W)
    idx = np.empty((n, c, h, w), np.int64)  # (a writable array: torch warns on views)
    idx[...] = (rows * (w + 2 * pad) + cols)[:, None]
    flat = padded.reshape(n, c, -1)
    return torch.gather(flat, 2, torch.from_numpy(idx.reshape(n, c, -1))).reshape(n, c, h, w)


def dcgan_init_(module):
    """The DCGAN paper's initialisation: conv weights N(0, 0.02), BN weights N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def train_gan(cfg, out=None, resume=None, log=print):
    """Train a GAN on the embedded MNIST sample (images scaled to [-1, 1]).

    Each step: the discriminator on a real batch (target 1) and a generated batch
    (target 0, generator detached); then the generator to make the discriminator say 1.
    Per epoch: mean losses in ``history.json``, ``samples_EPOCH.png`` (64 samples from
    fixed noise), a checkpoint. With ``cfg["classifier"]`` (an ``ember train mnist-cnn``
    run directory), 1,000 generated digits are classified at the end: mean top-class
    probability and the entropy of the predicted-class histogram (nats).

    cfg keys: ``arch`` ("dcgan" or "mlp"), ``seed``, ``lr``, ``batch_size``, ``epochs``,
    ``limit_train``, ``nz``, ``width``, ``classifier``, optional ``g_width`` (the DCGAN
    generator's width, if not ``width``: a wider G alone costs less than a wider pair),
    ``g_depth`` (extra stride-1 layers in the DCGAN generator at 14x14; default 0),
    ``digits`` ("train": the
    sample's 7,996 training digits, the default; "all": all 10,000, test digits included,
    which an unsupervised GAN may use), ``lr_d`` (the discriminator's learning rate; default
    ``lr``), ``real_label`` (D's target for real images: 0.9 is one-sided label smoothing;
    default 1), ``decay_epochs`` (the learning rate
    falls linearly over the last ones: ``lr * (epochs - epoch + 1) / (decay_epochs + 1)``;
    0: constant), ``ema`` (the samples come from an exponential moving average of the
    generator, this decay per step; 0: the generator itself), ``augment`` (D's inputs, real and
    generated, each shifted by a random integer offset of up to this many pixels; 0: off),
    ``d_noise`` (instance noise: Gaussian noise of this std on D's inputs, falling linearly
    to 0 over the run; 0: off), ``d_dropout`` (dropout after the discriminator's
    LeakyReLUs; 0: none), ``g_topk`` (top-k training, Sinha et al. 2020: the generator's
    loss keeps only the generated images of the batch that D rates most real, a fraction
    of the batch falling linearly from 1 to ``g_topk`` over the run; 0 or 1: all of them),
    ``g_steps`` (generator updates per discriminator update, each on new noise; default 1);
    optional ``steps``: stop after that
    many steps in all (a checkpoint there; a resumed run then equals one never stopped).
    """
    seed, bs, nz = int(cfg["seed"]), int(cfg["batch_size"]), int(cfg["nz"])
    x = mnist_arrays(cfg.get("digits", "train"), cfg["limit_train"])[0]
    xtr = torch.from_numpy((x[:, None].astype(np.float32) / 127.5 - 1).astype(np.float32))
    torch.manual_seed(seed)
    if cfg["arch"] == "dcgan":
        G = DCGenerator(nz, int(cfg.get("g_width") or cfg["width"]), int(cfg.get("g_depth", 0)))
        D = DCDiscriminator(int(cfg["width"]), float(cfg.get("d_dropout", 0)))
        dcgan_init_(G), dcgan_init_(D)
    else:
        G, D = MLPGenerator(nz), MLPDiscriminator(dropout=float(cfg.get("d_dropout", 0)))
    lr, decay = float(cfg["lr"]), int(cfg.get("decay_epochs", 0))
    lr_d = float(cfg.get("lr_d") or lr)  # two time-scale updates (TTUR) when it differs
    real_label = float(cfg.get("real_label", 1.0))
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    # a moving average of the generator's weights (and BatchNorm statistics) draws the
    # samples: it smooths out the step-to-step wandering of the adversarial game
    ema = float(cfg.get("ema", 0))
    G_avg = copy.deepcopy(G) if ema else G
    done, states = load_state(torch, resume)
    history = list(states.get("history", []))
    if "model" in states:
        for obj, key in ((G, "model"), (D, "discriminator"), (opt_g, "opt_g"), (opt_d, "opt_d")):
            obj.load_state_dict(states[key])
        if ema:
            G_avg.load_state_dict(states["generator_ema"])
    n_batches = max(1, len(xtr) // bs)
    # regularising D, which pulls ahead late: its inputs (real and generated, in both
    # steps) shifted by up to `augment` pixels, and/or with Gaussian noise whose std falls
    # linearly from d_noise to 0 over the run; the draws are NumPy's, seeded by the step,
    # so both libraries see the same ones and a resumed run the same as an unbroken one
    shift, noise0 = int(cfg.get("augment", 0)), float(cfg.get("d_noise", 0))
    total_steps = int(cfg["epochs"]) * n_batches
    topk, g_steps = float(cfg.get("g_topk") or 0), int(cfg.get("g_steps") or 1)

    def d_view(images, draws):
        if shift:
            images = translate(images, draws.integers(-shift, shift + 1, (len(images), 2)),
                               shift)
        if noise0:
            std = noise0 * max(0.0, 1.0 - step / total_steps)
            images = images + torch.from_numpy(
                (std * draws.standard_normal(tuple(images.shape))).astype(np.float32))
        return images

    step = int(states.get("step", done * n_batches))  # optimizer steps (of each network)
    partial = states.get("partial")  # an epoch stopped by cfg["steps"]: where, its sums
    max_steps = cfg.get("steps")
    rng = np.random.default_rng(seed)
    for _ in range(done):
        rng.permutation(len(xtr))
    fixed = torch.from_numpy(np.random.default_rng(seed + 7).standard_normal(
        (64, nz)).astype(np.float32))
    stats_noise = torch.from_numpy(np.random.default_rng(seed + 13).standard_normal(
        (1000, nz)).astype(np.float32))  # (no draws from the training's random stream)

    def sampler():
        return standing_stats_(G_avg, stats_noise) if ema else G.eval()

    def checkpoint(epoch, part=None):
        save_state(torch, out, epoch, {"model": G.state_dict(), "discriminator": D.state_dict(),
                                       "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                                       "history": history, "step": step, "partial": part,
                                       **({"generator_ema": G_avg.state_dict()} if ema else {})},
                   {"recipe": cfg["recipe"], "config": cfg})

    stopped = False
    for epoch in range(done + 1, int(cfg["epochs"]) + 1):
        if max_steps is not None and step >= int(max_steps):
            stopped = True
            break
        # the last decay_epochs epochs: the learning rate falls linearly towards 0 (as in
        # pix2pix/CycleGAN), so the generator settles instead of wandering with D
        rate = min(1.0, (int(cfg["epochs"]) - epoch + 1) / (decay + 1))
        for opt, base in ((opt_g, lr), (opt_d, lr_d)):
            for group in opt.param_groups:
                group["lr"] = base * rate
        G.train(), D.train()
        sums, n = np.zeros(4), 0
        batches = np.array_split(rng.permutation(len(xtr)), n_batches)
        if partial:  # the batches trained before the stop are skipped, their sums kept
            sums, n = np.array(partial["sums"], dtype=np.float64), int(partial["batches"])
            partial = None
        for idx in batches[n:]:
            if max_steps is not None and step >= int(max_steps):  # stop; resume goes on here
                checkpoint(epoch - 1, {"batches": n, "sums": sums.tolist()})
                stopped = True
                break
            real = xtr[torch.from_numpy(idx)]
            ones, zeros = torch.ones(len(idx)), torch.zeros(len(idx))
            fake = G(torch.randn(len(idx), nz))
            draws = np.random.default_rng((seed, 17, step)) if shift or noise0 else None
            d_real, d_fake = D(d_view(real, draws)), D(d_view(fake.detach(), draws))
            loss_d = bce(d_real, ones * real_label) + bce(d_fake, zeros)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            for g_step in range(g_steps):  # (g_steps > 1: G catches up with a leading D)
                if g_step:
                    fake = G(torch.randn(len(idx), nz))
                logits, target = D(d_view(fake, draws)), ones
                if 0 < topk < 1:  # G learns from the k samples D rates most real (its
                    keep = 1 - (1 - topk) * step / total_steps  # worst ones' gradients
                    k = max(1, int(round(keep * len(idx))))    # point less towards digits)
                    logits, target = logits.topk(k).values, ones[:k]
                loss_g = bce(logits, target)  # non-saturating: max log D(G(z))
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
            if ema:  # the weights only: the averaged generator's BatchNorm statistics are
                with torch.no_grad():  # its own (standing_stats_ before it draws)
                    for a, b in zip(G_avg.parameters(), G.parameters()):
                        a.mul_(ema).add_(b.detach(), alpha=1 - ema)
            sums += [loss_d.item(), loss_g.item(), torch.sigmoid(d_real).mean().item(),
                     torch.sigmoid(d_fake).mean().item()]
            n += 1
            step += 1
        if stopped:
            log(f"stopped after {step} steps in epoch {epoch} (steps={max_steps}); resume "
                f"continues there")
            break
        sampler()
        with torch.no_grad():
            save_grid((G_avg(fixed) + 1) / 2, os.path.join(out, f"samples_{epoch:03d}.png")
                      if out else None, nrow=8)
        rec = dict(zip(("loss_d", "loss_g", "d_real", "d_fake"), (sums / n).tolist()))
        history.append({"epoch": epoch, **rec})
        log(f"epoch {epoch}/{cfg['epochs']} | D loss {rec['loss_d']:.4f} | G loss "
            f"{rec['loss_g']:.4f} | D(real) {rec['d_real']:.3f} | D(fake) {rec['d_fake']:.3f}")
        checkpoint(epoch)
        write_json(out, "history.json", history)
    result = {"history": history, "steps": step, "stopped": stopped}
    if cfg.get("classifier"):
        sampler()
        torch.manual_seed(seed + 11)
        with torch.no_grad():
            samples = torch.cat([G_avg(torch.randn(250, nz)) for _ in range(4)])
        result.update(classifier_check((samples + 1) / 2, cfg["classifier"]))
        log(f"classifier check on 1000 samples: mean top-class probability "
            f"{result['mean_top_prob']:.3f}, class-histogram entropy "
            f"{result['class_entropy']:.3f} nats, classes {result['class_counts']}")
    write_json(out, "results.json", result)
    return result
