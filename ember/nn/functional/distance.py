"""Distances between vectors: ``pairwise_distance``, ``cosine_similarity``, ``pdist``."""
__all__ = ["pairwise_distance", "cosine_similarity", "pdist"]


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm distance ``||x1 - x2 + eps||_p`` along the last dimension (broadcasting).

    Shape:
        ``(N, D)``, ``(N, D)`` -> ``(N,)`` (``(N, 1)`` with keepdim).

    Example:
        >>> F.pairwise_distance(ember.zeros(2, 3), ember.ones(2, 3))
        tensor([1.7321, 1.7321])
    """
    d = x1 - x2 + eps
    if x1.dim() == 0 and x2.dim() == 0:
        d = d.reshape(1)
    return d.norm(p, dim=-1, keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (broadcasting;
    ``dim`` is removed).

    Example:
        >>> F.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
        tensor([0.7071])
    """
    n1 = x1.norm(2, dim=dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim=dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pdist(input, p=2.0):
    """Distances between all pairs of rows of a 2-D ``input``: the upper triangle
    (``i < j``, row-major) of the ``(N, N)`` distance matrix, shape ``(N (N - 1) / 2,)``."""
    import numpy as np

    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)  # host: an index table (CPU index tensors index CUDA data)
    from ... import tensor

    diff = input[tensor(i)] - input[tensor(j)]
    return diff.norm(p, dim=-1)
