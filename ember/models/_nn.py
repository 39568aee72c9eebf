"""Model files build their layers from an ``nn`` namespace (``ember.nn`` by default), so
the same function also builds the PyTorch twin of a model for comparisons."""


def default_nn(nn=None):
    if nn is None:
        import ember.nn as nn
    return nn
