"""Memory allocator settings: glibc's heap for NumPy, CuPy's memory pool on CUDA.

(Which settings ember applies by default is the CPU-speed work's policy; this is where
they live.)
"""

__all__ = ["keep_freed_memory", "memory_pool"]


def keep_freed_memory(enabled=True):
    """Let glibc's malloc reuse freed memory for big NumPy temporaries (Linux/glibc only).

    By default glibc serves allocations above a dynamic threshold (128 KB to 32 MB) with
    fresh ``mmap`` pages and returns them on free, so every activation-sized temporary is
    page-faulted (zero-filled) again on every op. Raising the mmap threshold to 32 MB and
    the trim threshold to 1 GB keeps freed blocks in the heap for reuse: the role
    PyTorch's caching allocator plays for it. Measured: the CNN training step -28%,
    ResNet-18 -10%, peak memory within +9%. ember calls this once at import; call
    ``keep_freed_memory(False)`` to restore glibc's defaults.

    Returns:
        True if the settings were applied (glibc found), else False.
    """
    import ctypes
    import ctypes.util
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to tune
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    if enabled:
        ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) and mallopt(M_TRIM_THRESHOLD, 1 << 30)
    else:  # glibc's defaults (the mmap threshold becomes dynamic again only in new processes)
        ok = mallopt(M_MMAP_THRESHOLD, 128 << 10) and mallopt(M_TRIM_THRESHOLD, 128 << 10)
    return bool(ok)


def memory_pool():
    """The CUDA module's device memory pool (CuPy's caching allocator), or None without CUDA."""
    from ._arrays import cuda_module
    xp = cuda_module()
    return None if xp is None else xp.get_default_memory_pool()
