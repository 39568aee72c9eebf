"""``F.pad`` (the op lives with the other shape ops in ``ember.ops.shape``)."""
from ...ops.shape import pad

__all__ = ["pad"]
