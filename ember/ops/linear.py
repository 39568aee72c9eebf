"""The ``linear`` op: ``y = x W^T + b`` as one node (one GEMM forward, two backward).

PyTorch names its node ``AddmmBackward0`` (``MmBackward0`` without a bias, a view node
for inputs that are not 2-D); ember's node prints the same names.
"""
from ..autograd.op import Op
from ..tensor import Tensor
from ._im2col import parallel_matmul
from ._generic import swap_last

__all__ = ["Linear"]


def _shape(a):
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


class Linear(Op):
    """y = x W^T + b as one op: one GEMM forward, two GEMMs backward."""
    torch_name = "Addmm"

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
        if x.ndim != 2:
            self._name = "ViewBackward0" if b is not None else "UnsafeViewBackward0"
        elif b is None:
            self._name = "MmBackward0"
        x2 = x.reshape(-1, in_f)
        y = parallel_matmul(self.xp, x2, w.T)
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    def derivative(self, grad, x, w):
        """dx = g W, dW = g^T x, db = sum g: written once, on raw arrays (training) or on
        Tensors (a recorded backward, for double backward) alike."""
        needs = self.needs_input_grad
        g2 = grad.reshape(-1, w.shape[0])
        gx = _mm(g2, w).reshape(x.shape) if needs[0] else None
        gw = _mm(swap_last(g2), x.reshape(-1, w.shape[-1])) if needs[1] else None
        gb = g2.sum(0) if self.has_bias and needs[2] else None
        return gx, gw, gb


def _mm(a, b):
    """``a @ b``: the MatMul op for Tensors, split over ember's threads for big arrays."""
    if isinstance(a, Tensor):
        return a @ b
    from ..backend import get_array_module
    return parallel_matmul(get_array_module(a), a, b)
