"""``linear`` and ``bilinear`` (``ember.nn.functional``)."""
from ...ops.linear import Linear

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """``y = x W^T + b``.

    Args:
        input (Tensor): ``(*, in_features)``.
        weight (Tensor): ``(out_features, in_features)``.
        bias (Tensor, optional): ``(out_features,)``.

    Shape:
        output ``(*, out_features)``.

    Example:
        >>> F.linear(ember.ones(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    if weight.dim() != 2:
        raise RuntimeError(f"linear: expected a 2-D weight, got shape {tuple(weight.shape)}")
    return Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1^T A_k x2 + b_k``.

    Shape:
        input1 ``(*, in1)``, input2 ``(*, in2)``, weight ``(out, in1, in2)``,
        bias ``(out,)`` -> output ``(*, out)``.
    """
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear: expected a 3-D weight, got shape {tuple(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear: input1 of shape {tuple(input1.shape)} and input2 of shape "
            f"{tuple(input2.shape)} do not match the weight of shape {tuple(weight.shape)} "
            f"(expected last dims {in1} and {in2})")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"bilinear: input1 of shape {tuple(input1.shape)} and input2 of shape "
            f"{tuple(input2.shape)} must have the same leading dims")
    if input1.dtype != weight.dtype or input2.dtype != weight.dtype:
        raise RuntimeError(
            f"bilinear: inputs of dtypes {input1.dtype} and {input2.dtype} do not match the "
            f"weight's dtype {weight.dtype}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract with x2 over in2
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t @ x2.unsqueeze(-1)).squeeze(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))
