"""``ember.backends.openmp``: ember threads through NumPy's BLAS, not OpenMP."""


def is_available():
    return False
