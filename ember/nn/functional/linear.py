"""``linear`` and ``bilinear`` (``ember.nn.functional``)."""
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]


def _shape(a):
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


class Linear(Function):
    """y = x W^T + b as one op: one GEMM forward, two GEMMs backward."""

    def forward(self, x, w, b):
        in_f = w.shape[-1]
        if x.ndim == 0 or x.shape[-1] != in_f:
            raise RuntimeError(
                f"linear: input of shape {_shape(x)} does not match in_features={in_f} "
                f"(weight of shape {_shape(w)})")
        if x.dtype != w.dtype:
            raise RuntimeError(
                f"linear: input of dtype ember.{x.dtype} does not match the weight's dtype "
                f"ember.{w.dtype} (as in PyTorch, convert one of them: x.float() or "
                "model.double())")
        if b is not None and b.shape not in ((w.shape[0],), ()):
            raise RuntimeError(f"linear: bias of shape {_shape(b)} does not match "
                               f"out_features={w.shape[0]}")
        self.save_for_backward(x, w)
        self.has_bias = b is not None
        x2 = x.reshape(-1, in_f)
        y = x2 @ w.T
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, grad):
        x, w = self.saved_tensors
        nx, nw = self.needs_input_grad[0], self.needs_input_grad[1]
        nb = self.has_bias and self.needs_input_grad[2]
        out_f, in_f = w.shape[0], w.shape[-1]
        if STATE.enabled:  # differentiable composition (double backward)
            g2 = grad.reshape(-1, out_f)
            gx = (grad @ w) if nx else None
            gw = (g2.t() @ x.reshape(-1, in_f)) if nw else None
            gb = g2.sum(0) if nb else None
            return gx, gw, gb
        G = grad._data
        g2 = G.reshape(-1, out_f)
        gx = gw = gb = None
        if nx:
            gx = Tensor._wrap((g2 @ w._data).reshape(x._data.shape))
        if nw:
            gw = Tensor._wrap(g2.T @ x._data.reshape(-1, in_f))
        if nb:
            gb = Tensor._wrap(g2.sum(0))
        return gx, gw, gb


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
