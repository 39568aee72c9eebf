"""Embedding: a lookup table of learnable vectors."""
from .. import functional as F
from .. import init
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    Args:
        num_embeddings (int): size of the vocabulary.
        embedding_dim (int): size of each vector.
        padding_idx (int, optional): this row is initialised to zeros and gets no
            gradient (a "padding" token).
        max_norm (float, optional): rows looked up with a norm above ``max_norm`` are
            rescaled to ``max_norm`` in place before the lookup.
        norm_type (float): the p of the p-norm for ``max_norm``. Default: 2.
        scale_grad_by_freq (bool): scale gradients by the inverse frequency of the
            indices in the batch. Default: False.
        sparse (bool): must be False (ember has dense gradients only).
        _weight (Tensor, optional): use this as the initial weight.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, initialised from ``N(0, 1)``.

    Shape:
        ``(*)`` integer indices -> ``(*, embedding_dim)``.

    Example:
        >>> emb = ember.nn.Embedding(10, 3, padding_idx=0)
        >>> emb(ember.tensor([[1, 2, 0]])).shape
        ember.Size([1, 3, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        from ... import empty

        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if padding_idx > 0:
                assert padding_idx < num_embeddings, "Padding_idx must be within num_embeddings"
            elif padding_idx < 0:
                assert padding_idx >= -num_embeddings, \
                    "Padding_idx must be within num_embeddings"
                padding_idx = num_embeddings + padding_idx
        if sparse:
            raise NotImplementedError("Embedding: sparse=True is not supported by ember "
                                      "(dense gradients only)")
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, device=device,
                                          dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight._data[self.padding_idx] = 0
                self.weight._bump_version()

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq=True"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (2-D); frozen unless
        ``freeze=False``.

        Example:
            >>> emb = ember.nn.Embedding.from_pretrained(ember.randn(5, 3))
            >>> emb.weight.requires_grad
            False
        """
        if not isinstance(embeddings, Tensor):
            embeddings = Tensor(embeddings)
        if embeddings.dim() != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings,
                   _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


# PyTorch's module path: torch.nn.modules.sparse.EmbeddingBag
from .embedding_bag import EmbeddingBag  # noqa: E402,F401
