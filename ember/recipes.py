"""The ``ember train`` recipes: a model, its data, and the settings that train it well.

Each :class:`Recipe` names a model builder, a data builder and default settings
(epochs, batch size, optimizer, learning rate, scheduler, seed). :func:`build` turns a
recipe and a configuration into everything :func:`ember.train.fit` needs.

Recipes:
    mnist-mlp    784-1024-10 ReLU network, plain SGD (the first homework's network)
    mnist-cnn    two 5x5 convs + pooling + FC on the embedded MNIST sample (plain
                 ``ember train``)
    fashion-mlp  784-512-256-10 ReLU network with dropout on Fashion-MNIST
    fashion-cnn  2 conv + BN + pooling + FC on Fashion-MNIST
    cifar10-cnn  the lectures' 8-conv CIFAR-10 network, random crop + flip

The MNIST recipes use the 10k digits shipped with ember (no download) unless
``data_dir`` is given, in which case they use full MNIST from there.
"""
import dataclasses
import difflib
from typing import Callable

import numpy as np

__all__ = ["Recipe", "RecipeError", "RECIPES", "register", "get_recipe", "make_config", "check_data_dir",
           "build", "build_optimizer", "build_scheduler", "OPTIMIZERS", "SCHEDULERS",
           "DEFAULT_RECIPE"]

DEFAULT_RECIPE = "mnist-cnn"
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "onecycle")


class RecipeError(ValueError):
    """An unknown recipe or an invalid setting; the message says what to use instead."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A named training setup.

    Attributes:
        name (str): what ``ember train NAME`` calls it.
        description (str): one line for ``ember recipes``.
        model (callable): ``model(config) -> nn.Module``.
        data (callable): ``data(config) -> (train_dataset, test_dataset, info)``, info
            a short description of the data (e.g. ``"embedded MNIST sample"``).
        defaults (dict): settings: ``epochs``, ``batch_size``, ``lr``, ``optimizer``,
            ``momentum``, ``weight_decay``, ``scheduler``, ``seed``, ``workers``.
    """
    name: str
    description: str
    model: Callable
    data: Callable
    defaults: dict


RECIPES = {}


def register(recipe):
    """Add a recipe to the registry (``ember recipes`` lists it). Returns it."""
    if recipe.name in RECIPES:
        raise RecipeError(f"recipe {recipe.name!r} is already registered")
    RECIPES[recipe.name] = recipe
    return recipe


def get_recipe(name):
    """The recipe called ``name``; :class:`RecipeError` naming the close ones if unknown."""
    try:
        return RECIPES[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), RECIPES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise RecipeError(f"unknown recipe {name!r}: {hint}choose one of "
                          f"{', '.join(RECIPES)} (ember recipes lists them)") from None


_COMMON = {"momentum": 0.0, "weight_decay": 0.0, "seed": 0, "workers": 0,
           "eval_batch_size": 500, "data_dir": None, "limit_train": None, "limit_test": None}


def make_config(recipe, **overrides):
    """The recipe's defaults updated with the overrides that are not None; checked."""
    cfg = {**_COMMON, **recipe.defaults, "recipe": recipe.name}
    for k, v in overrides.items():
        if k not in cfg:
            raise RecipeError(f"unknown setting {k!r} for recipe {recipe.name}")
        if v is not None:
            cfg[k] = v
    if cfg["optimizer"] not in OPTIMIZERS:
        raise RecipeError(f"unknown optimizer {cfg['optimizer']!r}: choose one of "
                          f"{', '.join(OPTIMIZERS)}")
    if cfg["scheduler"] not in SCHEDULERS:
        raise RecipeError(f"unknown scheduler {cfg['scheduler']!r}: choose one of "
                          f"{', '.join(SCHEDULERS)}")
    for key in ("epochs", "batch_size", "eval_batch_size"):
        if int(cfg[key]) < 1:
            raise RecipeError(f"{key.replace('_', '-')} must be at least 1, got {cfg[key]}")
    if int(cfg["workers"]) < 0:
        raise RecipeError(f"workers must be >= 0, got {cfg['workers']}")
    if not float(cfg["lr"]) > 0:
        raise RecipeError(f"lr must be positive, got {cfg['lr']}")
    for key in ("limit_train", "limit_test"):
        if cfg[key] is not None and int(cfg[key]) < 1:
            raise RecipeError(f"{key.replace('_', '-')} must be at least 1, got {cfg[key]}")
    check_data_dir(cfg["data_dir"], file_ok=bool(cfg.get("data_file")))
    return cfg


