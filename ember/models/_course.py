"""Helpers of the course models' training functions that work for ember and PyTorch
tensors alike (they go through NumPy), so the same training code runs on both."""
import importlib.util
import json
import os

import numpy as np

__all__ = ["numpy_of", "save_grid", "save_state", "load_state", "write_json", "mnist_arrays",
           "classifier_check"]


def numpy_of(t):
    """A detached NumPy copy of an ember or torch tensor (or an array)."""
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "cpu"):
        t = t.cpu()
    return np.array(t.numpy() if hasattr(t, "numpy") else t)


def save_grid(images, path, nrow=10):
    """Save ``(N, C, H, W)`` images with values in [0, 1] as one PNG grid (needs Pillow,
    from ``ember[train]``; skipped without it). Returns whether it was written."""
    if path is None or importlib.util.find_spec("PIL") is None:
        return False
    import ember
    from ember.vision.utils import save_image
    arr = np.clip(numpy_of(images).astype(np.float32), 0.0, 1.0)
    save_image(ember.from_numpy(arr), path, nrow=nrow, padding=2, pad_value=1.0)
    return True


def save_state(lib, out, epoch, state, meta):
    """Write the run's checkpoint after ``epoch``: ``state`` maps names to state_dicts.
    With ember it is a training checkpoint that ``ember train --resume`` accepts."""
    if out is None:
        return
    from ember.train.checkpoint import CHECKPOINT_NAME, KIND
    payload = {"kind": KIND, "version": 1, "epoch": int(epoch), "meta": meta,
               "model": state.get("model", {}), "states": state,
               "rng": {"default": lib.get_rng_state()}}
    path = os.path.join(out, CHECKPOINT_NAME)
    lib.save(payload, path + ".tmp")
    os.replace(path + ".tmp", path)


def load_state(lib, resume):
    """``(epoch, states)`` of a checkpoint written by :func:`save_state` (restores the
    default random state too); ``(0, {})`` for no ``resume``."""
    if not resume:
        return 0, {}
    from ember.train import load_checkpoint
    ck = load_checkpoint(resume)
    lib.set_rng_state(ck["rng"]["default"])
    return int(ck["epoch"]), ck.get("states", {})


def write_json(out, name, obj):
    """Write ``obj`` as ``out/name`` (JSON), if ``out``."""
    if out is not None:
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=1, default=float)


def mnist_arrays(split, limit=None):
    """The embedded MNIST sample as ``(images uint8 (N, 28, 28), labels int64)``."""
    from ember.vision.datasets import load_mnist_sample
    x, y = load_mnist_sample(split)
    if limit is not None:
        x, y = x[:int(limit)], y[:int(limit)]
    return np.asarray(x), np.asarray(y, np.int64)


def classifier_check(images01, run_dir):
    """Classify generated digits ``(N, 1, 28, 28)`` in [0, 1] with the ``mnist-cnn``
    network of a run directory (or checkpoint) written by ``ember train mnist-cnn``.

    Returns ``{"mean_top_prob", "class_entropy" (nats, of the predicted-class
    histogram; log 10 = 2.303 when all ten digits are equally frequent),
    "class_counts"}``.
    """
    import ember
    from ember.models import MnistCNN
    from ember.train import load_checkpoint
    net = MnistCNN()
    net.load_state_dict(load_checkpoint(run_dir)["model"])
    net.eval()
    x = (numpy_of(images01).astype(np.float32) - np.float32(0.1307)) / np.float32(0.3081)
    with ember.no_grad():
        p = ember.softmax(net(ember.from_numpy(np.ascontiguousarray(x))), dim=1).numpy()
    counts = np.bincount(p.argmax(1), minlength=10)
    freq = counts / counts.sum()
    entropy = float(-(freq[freq > 0] * np.log(freq[freq > 0])).sum())
    return {"mean_top_prob": float(p.max(1).mean()), "class_entropy": entropy,
            "class_counts": counts.tolist()}
