"""``ember.nn.functional``: the stateless functions behind the layers (PyTorch's names
and arguments), re-exported from one file per family."""
from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from . import (activation, dropout, sparse, linear, conv, pooling, upsampling,  # noqa: F401
               normalization, loss)

__all__ = []
for _m in (activation, dropout, sparse, linear, conv, pooling, upsampling, normalization,
           loss):
    __all__ += list(_m.__all__)
del _m