def check_data_dir(data_dir, file_ok=False):
    """A given data root must be an existing folder (or, with ``file_ok``, a file: the
    recipes whose defaults say ``data_file=True``): never fall back silently to another
    copy of the data. :class:`RecipeError` otherwise."""
    if data_dir is None:
        return
    import os
    path = os.path.expanduser(os.fspath(data_dir))
    if file_ok and os.path.isfile(path):
        return
    if os.path.isfile(path):
        raise RecipeError(f"--data-dir {data_dir} is a file; give the folder that holds "
                          "the data (e.g. the one with MNIST/raw/ in it)")
    if not os.path.isdir(path):
        raise RecipeError(f"--data-dir {data_dir} does not exist; create it (the data is "
                          "downloaded into it) or give the folder that holds the data")


# ----------------------------------------------------------------------------- data
def _images_to_tensor(images, mean, std):
    """uint8 ``(N, H, W)`` or ``(N, H, W, C)`` -> normalised float32 ``(N, C, H, W)``
    (what ToTensor + Normalize do per image, done once for the whole array)."""
    import ember
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    else:
        x = x.transpose(0, 3, 1, 2)
    mean = np.asarray(mean, np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(std, np.float32).reshape(1, -1, 1, 1)
    out = (x.astype(np.float32) * np.float32(1 / 255) - mean) / std
    return ember.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def _tensor_dataset(images, labels, mean, std, limit):
    import ember
    from ember.utils.data import TensorDataset
    if limit is not None:
        images, labels = images[:int(limit)], labels[:int(limit)]
    return TensorDataset(_images_to_tensor(images, mean, std),
                         ember.from_numpy(np.asarray(labels, dtype=np.int64)))


def _arrays(ds):
    data = ds.data.numpy() if hasattr(ds.data, "numpy") else np.asarray(ds.data)
    targets = ds.targets.numpy() if hasattr(ds.targets, "numpy") else np.asarray(ds.targets)
    return data, targets


_MNIST_STATS = ((0.1307,), (0.3081,))
_FASHION_STATS = ((0.2860,), (0.3530,))
_CIFAR_STATS = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))


def _mnist_data(cfg):
    from ember.vision import datasets
    if cfg["data_dir"] is None:
        (xtr, ytr), (xte, yte) = (datasets.load_mnist_sample("train"),
                                  datasets.load_mnist_sample("test"))
        info = "embedded MNIST sample"
    else:
        xtr, ytr = _arrays(datasets.MNIST(cfg["data_dir"], train=True, download=True))
        xte, yte = _arrays(datasets.MNIST(cfg["data_dir"], train=False, download=True))
        info = f"MNIST from {cfg['data_dir']}"
    return (_tensor_dataset(xtr, ytr, *_MNIST_STATS, cfg["limit_train"]),
            _tensor_dataset(xte, yte, *_MNIST_STATS, cfg["limit_test"]), info)


def _fashion_data(cfg):
    from ember.vision import datasets
    tr = datasets.FashionMNIST(cfg["data_dir"], train=True, download=True)
    te = datasets.FashionMNIST(cfg["data_dir"], train=False, download=True)
    # say which copy is used (the data root's, or Debian's package)
    return (_tensor_dataset(*_arrays(tr), *_FASHION_STATS, cfg["limit_train"]),
            _tensor_dataset(*_arrays(te), *_FASHION_STATS, cfg["limit_test"]),
            f"Fashion-MNIST from {tr.source_folder}")


def cifar10_train_transform():
    """The cifar10-cnn recipe's augmentation: random crop (padding 4), horizontal flip,
    then ToTensor and Normalize."""
    from ember.vision import transforms as T
    return T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                      T.Normalize(*_CIFAR_STATS)])


def _cifar10_data(cfg):
    from ember.utils.data import Subset
    from ember.vision import datasets
    train = datasets.CIFAR10(cfg["data_dir"], train=True, transform=cifar10_train_transform(),
                             download=True)
    if cfg["limit_train"] is not None:
        train = Subset(train, range(min(int(cfg["limit_train"]), len(train))))
    test = datasets.CIFAR10(cfg["data_dir"], train=False, download=True)
    xte, yte = _arrays(test)
    return train, _tensor_dataset(xte, yte, *_CIFAR_STATS, cfg["limit_test"]), "CIFAR-10"


# ----------------------------------------------------------------------------- models
def _mlp(cfg):
    from ember.models import MLP
    return MLP(784, (1024,), 10)


def _mnist_cnn(cfg):
    from ember.models import MnistCNN
    return MnistCNN()


def _fashion_mlp(cfg):
    from ember.models import MLP
    return MLP(784, (512, 256), 10, dropout=0.2)


def _fashion_cnn(cfg):
    from ember.models import FashionCNN
    return FashionCNN()


