"""``ember.backends.mps``: Apple's Metal backend is not available in ember."""


def is_available():
    """False: ember has no Metal (MPS) backend; code falls back to ``"cpu"``."""
    return False


def is_built():
    return False
