"""``ember.nn.functional``: the stateless functions behind the layers (PyTorch's names
and arguments), re-exported from one file per family."""
import importlib as _importlib

from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .extra_losses import *  # noqa: F401,F403

__all__ = []
# (module objects fetched by path: some family files share a name with one of their
# functions, e.g. ``dropout``, which the star-imports above bind here)
for _name in ("activation", "dropout", "sparse", "linear", "distance", "conv", "pooling",
              "upsampling", "normalization", "loss", "padding", "attention", "embedding_bag", "vision",
              "extra_losses"):
    __all__ += list(_importlib.import_module(f"{__name__}.{_name}").__all__)
del _name
