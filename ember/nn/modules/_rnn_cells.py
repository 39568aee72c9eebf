"""The single-step recurrent cells: RNNCell, LSTMCell, GRUCell (``ember.nn.modules.rnn``
re-exports them under PyTorch's path). One step is the fused recurrent op over a
one-step sequence (its input projection included)."""
import math

from ...ops.rnn import rnn_layer
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _size(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


class RNNCellBase(Module):
    """Base class of the single-step cells (``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` with ``num_chunks`` gates)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        from ... import empty
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(g, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(empty(g, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(g, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(g, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, mode, input, h, c):
        import ember
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for s in (h, c):
            if s is not None and s.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                               f"{self.input_size}")
        B = input.shape[0]
        shape = (B, self.hidden_size)
        states = []
        for s in ((h, c) if mode == "LSTM" else (h,)):
            if s is None:
                s = ember.zeros(shape, dtype=input.dtype, device=input.device)
            elif not batched:
                s = s.unsqueeze(0)
            if tuple(s.shape) != shape:
                raise RuntimeError(f"{name}: Expected hidden of size {_size(shape)}, got {list(s.shape)}")
            states.append(s)
        res = rnn_layer(mode, input, self.weight_ih, self.bias_ih, states[0],
                        states[1] if mode == "LSTM" else None, self.weight_hh, self.bias_hh, None, (B,),
                        cell=True)
        res = res[1:]
        if not batched:
            res = tuple(r.squeeze(0) for r in res)
        return res


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Args:
        input_size, hidden_size (int), bias (bool), nonlinearity (``'tanh'``/``'relu'``).

    Shape:
        input ``(B, H_in)`` or ``(H_in)``, hx ``(B, H)`` or ``(H)`` (zeros if None) -> h'.

    Example:
        >>> cell = ember.nn.RNNCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, input, hx, None)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates ``i, f, g, o``): returns ``(h', c')``.

    Args:
        input_size, hidden_size (int), bias (bool).

    Shape:
        input ``(B, H_in)`` or ``(H_in)``; hx a pair ``(h, c)`` of ``(B, H)`` (zeros if
        None) -> ``(h', c')``.

    Example:
        >>> cell = ember.nn.LSTMCell(10, 20)
        >>> h, c = cell(ember.randn(3, 10))
        >>> h.shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        h, c = (None, None) if hx is None else hx
        return self._step("LSTM", input, h, c)


class GRUCell(RNNCellBase):
    """One GRU step (gates ``r, z, n``).

    Args:
        input_size, hidden_size (int), bias (bool).

    Shape:
        input ``(B, H_in)`` or ``(H_in)``, hx ``(B, H)`` (zeros if None) -> h'.

    Example:
        >>> cell = ember.nn.GRUCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", input, hx, None)[0]
