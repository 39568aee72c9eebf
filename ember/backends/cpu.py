"""``ember.backends.cpu``."""


def get_cpu_capability():
    """'DEFAULT': ember's CPU kernels are NumPy's (its BLAS picks its own SIMD level)."""
    return "DEFAULT"
