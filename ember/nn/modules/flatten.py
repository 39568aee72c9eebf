"""Flatten and Unflatten layers."""
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dims ``start_dim`` .. ``end_dim`` into one.

    Shape:
        ``(*, S_start, ..., S_end, *)`` -> ``(*, prod(S_start..S_end), *)``.

    Example:
        >>> ember.nn.Flatten()(ember.zeros(32, 1, 5, 5)).shape
        ember.Size([32, 25])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` into ``unflattened_size``.

    Shape:
        ``(*, S_dim, *)`` -> ``(*, U_1, ..., U_n, *)`` with ``prod(U) == S_dim``
        (one entry may be -1).

    Example:
        >>> ember.nn.Unflatten(1, (2, 5))(ember.zeros(2, 10)).shape
        ember.Size([2, 2, 5])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise TypeError("Unflatten: named dims are not supported by ember; give an int dim")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, int) for s in unflattened_size):
            raise TypeError("unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        shape = tuple(input.shape)
        dim = self.dim + len(shape) if self.dim < 0 else self.dim
        if not 0 <= dim < len(shape):
            raise IndexError(f"Unflatten: dim {self.dim} out of range for input of shape "
                             f"{shape}")
        sizes = list(self.unflattened_size)
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        if -1 in sizes:
            if known == 0 or shape[dim] % known:
                raise RuntimeError(f"unflatten: cannot split dim {dim} of size {shape[dim]} "
                                   f"into {tuple(sizes)}")
            sizes[sizes.index(-1)] = shape[dim] // known
        elif known != shape[dim]:
            raise RuntimeError(
                f"unflatten: Provided sizes {tuple(self.unflattened_size)} don't multiply up "
                f"to the size of dim {self.dim} ({shape[dim]}) in the input tensor of shape "
                f"{shape}")
        return input.reshape(shape[:dim] + tuple(sizes) + shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
