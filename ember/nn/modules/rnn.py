"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Parameter names, shapes, gate order (LSTM ``i, f, g, o``; GRU ``r, z, n``) and
initialisation (every weight and bias from ``U(-1/sqrt(H), 1/sqrt(H))``, drawn in
parameter order) are PyTorch's, so a PyTorch ``state_dict`` loads unchanged. Each layer
and direction runs as one graph node, ``ember.ops.rnn.RNNLayer``: the input projection
of the whole sequence in a few large GEMMs and the fused recurrence.
"""
import math
import numbers
import warnings

from ...ops.rnn import rnn_layer
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _size(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


class RNNBase(Module):
    """Base class of ``RNN``, ``LSTM`` and ``GRU`` (the multi-layer, optionally
    bidirectional recurrence; see those classes for the arguments)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        from ... import empty
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability "
                             "of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dirs = 2 if bidirectional else 1
        gate = _GATES[mode] * hidden_size
        real = proj_size or hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_size = input_size if layer == 0 else real * dirs
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (gate, in_size)), ("weight_hh", (gate, real))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, Parameter(empty(*shape, device=device, dtype=dtype)))
                    names.append(base + sfx)
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        """No-op (PyTorch compacts weights for cuDNN; ember keeps them as they are)."""

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def _weights(self, k):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of layer-direction ``k``."""
        names = self._all_weights[k]
        ws = [getattr(self, n) for n in names]
        w_ih, w_hh = ws[0], ws[1]
        b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
        w_hr = ws[-1] if self.proj_size else None
        return w_ih, w_hh, b_ih, b_hh, w_hr

    def _check_hidden(self, h, expected, what):
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {_size(expected)}, got {list(h.shape)}")

    def forward(self, input, hx=None):
        import ember
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        batched = True
        if packed:
            x = input.data
            batch_sizes = [int(b) for b in input.batch_sizes.tolist()]
            B = batch_sizes[0]
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
            batched = input.dim() == 3
            if not batched:
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            T, B = input.shape[0], input.shape[1]
            x = input.reshape(T * B, input.shape[2])
            batch_sizes = (B,) * T
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {x.shape[-1]}")
        dirs = 2 if self.bidirectional else 1
        real = self.proj_size or self.hidden_size
        h_shape = (self.num_layers * dirs, B, real)
        c_shape = (self.num_layers * dirs, B, self.hidden_size)
        if hx is None:
            h0 = ember.zeros(h_shape, dtype=x.dtype, device=x.device)
            c0 = ember.zeros(c_shape, dtype=x.dtype, device=x.device) if lstm else None
        else:
            h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
            if not batched:
                if h0.dim() != 2 or (lstm and c0.dim() != 2):
                    raise RuntimeError(
                        f"For unbatched 2-D input, hx and cx should also be 2-D but got "
                        f"({h0.dim()}-D, {c0.dim()}-D) tensors" if lstm else
                        f"For unbatched 2-D input, hx should also be 2-D but got {h0.dim()}-D tensor")
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if lstm else None
            elif not packed and (h0.dim() != 3 or (lstm and c0.dim() != 3)):
                raise RuntimeError(
                    f"For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({h0.dim()}-D, {c0.dim()}-D) tensors" if lstm else
                    f"For batched 3-D input, hx should also be 3-D but got {h0.dim()}-D tensor")
            if packed and input.sorted_indices is not None:
                h0 = ember.index_select(h0, 1, input.sorted_indices)
                c0 = ember.index_select(c0, 1, input.sorted_indices) if lstm else None
            self._check_hidden(h0, h_shape, "hidden[0]" if lstm else "hidden")
            if lstm:
                self._check_hidden(c0, c_shape, "hidden[1]")
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(k)
                res = rnn_layer(self.mode, x, w_ih, b_ih, h0[k], c0[k] if lstm else None, w_hh, b_hh, w_hr,
                                batch_sizes, reverse=d == 1,
                                seq_shape=not packed and layer == self.num_layers - 1)
                outs.append(res[0])
                hs.append(res[1])
                if lstm:
                    cs.append(res[2])
            x = outs[0] if dirs == 1 else ember.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = ember.stack(hs)
        c_n = ember.stack(cs) if lstm else None
        if packed:
            if input.unsorted_indices is not None:
                h_n = ember.index_select(h_n, 1, input.unsorted_indices)
                c_n = ember.index_select(c_n, 1, input.unsorted_indices) if lstm else None
            out = PackedSequence(x, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        else:
            out = x if x.dim() == 3 else x.reshape(len(batch_sizes), B, x.shape[1])
            if not batched:
                out = out.squeeze(1)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
            elif self.batch_first:
                out = out.transpose(0, 1)
        return (out, (h_n, c_n)) if lstm else (out, h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


_ARGS = """
    Args:
        input_size (int): features of each input step.
        hidden_size (int): features of the hidden state.
        num_layers (int): stacked layers, each reading the previous one's output. Default: 1.
        bias (bool): learn ``bias_ih``/``bias_hh``. Default: True.
        batch_first (bool): input and output are ``(B, T, *)`` instead of ``(T, B, *)``
            (the hidden states stay ``(layers * directions, B, H)``). Default: False.
        dropout (float): dropout on the outputs of every layer but the last (training only).
        bidirectional (bool): also run each layer backwards in time and concatenate.
"""


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU).
    """ + _ARGS + """        nonlinearity (str): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape:
        input ``(T, B, H_in)``, ``(B, T, H_in)`` with batch_first, ``(T, H_in)`` unbatched,
        or a PackedSequence; h_0 ``(layers * dirs, B, H)``. Returns ``(output, h_n)`` with
        output ``(T, B, dirs * H)``.

    Example:
        >>> rnn = ember.nn.RNN(10, 20, 2)
        >>> out, h_n = rnn(ember.randn(5, 3, 10))
        >>> out.shape, h_n.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        # PyTorch's positional order: (input_size, hidden_size, num_layers, nonlinearity, bias, ...)
        if len(args) > 3:
            kwargs["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gates ``i, f, g, o``:
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` (times ``W_hr`` with proj_size).
    """ + _ARGS + """        proj_size (int): if > 0, project ``h_t`` to this size with ``weight_hr``.

    Shape:
        as ``RNN``; the state is a pair ``(h, c)``: ``h (layers * dirs, B, proj_size or
        H)``, ``c (layers * dirs, B, H)``. Returns ``(output, (h_n, c_n))``.

    Example:
        >>> lstm = ember.nn.LSTM(10, 20, num_layers=2, batch_first=True)
        >>> out, (h_n, c_n) = lstm(ember.randn(3, 5, 10))
        >>> out.shape, c_n.shape
        (ember.Size([3, 5, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gates ``r, z, n``:
    ``n = tanh(x W_in + b_in + r * (h W_hn + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.
    """ + _ARGS + """
    Shape:
        as ``RNN``. Returns ``(output, h_n)``.

    Example:
        >>> gru = ember.nn.GRU(10, 20, bidirectional=True)
        >>> out, h_n = gru(ember.randn(5, 3, 10))
        >>> out.shape, h_n.shape
        (ember.Size([5, 3, 40]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# the single-step cells live in their own file; PyTorch's path is this module
from ._rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402,F401

for _cls in (RNNCellBase, RNNCell, LSTMCell, GRUCell):
    _cls.__module__ = __name__
del _cls
