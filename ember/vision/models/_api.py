"""Weights handling shared by the model constructors (torchvision's ``weights=`` API).

``weights`` may be None (random init), a member of the model's ``*_Weights`` enum (or its
name, e.g. ``"IMAGENET1K_V1"`` / ``"DEFAULT"``), or a path to a state-dict file
(``.pth`` as torchvision publishes them, or an ember/safetensors file). Enum weights are
read from the local cache where torch keeps them (``$TORCH_HOME/hub/checkpoints``,
default ``~/.cache/torch/hub/checkpoints``): ember downloads nothing, and a missing file
is an error naming the path and the URL to fetch it from.
"""
import contextlib
import enum
import os

import ember as torch  # (written so scripts/torch_twin.py can run this file with torch)

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_weights", "get_weight", "list_models",
           "register_model", "load_weights", "no_init"]

_MODELS = {}


def register_model(fn):
    _MODELS[fn.__name__] = fn
    return fn


def list_models():
    """Names of the model constructors (torchvision's ``list_models``)."""
    return sorted(_MODELS)


def get_model(name, **config):
    """Build a model by name: ``get_model("resnet18", weights=None, num_classes=10)``."""
    if name.lower() not in _MODELS:
        raise ValueError(f"Unknown model {name}; available: {', '.join(list_models())}")
    return _MODELS[name.lower()](**config)


class Weights:
    """One set of published weights: where torchvision serves it and what it expects."""

    def __init__(self, url, num_classes=1000, crop_size=224, resize_size=256,
                 mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), meta=None):
        self.url, self.num_classes = url, num_classes
        self.crop_size, self.resize_size, self.mean, self.std = crop_size, resize_size, mean, std
        self.meta = dict(meta or {}, num_classes=num_classes)

    def transforms(self):
        """The preprocessing the weights were trained with (resize, centre crop, normalise)."""
        from .. import transforms as T
        return T.Compose([T.Resize(self.resize_size), T.CenterCrop(self.crop_size), T.ToTensor(),
                          T.Normalize(self.mean, self.std)])


class WeightsEnum(enum.Enum):
    """Base of the ``*_Weights`` enums: ``ResNet18_Weights.IMAGENET1K_V1.url`` etc."""

    @classmethod
    def verify(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name == "DEFAULT":
                return cls.DEFAULT
            if name in cls.__members__:
                return cls.__members__[name]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{obj!r}")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._value_, name)

    def get_state_dict(self, progress=True, check_hash=False):
        return torch.load(_cached_path(self.value.url), map_location="cpu")

    def transforms(self):
        return self.value.transforms()

    @property
    def url(self):
        return self.value.url

    @property
    def meta(self):
        return self.value.meta


def get_weight(name):
    """``get_weight("ResNet18_Weights.IMAGENET1K_V1")`` -> the enum member."""
    enum_name, _, member = name.partition(".")
    for fn in _MODELS.values():
        w = getattr(fn, "weights_enum", None)
        if w is not None and w.__name__ == enum_name:
            return w.verify(member)
    raise ValueError(f"Unknown weights {name}")


def get_model_weights(name):
    fn = _MODELS.get(name) if isinstance(name, str) else name
    if fn is None:
        raise ValueError(f"Unknown model {name}")
    return fn.weights_enum


def checkpoint_dir():
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "torch")
    return os.path.join(home, "hub", "checkpoints")


class WeightsNotFoundError(FileNotFoundError, ValueError):
    """Published weights are not in the local cache (ember never downloads them)."""


def _cached_path(url):
    path = os.path.join(checkpoint_dir(), os.path.basename(url))
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"pretrained weights not found at {path}: ember does not download "
                                f"them; fetch {url} and put it there (or pass weights=<path to the "
                                ".pth file>)")
    return path


_INIT_FUNCS = ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
               "xavier_normal_", "trunc_normal_", "constant_", "zeros_", "ones_")


@contextlib.contextmanager
def no_init():
    """Build modules without drawing initial values (they are about to be overwritten by a
    checkpoint): ``ember.nn.init``'s functions do nothing inside the block."""
    from ember.nn import init
    saved = {n: getattr(init, n) for n in _INIT_FUNCS if hasattr(init, n)}
    try:
        for n in saved:
            setattr(init, n, lambda tensor, *a, **k: tensor)
        yield
    finally:
        for n, f in saved.items():
            setattr(init, n, f)


def resolve(weights, weights_enum, pretrained=None, kwargs=None, default_classes=1000):
    """(enum member or path or None) from ``weights`` / legacy ``pretrained``; checks
    ``num_classes`` against published weights (torchvision's rule)."""
    if pretrained is not None:
        if weights is not None:
            raise ValueError("pass either weights= or pretrained=, not both")
        weights = weights_enum.DEFAULT if pretrained else None
    if weights is None:
        return None
    if isinstance(weights, (str, os.PathLike)) and (os.sep in os.fspath(weights)
                                                    or os.fspath(weights).endswith(
                                                        (".pth", ".pt", ".safetensors", ".tar"))):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"weights file not found: {path}")
        return path
    w = weights_enum.verify(weights)
    if kwargs is not None:
        n = kwargs.get("num_classes")
        if n is not None and n != w.value.num_classes:
            raise ValueError(f"The parameter 'num_classes' expected value {w.value.num_classes} "
                             f"but got {n} instead.")
        kwargs["num_classes"] = w.value.num_classes
    return w


def build(make, weights):
    """``make()`` the model -- without drawing random values when weights will replace them --
    and load the weights (an enum member or a file path)."""
    if weights is None:
        return make()
    with no_init():
        model = make()
    if isinstance(weights, str):
        state = torch.load(weights, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state and "conv1.weight" not in state:
            state = state["state_dict"]
    else:
        state = weights.get_state_dict()
    model.load_state_dict(state)
    return model
