"""Every ``ember.nn`` module class, re-exported from its family file (paths mirror
PyTorch's: ``ember.nn.modules.linear.Linear``)."""
import importlib as _importlib

from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .sync_batchnorm import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .shuffle_fold import *  # noqa: F401,F403
from .extra_losses import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403

__all__ = []
for _name in ("module", "container", "linear", "activation", "dropout", "sparse", "flatten",
              "distance", "conv", "pooling", "upsampling", "normalization", "batchnorm", "instancenorm",
              "sync_batchnorm", "loss", "padding", "rnn", "attention", "transformer", "embedding_bag",
              "shuffle_fold", "extra_losses", "lazy"):
    __all__ += list(_importlib.import_module(f"{__name__}.{_name}").__all__)
del _name
