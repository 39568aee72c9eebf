"""``embedding_bag``: sums, means or maxima of bags of embeddings without building the
intermediate ``(bags, bag length, dim)`` tensor of ``embedding`` + reduction."""
import numpy as np

__all__ = ["embedding_bag"]


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Reduce bags of embedding rows.

    Args:
        input (Tensor): int indices: ``(B, N)`` (B bags of N), or 1-D with ``offsets``.
        weight (Tensor): ``(num_embeddings, D)``.
        offsets (Tensor, optional): 1-D start of each bag in a 1-D ``input`` (one more,
            the end, with ``include_last_offset``).
        mode (str): ``"sum"``, ``"mean"`` or ``"max"``; empty bags give zeros.
        per_sample_weights (Tensor, optional): like ``input``; scales each row (``"sum"``
            only).
        padding_idx (int, optional): entries with this index are left out of their bag.
        max_norm, norm_type, scale_grad_by_freq: as for ``embedding``.

    Shape:
        returns ``(B, D)``.

    Example:
        >>> w = ember.arange(6.0).reshape(3, 2)
        >>> F.embedding_bag(ember.tensor([0, 2, 1]), w, ember.tensor([0, 2]), mode="sum")
        tensor([[4., 6.],
                [2., 3.]])
    """
    import ember
    from ...dtypes import to_numpy_dtype
    from .sparse import embedding
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True is not supported by ember (dense gradients only)")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  "on GitHub.")
    # the bag structure is planned on the host from the indices (copied back from a GPU)
    dev = weight.device
    idx = input.cpu().numpy().astype(np.int64)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                             "of fixed length sequences.")
        B, N = idx.shape
        bag = np.repeat(np.arange(B), N)
        flat = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        off = offsets.cpu().numpy().astype(np.int64).reshape(-1)
        if off.size and off[0] != 0:
            raise ValueError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                             f"from position 0. However, got {off[0]}")
        ends = off[1:] if include_last_offset else np.append(off[1:], idx.size)
        B = len(ends)
        starts = off[:B]
        bag = np.repeat(np.arange(B), np.maximum(ends - starts, 0))
        flat = input
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    flat_idx = idx.reshape(-1)[:bag.size]
    keep = np.ones(bag.size, bool) if padding_idx is None else flat_idx != padding_idx
    if bag.size != flat.shape[0]:   # (entries after the last bag's end are not in any bag)
        flat = flat[:bag.size]
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    D = weight.shape[1]
    if not keep.all():
        sel = ember.tensor(np.nonzero(keep)[0], device=dev)
        rows = ember.index_select(rows, 0, sel)
        if per_sample_weights is not None:
            per_sample_weights = ember.index_select(per_sample_weights, 0, sel)
        bag = bag[keep]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    bag_t = ember.tensor(bag.astype(np.int64), device=dev)
    if mode in ("sum", "mean"):
        out = ember.zeros((B, D), dtype=weight.dtype, device=dev).index_add(0, bag_t, rows)
        if mode == "mean":
            counts = np.bincount(bag, minlength=B).astype(np.float64)
            scale = (1.0 / np.maximum(counts, 1.0)).astype(to_numpy_dtype(weight.dtype))
            out = out * ember.tensor(scale, device=dev).unsqueeze(1)
        return out
    # max: pad every bag to the longest with -inf rows, take the max, empty bags -> 0
    counts = np.bincount(bag, minlength=B)
    L = int(counts.max()) if counts.size and counts.max() > 0 else 1
    pos = np.arange(bag.size) - np.concatenate(([0], np.cumsum(counts)[:-1]))[bag]
    grid = np.full((B, L), bag.size, dtype=np.int64)
    grid[bag, pos] = np.arange(bag.size)
    padded = ember.cat([rows, ember.full((1, D), float("-inf"), dtype=weight.dtype, device=dev)])
    out = ember.index_select(padded, 0, ember.tensor(grid.reshape(-1), device=dev)).reshape(B, L, D).amax(1)
    if (counts == 0).any():
        out = out.masked_fill(ember.tensor(counts == 0, device=dev).unsqueeze(1), 0.0)
    return out
