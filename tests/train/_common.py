"""Tiny synthetic problems for the training-loop tests."""
import numpy as np

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


def blobs(n=96, seed=0):
    """A 3-class problem in 4-d that a small MLP learns in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], np.float32)
    x = centers[y] + rng.normal(0, 0.5, (n, 4)).astype(np.float32)
    return TensorDataset(ember.from_numpy(x), ember.from_numpy(y.astype(np.int64)))


def setup(seed=0, dropout=0.2, momentum=0.9, sched=True):
    """(model, train_loader, val_loader, optimizer, scheduler, loss_fn), all seeded."""
    ember.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))
    gen = ember.Generator().manual_seed(seed + 1)
    train = DataLoader(blobs(96, seed), batch_size=16, shuffle=True, generator=gen)
    val = DataLoader(blobs(48, seed + 100), batch_size=32)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    scheduler = ember.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5) if sched else None
    return model, train, val, opt, scheduler, nn.CrossEntropyLoss()


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}