def _cifar10_cnn(cfg):
    from ember.models import Cifar10CNN
    return Cifar10CNN()


def _defaults(**kw):
    return kw


register(Recipe("mnist-mlp", "784-1024-10 ReLU network, plain SGD, embedded MNIST sample",
                _mlp, _mnist_data,
                _defaults(epochs=10, batch_size=64, lr=0.1, optimizer="sgd",
                          scheduler="none")))
register(Recipe("mnist-cnn", "2 conv (5x5) + pooling + FC, Adam, embedded MNIST sample "
                "(plain `ember train`)", _mnist_cnn, _mnist_data,
                _defaults(epochs=5, batch_size=64, lr=3e-3, optimizer="adam",
                          scheduler="onecycle")))
register(Recipe("fashion-mlp", "784-512-256-10 ReLU network with dropout, Adam, "
                "Fashion-MNIST", _fashion_mlp, _fashion_data,
                _defaults(epochs=10, batch_size=128, lr=1e-3, optimizer="adam",
                          scheduler="cosine")))
register(Recipe("fashion-cnn", "2 conv + BN + pooling + FC, Adam, Fashion-MNIST",
                _fashion_cnn, _fashion_data,
                _defaults(epochs=10, batch_size=128, lr=3e-3, optimizer="adam",
                          scheduler="onecycle")))
register(Recipe("cifar10-cnn", "the lectures' 8-conv network, random crop + flip, "
                "CIFAR-10", _cifar10_cnn, _cifar10_data,
                _defaults(epochs=30, batch_size=128, lr=1e-3, optimizer="adam",
                          scheduler="cosine", workers=2)))


# ----------------------------------------------------------------------------- building
def build_optimizer(cfg, params):
    """The optimizer the configuration names, over ``params``."""
    from ember import optim
    lr, wd, mom = float(cfg["lr"]), float(cfg["weight_decay"]), float(cfg["momentum"])
    name = cfg["optimizer"]
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=mom, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd or 1e-2)
    return optim.RMSprop(params, lr=lr, momentum=mom, weight_decay=wd)


def build_scheduler(cfg, optimizer, steps_per_epoch):
    """The learning-rate scheduler the configuration names (None for ``"none"``)."""
    from ember.optim import lr_scheduler as S
    name, epochs = cfg["scheduler"], int(cfg["epochs"])
    if name == "none":
        return None
    if name == "step":
        return S.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs)
    return S.OneCycleLR(optimizer, max_lr=float(cfg["lr"]),
                        total_steps=epochs * max(1, steps_per_epoch))


def build(cfg, data=None):
    """Everything to train a configuration: a dict with ``model``, ``train_loader``,
    ``test_loader``, ``optimizer``, ``scheduler``, ``loss_fn``, ``info``.

    Seeds ``ember.manual_seed(cfg["seed"])`` first, so the same configuration builds the
    same initial model; the training loader shuffles with its own Generator.

    Args:
        cfg (dict): from :func:`make_config`.
        data (tuple, optional): ``(train_dataset, test_dataset, info)`` already loaded.
    """
    import ember
    from ember import nn
    from ember.utils.data import DataLoader
    recipe = get_recipe(cfg["recipe"])
    train_ds, test_ds, info = data if data is not None else recipe.data(cfg)
    ember.manual_seed(int(cfg["seed"]))
    model = recipe.model(cfg)
    gen = ember.Generator().manual_seed(int(cfg["seed"]) + 1)
    # --workers is honoured for every recipe (in-memory datasets too: the batches are
    # the same, assembled in worker processes)
    train_loader = DataLoader(train_ds, batch_size=int(cfg["batch_size"]), shuffle=True,
                              generator=gen, num_workers=int(cfg["workers"]))
    # (fresh workers each epoch, seeded from `gen`: a resumed run augments identically)
    test_loader = DataLoader(test_ds, batch_size=int(cfg["eval_batch_size"]), shuffle=False)
    optimizer = build_optimizer(cfg, model.parameters())
    scheduler = build_scheduler(cfg, optimizer, len(train_loader))
    return {"model": model, "train_loader": train_loader, "test_loader": test_loader,
            "optimizer": optimizer, "scheduler": scheduler,
            "loss_fn": nn.CrossEntropyLoss(), "info": info,
            "train_size": len(train_ds), "test_size": len(test_ds)}


# the course's larger models (ResNet, transfer, GAN, VAE, video, RL) register themselves
from . import recipes_course  # noqa: E402,F401
# ... and so do the language models (wikitext-lstm, charlm)
from .text.recipes import register_recipes as _register_text  # noqa: E402

_register_text()
