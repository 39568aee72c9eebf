"""``ember.backends.mkldnn``: oneDNN is not used by ember (flags recorded only)."""
enabled = False


def is_available():
    return False
