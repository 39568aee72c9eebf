"""ONNX converters, one per ember op class: ``fn(b, node, ins)`` adds ONNX nodes through
the builder ``b`` for the traced ``node`` (``node.params`` are the op's parameters,
``node.inputs``/``node.outputs`` its Values with traced shapes, ``ins`` the ONNX names
of its inputs) and returns the ONNX name(s) of its output(s)."""
import math

import numpy as np

from ._builder import converter

# -- elementwise ----------------------------------------------------------------------
_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow",
           "Maximum": "Max", "Minimum": "Min", "_MaskMul": "Mul"}
_UNARY = {"Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Exp": "Exp", "Log": "Log",
          "Sqrt": "Sqrt", "Abs": "Abs", "Neg": "Neg", "Sin": "Sin", "Cos": "Cos", "Tan": "Tan",
          "Asin": "Asin", "Acos": "Acos", "Atan": "Atan", "Sinh": "Sinh", "Cosh": "Cosh",
          "Reciprocal": "Reciprocal", "Erf": "Erf", "Softsign": "Softsign", "Alias": "Identity",
          "Clone": "Identity", "Floor": "Floor", "Ceil": "Ceil", "Sign": "Sign"}


def _unary(onnx_op):
    return lambda b, node, ins: b.node(onnx_op, ins)


def _binary(onnx_op):
    return lambda b, node, ins: b.node(onnx_op, ins)


for _name, _op in _UNARY.items():
    converter(_name)(_unary(_op))
for _name, _op in _BINARY.items():
    converter(_name)(_binary(_op))


def _scalar(b, node, c):
    """The scalar ``c`` in the dtype of the node's first input."""
    return b.const(c, node.inputs[0].dtype)


@converter("AddScalar")
def _add_scalar(b, node, ins):
    return b.node("Add", [ins[0], _scalar(b, node, node.params["c"])])


@converter("MulScalar")
def _mul_scalar(b, node, ins):
    return b.node("Mul", [ins[0], _scalar(b, node, node.params["c"])])


@converter("DivScalar")
def _div_scalar(b, node, ins):
    return b.node("Div", [ins[0], _scalar(b, node, node.params["c"])])


@converter("RSubScalar")
def _rsub_scalar(b, node, ins):
    return b.node("Sub", [_scalar(b, node, node.params["c"]), ins[0]])


@converter("RDivScalar")
def _rdiv_scalar(b, node, ins):
    return b.node("Div", [_scalar(b, node, node.params["c"]), ins[0]])


@converter("PowScalar")
def _pow_scalar(b, node, ins):
    return b.node("Pow", [ins[0], _scalar(b, node, node.params["c"])])


@converter("RPowScalar")
def _rpow_scalar(b, node, ins):
    return b.node("Pow", [_scalar(b, node, node.params["c"]), ins[0]])


@converter("Square")
def _square(b, node, ins):
    return b.node("Mul", [ins[0], ins[0]])


@converter("Rsqrt")
def _rsqrt(b, node, ins):
    return b.node("Reciprocal", [b.node("Sqrt", ins)])


@converter("Clamp")
def _clamp(b, node, ins):
    lo, hi = node.params.get("lo"), node.params.get("hi")
    return b.node("Clip", [ins[0], "" if lo is None else _scalar(b, node, lo),
                           "" if hi is None else _scalar(b, node, hi)])


@converter("Cast")
def _cast(b, node, ins):
    from onnx.helper import np_dtype_to_tensor_dtype
    return b.node("Cast", ins, to=np_dtype_to_tensor_dtype(np.dtype(node.params["dtype"])))


@converter("Where")
def _where(b, node, ins):
    cond = node.param_names.get("cond")
    if not cond:  # a mask from a comparison: computed outside ember's ops, so not traced
        b.unsupported(node, "its condition (a comparison such as x > 0) is computed outside "
                      "ember's ops and is not traced; use clamp/relu/maximum where possible")
    return b.node("Where", [b.node("Cast", [cond], to=9), ins[0], ins[1]])


# -- activations ----------------------------------------------------------------------
@converter("LeakyReLU")
def _leaky_relu(b, node, ins):
    return b.node("LeakyRelu", ins, alpha=float(node.params["negative_slope"]))


@converter("ELU")
def _elu(b, node, ins):
    p = node.params
    x = ins[0]
    if p.get("input_scale", 1.0) != 1.0:
        x = b.node("Mul", [x, _scalar(b, node, p["input_scale"])])
    y = b.node("Elu", [x], alpha=float(p.get("alpha", 1.0)))
    if p.get("scale", 1.0) != 1.0:
        y = b.node("Mul", [y, _scalar(b, node, p["scale"])])
    return y


