"""``embedding`` and ``one_hot`` (``ember.nn.functional``)."""
from ...autograd.grad_mode import no_grad
from ...ops.embedding import embedding_op, embedding_renorm_
from ...tensor import Tensor

__all__ = ["embedding", "one_hot"]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` at the integer ``input`` indices.

    Args:
        input (Tensor): integer indices, any shape.
        weight (Tensor): ``(num_embeddings, embedding_dim)``.
        padding_idx (int, optional): this row receives no gradient.
        max_norm (float, optional): rows looked up with a larger ``norm_type``-norm are
            rescaled to ``max_norm`` IN PLACE in ``weight`` first (as in PyTorch).
        scale_grad_by_freq (bool): divide each row's gradient by how often its index
            occurs in the batch.
        sparse (bool): must be False (ember has no sparse gradients).

    Shape:
        ``(*)`` -> ``(*, embedding_dim)``.

    Example:
        >>> F.embedding(ember.tensor([[0, 2]]), ember.randn(3, 4)).shape
        ember.Size([1, 2, 4])
    """
    if sparse:
        raise NotImplementedError("embedding: sparse=True is not supported by ember (dense "
                                  "gradients only)")
    if weight.dim() != 2:
        raise RuntimeError(f"embedding: expected a 2-D weight, got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += num
    if max_norm is not None:
        with no_grad():
            embedding_renorm_(weight, input, max_norm, norm_type)
    return embedding_op(input, weight, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """One-hot encoding of integer class indices: ``(*)`` -> ``(*, num_classes)`` int64.

    ``num_classes=-1`` uses ``max + 1``.
    """
    import numpy as np

    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got values "
                           f"in [{int(idx.min())}, {int(idx.max())}]")
    from ...backend import get_array_module
    xp = get_array_module(idx)
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._wrap(out)
