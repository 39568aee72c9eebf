"""ONNX converters of the network layers' ops: linear, convolution, pooling,
normalization, embedding and recurrent layers (see ``_ops.py`` for the protocol)."""
import math

import numpy as np

from ._builder import converter
from ._ops import _scalar

# -- linear algebra, convolution, pooling, normalization ------------------------------
@converter("Linear")
def _linear(b, node, ins):
    x, w, bias = ins
    if len(node.inputs[0].shape) == 2:
        return b.node("Gemm", [x, w] + ([bias] if bias else []), transB=1)
    y = b.node("MatMul", [x, b.node("Transpose", [w], perm=[1, 0])])
    return b.node("Add", [y, bias]) if bias else y


@converter("MatMul")
def _matmul(b, node, ins):
    return b.node("MatMul", ins)


def _conv_attrs(node):
    p = node.params
    return dict(strides=list(p["stride"]), pads=list(p["plo"]) + list(p["phi"]),
                dilations=list(p["dilation"]), group=int(p["groups"]),
                kernel_shape=list(node.inputs[1].shape[2:]))


@converter("_ConvNd")
def _conv(b, node, ins):
    return b.node("Conv", [i for i in ins if i], **_conv_attrs(node))


@converter("_ConvInput")
def _conv_transpose(b, node, ins):
    p = node.params
    attrs = _conv_attrs(node)
    k = attrs["kernel_shape"]
    x_sp = node.inputs[0].shape[2:]
    # output_padding: what the traced output size has beyond the default formula
    default = [(n - 1) * s - lo - hi + d * (kk - 1) + 1 for n, s, lo, hi, d, kk in
               zip(x_sp, p["stride"], p["plo"], p["phi"], p["dilation"], k)]
    out = node.outputs[0].shape[2:]
    extra = [o - d for o, d in zip(out, default)]
    return b.node("ConvTranspose", [i for i in ins if i], output_padding=extra if any(extra) else None,
                  **attrs)


@converter("_MaxPoolNd")
def _max_pool(b, node, ins):
    p = node.params
    return b.node("MaxPool", ins[:1], kernel_shape=list(p["k"]), strides=list(p["s"]),
                  pads=list(p["plo"]) + list(p["phi"]), dilations=list(p["d"]))


@converter("_AvgPoolNd")
def _avg_pool(b, node, ins):
    p = node.params
    k, div = list(p["k"]), p["div"]
    in_sp = node.inputs[0].shape[2:]
    pads = list(p["plo"]) + list(p["phi"])
    if not any(pads) and list(p["s"]) == k and list(p["osize"]) == [1] * len(k) and \
            list(in_sp) == k:
        return b.node("GlobalAveragePool", ins[:1])         # adaptive average pooling to 1
    full = math.prod(k)
    if np.ndim(div) == 0 and float(div) == full:
        return b.node("AveragePool", ins[:1], kernel_shape=k, strides=list(p["s"]), pads=pads,
                      count_include_pad=1)
    if np.ndim(div) == 0:                                      # divisor_override
        y = b.node("AveragePool", ins[:1], kernel_shape=k, strides=list(p["s"]), pads=pads,
                   count_include_pad=1)
        return b.node("Mul", [y, _scalar(b, node, full / float(div))])
    return b.node("AveragePool", ins[:1], kernel_shape=k, strides=list(p["s"]), pads=pads,
                  count_include_pad=0)


@converter("SeparableLinear")
def _separable(b, node, ins):
    """Adaptive average pooling to sizes that don't divide: a fixed matrix per spatial dim."""
    x = ins[0]
    mats = node.params["mats"]
    nd, rank = len(mats), len(node.inputs[0].shape)
    for i, m in enumerate(mats):
        if m is None:
            continue
        ax = rank - nd + i
        mt = b.initializer(np.asarray(m, dtype=node.inputs[0].dtype).T, "adaptive_pool_matrix")
        if ax == rank - 1:
            x = b.node("MatMul", [x, mt])
        else:
            perm = list(range(rank))
            perm[ax], perm[-1] = perm[-1], perm[ax]
            x = b.node("Transpose", [b.node("MatMul", [b.node("Transpose", [x], perm=perm), mt])], perm=perm)
    return x


@converter("ChannelAffine")
def _batch_norm(b, node, ins):
    x, w, bias = ins
    dt = node.inputs[0].dtype
    C = node.inputs[0].shape[1]
    p = node.params

    def stat(key):
        name = node.param_names.get(key)
        return name if name else b.initializer(np.asarray(p[key], dtype=dt), "bn_" + key)
    return b.node("BatchNormalization", [x, w or b.const(np.ones(C), dt), bias or b.const(np.zeros(C), dt),
                                         stat("mean"), stat("var")], epsilon=float(p["eps"]))


@converter("RowNorm")
def _row_norm(b, node, ins):
    x, w, bias = ins
    A, G, K = node.params["view"]
    xs = node.inputs[0].shape
    if G != 1:
        return _group_norm(b, node, ins)
    n, size = 0, 1
    while size < K and n < len(xs):
        n += 1
        size *= xs[-n]
    dt = node.inputs[0].dtype
    norm_shape = list(xs[len(xs) - n:])
    if b.opset < 17:
        b.unsupported(node, "normalization layers need opset_version >= 17 (LayerNormalization)")
    outs = b.node("LayerNormalization", [x, w or b.const(np.ones(norm_shape), dt)] + ([bias] if bias else []),
                  axis=-n, epsilon=float(node.params["eps"]))
    return [outs, "", ""]