@converter("GELU")
def _gelu(b, node, ins):
    x = ins[0]
    if b.opset >= 20:
        return b.node("Gelu", ins, approximate=node.params.get("approximate", "none"))
    if node.params.get("approximate", "none") == "tanh":   # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = b.node("Mul", [b.node("Mul", [x, x]), x])
        inner = b.node("Add", [x, b.node("Mul", [cube, _scalar(b, node, 0.044715)])])
        t = b.node("Tanh", [b.node("Mul", [inner, _scalar(b, node, math.sqrt(2 / math.pi))])])
    else:                                                   # 0.5 x (1 + erf(x / sqrt(2)))
        t = b.node("Erf", [b.node("Div", [x, _scalar(b, node, math.sqrt(2.0))])])
    return b.node("Mul", [b.node("Mul", [x, _scalar(b, node, 0.5)]),
                          b.node("Add", [t, _scalar(b, node, 1.0)])])


@converter("SiLU")
def _silu(b, node, ins):
    return b.node("Mul", [ins[0], b.node("Sigmoid", ins)])


@converter("Mish")
def _mish(b, node, ins):
    return b.node("Mul", [ins[0], b.node("Tanh", [b.node("Softplus", ins)])])


@converter("Hardtanh")
def _hardtanh(b, node, ins):
    return b.node("Clip", [ins[0], _scalar(b, node, node.params["min_val"]),
                           _scalar(b, node, node.params["max_val"])])


@converter("Hardsigmoid")
def _hardsigmoid(b, node, ins):
    return b.node("HardSigmoid", ins, alpha=1 / 6, beta=0.5)


@converter("Hardswish")
def _hardswish(b, node, ins):
    return b.node("HardSwish", ins)


@converter("Softplus")
def _softplus(b, node, ins):
    beta, threshold = float(node.params.get("beta", 1.0)), float(node.params.get("threshold", 20.0))
    x = ins[0]
    bx = x if beta == 1 else b.node("Mul", [x, _scalar(b, node, beta)])
    sp = b.node("Softplus", [bx])
    if beta != 1:
        sp = b.node("Div", [sp, _scalar(b, node, beta)])
    return b.node("Where", [b.node("Greater", [bx, _scalar(b, node, threshold)]), x, sp])


@converter("LogSigmoid")
def _logsigmoid(b, node, ins):
    return b.node("Neg", [b.node("Softplus", [b.node("Neg", ins)])])


@converter("PReLU")
def _prelu(b, node, ins):
    x, w = node.inputs[0], node.inputs[1]
    slope = ins[1]
    if x.shape and len(x.shape) > 2 and w.shape and w.shape[0] > 1:
        # per-channel weight (C,) broadcast over (N, C, *): shape it (C, 1, ..., 1)
        slope = b.node("Reshape", [slope, b.const([w.shape[0]] + [1] * (len(x.shape) - 2))])
    return b.node("PRelu", [ins[0], slope])


@converter("Softmax")
def _softmax(b, node, ins):
    return b.node("Softmax", ins, axis=int(node.params["axis"]))


@converter("LogSoftmax")
def _log_softmax(b, node, ins):
    return b.node("LogSoftmax", ins, axis=int(node.params["axis"]))


# -- shapes ---------------------------------------------------------------------------
@converter("Reshape")
def _reshape(b, node, ins):
    return b.node("Reshape", [ins[0], b.shape_value(node.params["shape"], node.inputs[0].shape)])


@converter("Expand")
def _expand(b, node, ins):
    in_shape = node.inputs[0].shape
    shape = list(node.params["shape"])
    lead = len(shape) - len(in_shape)
    # a dim the input already has stays as it is (1 in Expand's shape), so only the
    # broadcast dims are fixed sizes
    shape = [1 if i >= lead and in_shape[i - lead] == s else s for i, s in enumerate(shape)]
    return b.node("Expand", [ins[0], b.shape_value(shape, zero_copies=False)])


@converter("Permute")
def _permute(b, node, ins):
    return b.node("Transpose", ins, perm=[int(i) for i in node.params["perm"]])


@converter("Cat")
def _cat(b, node, ins):
    return b.node("Concat", ins, axis=int(node.params["axis"]))


