"""Transfer learning (the ``transfer`` recipe): pretrain a small CNN on Fashion-MNIST,
then learn MNIST digits from only 100 labelled examples per class three ways:

1. **frozen**: the pretrained backbone frozen (``requires_grad_(False)``, BN statistics
   kept), a new head ``model.fc = nn.Linear(...)`` trained alone;
2. **fine-tune**: every layer trained, the backbone at a 10x lower learning rate
   (optimizer ``param_groups``);
3. **scratch**: the same network from a random start, same data and schedule.

The code is plain PyTorch-style code on ``import ember as torch``: the same file run
with PyTorch is its twin (``scripts/torch_twin.py``).
"""
import numpy as np

import ember as torch
from ember import nn
from ember.models._course import load_state, mnist_arrays, save_state, write_json

__all__ = ["TransferNet", "train_transfer", "few_shot_split"]

_FASHION = (0.2860, 0.3530)
_MNIST = (0.1307, 0.3081)


class TransferNet(nn.Module):
    """Backbone ``features`` (3 conv 3x3 + BN + ReLU blocks, two 2x2 max-pools, global
    average pooling) and a linear head ``fc`` that transfer learning replaces.

    Shape:
        input ``(N, 1, 28, 28)``, output ``(N, num_classes)``.

    Example:
        >>> TransferNet()(ember.randn(2, 1, 28, 28)).shape
        ember.Size([2, 10])
    """

    def __init__(self, num_classes=10, width=32):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(4 * w, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def _tensor(images, stats):
    x = (images.astype(np.float32) / 255 - stats[0]) / stats[1]
    return torch.from_numpy(np.ascontiguousarray(x[:, None], dtype=np.float32))


def few_shot_split(images, labels, per_class, seed=0):
    """The first ``per_class`` examples of each class after a seeded shuffle."""
    order = np.random.default_rng(seed).permutation(len(labels))
    keep = np.concatenate([order[labels[order] == c][:per_class] for c in range(10)])
    return images[np.sort(keep)], labels[np.sort(keep)]


def fit_classifier(model, optimizer, x, y, epochs, batch_size, seed, frozen_backbone=False,
                   max_steps=None, position=None):
    """Plain mini-batch training with a seeded NumPy shuffle (the same batches for ember
    and PyTorch). A frozen backbone stays in eval mode, so its BatchNorm statistics are
    the pretrained ones.

    Args:
        max_steps (int, optional): stop before the step that would exceed this many steps
            of this training in all (those before ``position`` included).
        position (dict, optional): where an earlier call stopped (the position it
            returned; the model and optimizer already restored): the shuffles of the
            epochs before are drawn again, the batches trained then skipped, so the
            training goes on exactly as if it had not stopped.

    Returns:
        ``(loss, None)``: the last epoch's mean loss, when all ``epochs`` are done; or
        ``(nan, position)`` when ``max_steps`` stopped it first, ``position`` a dict
        (``epoch``, ``batch``, ``steps``, ``total``: the epoch's loss sum so far).
    """
    rng = np.random.default_rng(seed)
    loss_fn = nn.CrossEntropyLoss()
    labels = torch.from_numpy(y)
    pos = dict(position or {"epoch": 0, "batch": 0, "steps": 0, "total": 0.0})
    for _ in range(pos["epoch"]):  # the shuffles of the epochs trained before the stop
        rng.permutation(len(y))
    last = float("nan")
    for epoch in range(pos["epoch"], epochs):
        model.train()
        if frozen_backbone:
            model.features.eval()
        order = rng.permutation(len(y))
        starts = range(0, len(y), batch_size)
        for i in starts[pos["batch"]:]:
            if max_steps is not None and pos["steps"] >= max_steps:
                return float("nan"), pos
            idx = torch.from_numpy(order[i:i + batch_size])
            loss = loss_fn(model(x[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            pos["total"] += loss.item() * len(idx)
            pos["batch"] += 1
            pos["steps"] += 1
        last = pos["total"] / len(y)
        pos.update(epoch=epoch + 1, batch=0, total=0.0)
    return last, None


def accuracy(model, x, y, batch_size=500):
    """Top-1 accuracy (a fraction) of ``model`` on ``x``/``y`` in eval mode."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            pred = model(x[i:i + batch_size]).argmax(1).numpy()
            correct += int((pred == y[i:i + batch_size]).sum())
    return correct / len(y)


def train_transfer(cfg, out=None, resume=None, log=print):
    """Run the four stages (pretrain, frozen, fine-tune, scratch); checkpoint after
    each. Returns ``{"pretrain": acc, "frozen": acc, "finetune": acc, "scratch": acc}``
    (test accuracies; pretrain's on Fashion-MNIST's test set, the others on the MNIST
    sample's 2,004 test digits).

    cfg keys: ``seed``, ``lr``, ``batch_size``, ``epochs`` (fine-tuning epochs),
    ``pretrain_epochs``, ``limit_train`` (Fashion-MNIST training images),
    ``limit_test``, ``per_class``, ``width`` (the backbone's first conv channels),
    ``data_dir``; optional ``steps``: optimizer steps in all over the four stages (the
    checkpoint then holds the stage's model, optimizer and position: a resumed run
    goes on inside the stage and ends as a run that never stopped).
    """
    from ember.vision.datasets import FashionMNIST
    seed, lr, bs = int(cfg["seed"]), float(cfg["lr"]), int(cfg["batch_size"])
    width = int(cfg.get("width", 32))
    meta = {"recipe": cfg["recipe"], "config": cfg}
    done, states = load_state(torch, resume)
    results = dict(states.get("results", {}))
    pre_state = states.get("pretrained")
    partial = states.get("partial")  # the stage a step budget stopped: optimizer, position

    fm = FashionMNIST(cfg["data_dir"], train=True, download=True)
    fm_test = FashionMNIST(cfg["data_dir"], train=False, download=True)
    lim = cfg["limit_train"]
    fx, fy = np.asarray(fm.data.numpy())[:lim], np.asarray(fm.targets.numpy(), np.int64)[:lim]
    tx = np.asarray(fm_test.data.numpy())[:cfg["limit_test"]]
    ty = np.asarray(fm_test.targets.numpy(), np.int64)[:cfg["limit_test"]]
    mx, my = mnist_arrays("train")
    mx, my = few_shot_split(mx, my, int(cfg["per_class"]), seed)
    vx, vy = mnist_arrays("test", cfg["limit_test"])
    mx_t, vx_t = _tensor(mx, _MNIST), _tensor(vx, _MNIST)

    def checkpoint(stage, model_state, part=None):
        save_state(torch, out, stage, {"model": model_state, "pretrained": pre_state,
                                       "results": results, "partial": part}, meta)
        write_json(out, "results.json", results)

    epochs = int(cfg["epochs"])
    # cfg["steps"] (ember train --steps): optimizer steps in all over the four stages
    sizes = [int(cfg["pretrain_epochs"]) * -(-len(fy) // bs)] + [epochs * -(-len(my) // bs)] * 3

    def pretrained():
        model = TransferNet(width=width)
        model.load_state_dict(pre_state)
        return model

    def run_stage(stage, model, opt, x, y, n_epochs, frozen_backbone=False):
        """Train stage 1-4 (going on from a stop inside it); ``(model, loss)``, or
        ``(None, None)`` when the step budget stopped it (saved there)."""
        nonlocal partial
        position = None
        if partial is not None:  # this stage was stopped part-way: go on from there
            model.load_state_dict(states["model"])
            opt.load_state_dict(partial["opt"])
            position, partial = partial["position"], None
        budget = None if cfg.get("steps") is None else int(cfg["steps"]) - sum(sizes[:stage - 1])
        loss, stopped = fit_classifier(model, opt, x, y, n_epochs, bs, seed, frozen_backbone,
                                       max_steps=budget, position=position)
        if stopped is None:
            return model, loss
        checkpoint(stage - 1, model.state_dict(), {"opt": opt.state_dict(), "position": stopped})
        log(f"stopped after {cfg['steps']} steps in stage {stage} (steps); resume continues "
            f"there")
        return None, None

    def stop():
        return {**results, "steps": int(cfg["steps"]), "stopped": True}

    # 1. pretrain the whole network on Fashion-MNIST
    if done < 1:
        torch.manual_seed(seed)
        model = TransferNet(width=width)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        model, loss = run_stage(1, model, opt, _tensor(fx, _FASHION), fy,
                                int(cfg["pretrain_epochs"]))
        if model is None:
            return stop()
        results["pretrain"] = accuracy(model, _tensor(tx, _FASHION), ty)
        pre_state = model.state_dict()
        log(f"pretrain on {len(fy)} Fashion-MNIST images: loss {loss:.4f}, test accuracy "
            f"{100 * results['pretrain']:.2f}%")
        checkpoint(1, pre_state)

    # 2. frozen backbone, new head
    if done < 2:
        torch.manual_seed(seed + 1)
        model = pretrained()
        model.requires_grad_(False)         # freeze everything ...
        model.fc = nn.Linear(model.fc.in_features, 10)  # ... then a new, trainable head
        opt = torch.optim.Adam(model.fc.parameters(), lr=lr)
        model, _ = run_stage(2, model, opt, mx_t, my, epochs, frozen_backbone=True)
        if model is None:
            return stop()
        results["frozen"] = accuracy(model, vx_t, vy)
        log(f"frozen backbone + new head: test accuracy {100 * results['frozen']:.2f}%")
        checkpoint(2, model.state_dict())

    # 3. fine-tune everything, backbone at a tenth of the head's learning rate
    if done < 3:
        torch.manual_seed(seed + 1)
        model = pretrained()
        model.fc = nn.Linear(model.fc.in_features, 10)
        opt = torch.optim.Adam([{"params": model.features.parameters(), "lr": lr / 10},
                                {"params": model.fc.parameters()}], lr=lr)
        model, _ = run_stage(3, model, opt, mx_t, my, epochs)
        if model is None:
            return stop()
        results["finetune"] = accuracy(model, vx_t, vy)
        log(f"full fine-tuning (backbone lr {lr / 10:g}, head lr {lr:g}): test accuracy "
            f"{100 * results['finetune']:.2f}%")
        checkpoint(3, model.state_dict())

    # 4. the same network from scratch on the same digits
    if done < 4:
        torch.manual_seed(seed + 1)
        model = TransferNet(width=width)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        model, _ = run_stage(4, model, opt, mx_t, my, epochs)
        if model is None:
            return stop()
        results["scratch"] = accuracy(model, vx_t, vy)
        log(f"from scratch: test accuracy {100 * results['scratch']:.2f}%")
        checkpoint(4, model.state_dict())
    results["train_digits"] = len(my)
    write_json(out, "results.json", results)
    return results
