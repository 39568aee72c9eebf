"""``ember.distributed.nn``: collectives that autograd differentiates through
(``ember.distributed.nn.functional``), as ``torch.distributed.nn``."""
from . import functional  # noqa: F401
