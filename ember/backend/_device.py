"""Device objects: ``ember.device('cpu')``, ``ember.device('cuda', 0)``, ``'cuda:1'``."""

__all__ = ["device", "CPU", "as_device"]


class device:
    """Where a tensor lives: ``ember.device('cpu')`` or ``ember.device('cuda', 0)``.

    Args:
        type: ``'cpu'`` or ``'cuda'``, optionally with an index (``'cuda:1'``), or a device.
        index: the CUDA device number (None: the current one).

    Example:
        >>> ember.device("cuda:0")
        device(type='cuda', index=0)
    """
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and (
            self.index == other.index or self.index is None or other.index is None)

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self):
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(d):
    """``d`` (None, a string, a CUDA index or a device) as an ``ember.device``."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, int):
        return device("cuda", d)
    return device(d)
