"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``
(the function behind ``nn.MultiheadAttention``), with PyTorch's arguments and mask
conventions, composed from differentiable ember ops.

Mask conventions differ between the two, as in PyTorch: for
``scaled_dot_product_attention`` a boolean ``attn_mask`` says which positions TAKE PART
(True = attend); for ``multi_head_attention_forward`` / ``nn.MultiheadAttention`` a
boolean mask says which positions are MASKED OUT (True = ignore). Float masks are added
to the attention scores in both.
"""
import math

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _ember():
    import ember
    return ember


def _shape(t):
    return tuple(int(s) for s in t.shape)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """``softmax(Q K^T * scale + mask) V`` over the last two dimensions.

    Args:
        query (Tensor): ``(..., L, E)``.
        key (Tensor): ``(..., S, E)``.
        value (Tensor): ``(..., S, Ev)``.
        attn_mask (Tensor, optional): broadcastable to ``(..., L, S)``; boolean (True =
            take part) or float (added to the scores).
        dropout_p (float): dropout on the attention weights (always applied when > 0,
            as in PyTorch: pass 0.0 at evaluation time).
        is_causal (bool): position ``i`` attends to ``j <= i`` only (no ``attn_mask``).
        scale (float, optional): defaults to ``1 / sqrt(E)``.
        enable_gqa (bool): grouped-query attention: key/value heads (dim -3) are repeated
            to match the query heads.

    Shape:
        returns ``(..., L, Ev)``.

    Example:
        >>> q = k = v = ember.randn(2, 4, 5, 8)          # (batch, heads, seq, dim)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        ember.Size([2, 4, 5, 8])
    """
    ember = _ember()
    from .activation import softmax
    from .dropout import dropout
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if key.shape[-1] != E:
        raise RuntimeError(f"scaled_dot_product_attention: query of shape {_shape(query)} and key of "
                           f"shape {_shape(key)} must have the same last dimension")
    if value.shape[-2] != S:
        raise RuntimeError(f"scaled_dot_product_attention: key of shape {_shape(key)} and value of "
                           f"shape {_shape(value)} must have the same sequence length")
    if enable_gqa and key.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk:
            raise RuntimeError(f"scaled_dot_product_attention: {hq} query heads is not a multiple "
                               f"of {hk} key/value heads")
        key, value = (_repeat_heads(t, hq // hk) for t in (key, value))
    s = 1.0 / math.sqrt(E) if scale is None else float(scale)
    scores = (query @ key.transpose(-2, -1)) * s
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                               "when is_causal=True")
        attn_mask = ember.ones(L, S, dtype=ember.bool, device=query.device).tril()
    masked_rows = None
    if attn_mask is not None:
        if attn_mask.dtype == ember.bool:
            # a query that may attend to nothing gets zeros (PyTorch's safe softmax), not
            # NaN: its row is left unmasked for the softmax and zeroed after it
            masked_rows = attn_mask.logical_not().all(-1, keepdim=True)
            if bool(masked_rows.any()):
                attn_mask = attn_mask.logical_or(masked_rows)
            else:
                masked_rows = None
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if masked_rows is not None:
        weights = weights.masked_fill(masked_rows, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _repeat_heads(t, n):
    """(..., H, S, E) -> (..., H * n, S, E), each head repeated n times in a row."""
    shape = tuple(t.shape)
    return t.unsqueeze(-3).expand(shape[:-2] + (n,) + shape[-2:]).reshape(
        shape[:-3] + (shape[-3] * n,) + shape[-2:])


def _float_mask(mask, dtype, what):
    """A boolean mask (True = masked out) as an additive float mask of ``dtype``."""
    ember = _ember()
    if mask is None:
        return None
    if mask.dtype == ember.bool:
        return ember.zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {what} are supported")
    return mask.to(dtype)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                                 out_proj_bias, training=True, key_padding_mask=None, need_weights=True,
                                 attn_mask=None, use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
                                 average_attn_weights=True, is_causal=False):
    """Multi-head attention with PyTorch's packed projection layout (``in_proj_weight``
    is ``[W_q; W_k; W_v]``, ``(3E, E)``). See ``nn.MultiheadAttention`` for the meaning
    of the arguments; inputs are ``(L, N, E)`` (or unbatched ``(L, E)``).

    Returns:
        ``(attn_output (L, N, E), attn_weights)``; the weights are ``(N, L, S)``
        averaged over heads (``(N, H, L, S)`` with ``average_attn_weights=False``), or
        None when ``need_weights`` is False.
    """
    ember = _ember()
    from .activation import softmax
    from .dropout import dropout
    from .linear import linear
    from .padding import pad
    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {_shape(key)} does not match value shape {_shape(value)}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    dtype = query.dtype
    attn_mask = _float_mask(attn_mask, dtype, "attn_mask")
    key_padding_mask = _float_mask(key_padding_mask, dtype, "key_padding_mask")

    # input projections: one GEMM for self-attention, three otherwise
    if not use_separate_proj_weight:
        if query is key and key is value:
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
        else:
            w_q, w_k, w_v = in_proj_weight.chunk(3)
            b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
            q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    else:
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = (linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k),
                   linear(value, v_proj_weight, b_v))

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {_shape(attn_mask)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {_shape(attn_mask)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        k = ember.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ember.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else static_k)
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else static_v)
    if add_zero_attn:
        k = ember.cat([k, ember.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype)], 1)
        v = ember.cat([v, ember.zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype)], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{_shape(key_padding_mask)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len) \
            .reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights
