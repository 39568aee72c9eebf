"""``ember.backends.cudnn``: PyTorch's cuDNN flags (recorded; ember has no cuDNN kernels).

``torch.backends.cudnn.benchmark = True`` and ``deterministic = True`` are the lines
course code sets; here they are plain module attributes you can set and read. ember's
CPU kernels are deterministic whatever ``deterministic`` says.
"""
import contextlib
import sys

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    """False: ember uses no cuDNN (its GPU path, if any, goes through CuPy)."""
    return False


def version():
    """None, as PyTorch reports when cuDNN is not available."""
    return None


def is_acceptable(tensor):
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags inside a ``with`` block and restore them after (PyTorch's ``cudnn.flags``)."""
    mod = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    new = (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    old = tuple(getattr(mod, n) for n in names)
    for n, v in zip(names, new):
        setattr(mod, n, v)
    try:
        yield
    finally:
        for n, v in zip(names, old):
            setattr(mod, n, v)