@converter("GetItemView", "GetItem")
def _getitem(b, node, ins):
    key = node.params["key"]
    key = key if isinstance(key, tuple) else (key,)
    shape = node.inputs[0].shape
    if not node.params.get("basic", True) or any(
            not (k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))) for k in key):
        b.unsupported(node)
    if Ellipsis in key:
        i = key.index(Ellipsis)
        n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - n_real) + key[i + 1:]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_dim = 0
    for k in key:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, slice):
            start, stop, step = k.indices(shape[dim])
            if step < 0:
                b.unsupported(node)
            if (start, stop, step) != (0, shape[dim], 1):
                starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
            out_dim += 1
        else:
            i = int(k) % shape[dim]
            starts.append(i), ends.append(i + 1), axes.append(dim), steps.append(1)
            squeeze.append(dim)
        dim += 1
    x = ins[0]
    if axes:
        x = b.node("Slice", [x, b.const(starts), b.const(ends), b.const(axes), b.const(steps)])
    if squeeze:
        x = b.node("Squeeze", [x, b.const(squeeze)])
    if unsqueeze:
        x = b.node("Unsqueeze", [x, b.const(unsqueeze)])
    return x if x != ins[0] else b.node("Identity", [x])


# -- reductions -----------------------------------------------------------------------
def _axes(node):
    axes = node.params.get("axes")
    if axes is None:
        return list(range(len(node.inputs[0].shape)))
    return [int(a) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]


@converter("Sum")
def _sum(b, node, ins):
    y = b.node("ReduceSum", [ins[0], b.const(_axes(node))], keepdims=int(bool(node.params.get("keepdim"))))
    return y


@converter("Mean")
def _mean(b, node, ins):
    keep = int(bool(node.params.get("keepdim")))
    if b.opset >= 18:
        return b.node("ReduceMean", [ins[0], b.const(_axes(node))], keepdims=keep)
    return b.node("ReduceMean", ins[:1], axes=_axes(node), keepdims=keep)


@converter("AMax")
def _amax(b, node, ins):
    op = "ReduceMax" if node.params.get("is_max", True) else "ReduceMin"
    keep = int(bool(node.params.get("keepdim")))
    if b.opset >= 18:
        return b.node(op, [ins[0], b.const(_axes(node))], keepdims=keep)
    return b.node(op, ins[:1], axes=_axes(node), keepdims=keep)


# -- more reductions ------------------------------------------------------------------
def _reduce(b, node, op, x, axes=None, keep=None):
    axes = _axes(node) if axes is None else axes
    keep = int(bool(node.params.get("keepdim"))) if keep is None else keep
    if b.opset >= 18 or op == "ReduceSum":  # (ReduceSum's axes are an input since opset 13)
        return b.node(op, [x, b.const(axes)], keepdims=keep)
    return b.node(op, [x], axes=axes, keepdims=keep)


@converter("MaxDim")
def _max_dim(b, node, ins):
    axis = int(node.params["axis"])
    keep = int(bool(node.params.get("keepdim")))
    is_max = node.params.get("is_max", True)
    values = _reduce(b, node, "ReduceMax" if is_max else "ReduceMin", ins[0], [axis], keep)
    index = b.node("ArgMax" if is_max else "ArgMin", ins[:1], axis=axis, keepdims=keep)
    return [values, index]


@converter("_L2Norm")
def _l2norm(b, node, ins):
    return _reduce(b, node, "ReduceL2", ins[0])


@converter("LogSumExp")
def _logsumexp(b, node, ins):
    return _reduce(b, node, "ReduceLogSumExp", ins[0])


@converter("Prod")
def _prod(b, node, ins):
    return _reduce(b, node, "ReduceProd", ins[0])


@converter("Var")
def _var(b, node, ins):
    axes = _axes(node)
    n = math.prod(node.inputs[0].shape[a] for a in axes)
    mean = _reduce(b, node, "ReduceMean", ins[0], axes, 1)
    d = b.node("Sub", [ins[0], mean])
    ss = _reduce(b, node, "ReduceSum", b.node("Mul", [d, d]), axes)
    return b.node("Div", [ss, _scalar(b, node, max(n - node.params.get("correction", 1), 0))])


@converter("_Nearest")
def _nearest(b, node, ins):
    """Nearest upsampling: a gather of each spatial dim at ember's index arrays (exact)."""
    x, nd = ins[0], len(node.params["idxs"])
    rank = len(node.inputs[0].shape)
    for i, idx in enumerate(node.params["idxs"]):
        if idx is not None:
            x = b.node("Gather", [x, b.const(np.asarray(idx))], axis=rank - nd + i)
    return x


from . import _ops_nn  # noqa: E402,F401  (registers the layers' converters)
