"""The ``inplace=True`` option of activations and dropout.

It goes through ember's one in-place mechanism (``ember.ops.inplace``): the op runs
out of place on a snapshot, the result is written into ``input``'s storage, the version
counter is bumped and ``input`` moves to the new graph node, so under autograd it
differentiates like PyTorch (and a leaf that requires grad raises, as in PyTorch).
"""
from ...ops.inplace import inplace as _inplace

__all__ = []


def maybe_inplace(input, inplace, fn, *args, **kwargs):
    """``fn(input, *args, **kwargs)``; with ``inplace`` written into ``input``, which is
    returned."""
    if not inplace:
        return fn(input, *args, **kwargs)
    return _inplace(input, fn, *args, op=getattr(fn, "__name__", "op").strip("_") + "_", **kwargs)