def _group_norm(b, node, ins):
    """Group/instance norm: normalize rows of K elements (LayerNormalization over the last
    axis of x viewed as (-1, K)), then the per-channel affine on x viewed as (N, C, L)."""
    x, w, bias = ins
    p, xs, dt = node.params, node.inputs[0].shape, node.inputs[0].dtype
    if b.opset < 17:
        b.unsupported(node, "normalization layers need opset_version >= 17 (LayerNormalization)")
    K = p["view"][2]
    _, C, L = p["aff_view"]
    rows = b.node("Reshape", [x, b.const([-1, K])])
    y = b.node("LayerNormalization", [rows, b.const(np.ones(K), dt)], axis=-1, epsilon=float(p["eps"]))
    y = b.node("Reshape", [y, b.const([-1, C, L])])
    if w:
        y = b.node("Mul", [y, b.node("Reshape", [w, b.const([1, C, 1])])])
    if bias:
        y = b.node("Add", [y, b.node("Reshape", [bias, b.const([1, C, 1])])])
    return [b.node("Reshape", [y, b.const([0] + list(xs[1:]))]), "", ""]


@converter("Embedding")
def _embedding(b, node, ins):
    idx = node.param_names.get("indices")
    if not idx:
        idx = b.initializer(np.asarray(node.params["indices"], dtype=np.int64), "indices")
    return b.node("Gather", [ins[0], idx], axis=0)


# -- recurrent layers -----------------------------------------------------------------
_GATE_ORDER = {"LSTM": [0, 3, 1, 2],   # PyTorch's i, f, g, o -> ONNX's i, o, f, c
               "GRU": [1, 0, 2],       # PyTorch's r, z, n -> ONNX's z, r, h
               "RNN_TANH": [0], "RNN_RELU": [0]}


def _gates(a, mode):
    """Reorder the gate blocks (first axis) of a PyTorch weight or bias for ONNX."""
    a = np.asarray(a)
    blocks = np.split(a, len(_GATE_ORDER[mode]), axis=0)
    return np.concatenate([blocks[i] for i in _GATE_ORDER[mode]], axis=0)


@converter("RNNLayer")
def _rnn_layer(b, node, ins):
    """One direction of one LSTM/GRU/RNN layer (inputs ``x, W_ih, b_ih, h0, c0, W_hh, b_hh,
    W_hr``) as ONNX's LSTM/GRU/RNN op."""
    p = node.params
    mode, bs = p["mode"], tuple(p["batch_sizes"])
    if node.inputs[7] is not None or len(set(bs)) != 1:
        b.unsupported(node)     # (packed sequences of several lengths, LSTM projections)
    x_v, wih_v, bih_v = node.inputs[:3]
    whh_v, bhh_v = node.inputs[5], node.inputs[6]
    if wih_v.data is None or whh_v.data is None:
        b.unsupported(node)
    H, T, I = whh_v.shape[1], len(bs), x_v.shape[-1]
    dt = wih_v.dtype
    W = b.initializer(_gates(wih_v.data, mode)[None], "rnn_W")
    R = b.initializer(_gates(whh_v.data, mode)[None], "rnn_R")
    G = whh_v.shape[0]
    zeros = np.zeros(G, dtype=dt)
    bias = np.concatenate([_gates(bih_v.data if bih_v is not None and bih_v.data is not None else zeros, mode),
                           _gates(bhh_v.data if bhh_v is not None and bhh_v.data is not None else zeros, mode)])
    B = b.initializer(bias[None].astype(dt), "rnn_B")
    X = b.node("Reshape", [b.name_of(x_v), b.const([T, -1, I])])
    h0 = b.node("Unsqueeze", [ins[3], b.const([0])])
    direction = "reverse" if p.get("reverse") else "forward"
    if mode == "LSTM":
        c0 = b.node("Unsqueeze", [ins[4], b.const([0])])
        Y, Yh, Yc = b.node("LSTM", [X, W, R, B, "", h0, c0], n_out=3, hidden_size=H, direction=direction)
    elif mode == "GRU":
        Y, Yh = b.node("GRU", [X, W, R, B, "", h0], n_out=2, hidden_size=H, direction=direction,
                       linear_before_reset=1)
    else:
        act = "Tanh" if mode == "RNN_TANH" else "Relu"
        Y, Yh = b.node("RNN", [X, W, R, B, "", h0], n_out=2, hidden_size=H, direction=direction,
                       activations=[act])
    # (T, 1, B, H) -> ember's (T*B, H), or (T, B, H) for a module's last layer (seq_shape)
    out = b.node("Reshape", [Y, b.const([T, -1, H] if p.get("seq_shape") else [-1, H])])
    outs = [out, b.node("Squeeze", [Yh, b.const([0])])]
    if mode == "LSTM":
        outs.append(b.node("Squeeze", [Yc, b.const([0])]))
    return outs
