"""BLAS thread control: ``ember.set_num_threads`` / ``get_num_threads`` (via threadpoolctl)."""
import os

_limiter = None


def set_num_threads(n):
    """Limit the BLAS/OpenMP threads NumPy's math uses to ``n``."""
    global _limiter
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise RuntimeError("set_num_threads needs threadpoolctl: pip install threadpoolctl "
                           "(or ember[train])") from None
    _limiter = threadpool_limits(limits=n)
    _limiter._ember_n = n


def get_num_threads():
    """The number of BLAS threads in use."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return info[0]["num_threads"] if info else (os.cpu_count() or 1)
