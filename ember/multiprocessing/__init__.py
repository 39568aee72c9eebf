"""``ember.multiprocessing``: Python's ``multiprocessing`` plus PyTorch's ``spawn``.

``spawn(fn, args, nprocs)`` starts distributed ranks as MPI processes (see
``ember.distributed.spawn``); everything else is the standard library's
``multiprocessing`` (ember tensors pickle like NumPy arrays; there is no shared-memory
tensor sharing).
"""
from multiprocessing import *  # noqa: F401,F403
from multiprocessing import get_context, get_start_method, set_start_method  # noqa: F401

from ..distributed.spawn import (ProcessExitedException, ProcessRaisedException,  # noqa: F401
                                 spawn, start_processes)
