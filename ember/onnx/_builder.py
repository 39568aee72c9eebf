"""Builds an ONNX ``ModelProto`` from a traced graph (``ember._tracer.Graph``): one
converter per ember op class (``_ops.py``), this file's ``Builder`` for names,
initializers, constants and the batch-size bookkeeping that dynamic axes need."""
import numpy as np

from .errors import UnsupportedOperatorError

CONVERTERS = {}  # ember op class name -> fn(builder, node, input names) -> output names


def converter(*names):
    """Register ``fn(b, node, ins)`` as the ONNX converter of the named ember op classes."""
    def deco(fn):
        for n in names:
            CONVERTERS[n] = fn
        return fn
    return deco


def _onnx():
    try:
        import onnx
        return onnx
    except ImportError:
        raise ImportError("ember.onnx.export needs the onnx package: pip install 'ember[onnx]' "
                          "(or pip install onnx onnxruntime)") from None


class Builder:
    """Collects ONNX nodes and initializers while the converters run.

    ``dyn_sizes``: the traced sizes of the dynamic axes (``dynamic_axes``); ``batch``
    returns an ONNX value holding the run-time size of such an axis (for shapes that
    depend on the batch size)."""

    def __init__(self, opset, dyn_inputs):
        self.onnx = _onnx()
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self._names = set()
        self._consts = {}
        self.dyn_inputs = dyn_inputs  # [(input name, axis, traced size)]
        self.dyn_sizes = {size for _, _, size in dyn_inputs}
        self._dyn_cache = {}

    def fresh(self, base):
        base = base.replace("/", "_")
        name, n = base, 1
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    def node(self, op_type, inputs, n_out=1, name=None, **attrs):
        """Add an ONNX node; returns its output name (or list of names for n_out > 1)."""
        helper = self.onnx.helper
        outs = [self.fresh(f"{name or op_type}_out{i}" if n_out > 1 else f"{name or op_type}_out")
                for i in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), outs,
                                           name=self.fresh(name or op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def initializer(self, array, base="const"):
        name = self.fresh(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, value, dtype=np.int64):
        """A small constant (shapes, axes, scalars), shared between uses."""
        arr = np.asarray(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in self._consts:
            self._consts[key] = self.initializer(arr, "c")
        return self._consts[key]

    def dyn_dim(self, size):
        """A 1-element int64 ONNX value with the run-time size of the dynamic axis traced
        as ``size`` (None if no dynamic axis had that size)."""
        if size in self._dyn_cache:
            return self._dyn_cache[size]
        for name, axis, traced in self.dyn_inputs:
            if traced == size:
                shape = self.node("Shape", [name])
                out = self.node("Gather", [shape, self.const([axis])], axis=0)
                self._dyn_cache[size] = out
                return out
        return None

    def shape_value(self, shape, in_shape=None, zero_copies=True):
        """An ONNX shape for a target ``shape`` traced with concrete sizes: dims equal to a
        dynamic axis's traced size become the run-time size (``0`` -- copy the input's dim
        -- when the same dim of ``in_shape`` has it)."""
        shape = [int(s) for s in shape]
        dyn = [i for i, s in enumerate(shape) if s in self.dyn_sizes]
        if not dyn:
            # a dim that is a multiple of the batch (batch * heads) is inferred (-1): right
            # for any batch when it scales with it, and the same value when it does not
            if -1 not in shape:
                for i, s in enumerate(shape):
                    if any(s % d == 0 and s > d > 1 for d in self.dyn_sizes):
                        shape[i] = -1
                        break
            return self.const(shape)
        parts = []
        for i, s in enumerate(shape):
            if i in dyn and zero_copies and in_shape is not None and i < len(in_shape) \
                    and in_shape[i] == s:
                parts.append(self.const([0]))
            elif i in dyn:
                parts.append(self.dyn_dim(s))
            else:
                parts.append(self.const([s]))
        return self.node("Concat", parts, axis=0)

    def unsupported(self, node, why=None):
        where = f" (in {node.scope})" if node.scope else ""
        why = f": {why}" if why else (". Use only the supported ops (see ember.onnx.supported_ops()), "
                                      "or compute this part outside the exported model.")
        raise UnsupportedOperatorError(
            f"Exporting the operator '{node.op.__name__}' (ember op {node.kind}){where} to ONNX "
            f"opset version {self.opset} is not supported{why}")


def _elem_type(onnx, dtype):
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def build_model(graph, opset, input_names, output_names, dynamic_axes, do_constant_folding=True,
                producer="ember"):
    """The ONNX ModelProto of a traced ``graph``."""
    from . import _ops  # noqa: F401  (registers the converters)
    onnx = _onnx()
    helper = onnx.helper
    dynamic_axes = dynamic_axes or {}
    in_names = list(input_names or []) + [v.name for v in graph.inputs[len(input_names or []):]]
    out_names = list(output_names or []) + [f"output{i}" if len(graph.outputs) > 1 else "output"
                                            for i in range(len(output_names or []), len(graph.outputs))]

    def axes_of(name):
        ax = dynamic_axes.get(name, {})
        if isinstance(ax, (list, tuple)):
            ax = {a: f"{name}_dynamic_axes_{j + 1}" for j, a in enumerate(ax)}
        return ax

    dyn_inputs = [(n, a, v.shape[a]) for n, v in zip(in_names, graph.inputs) for a in axes_of(n)]
    b = Builder(opset, dyn_inputs)
    names = {}
    for n, v in zip(in_names, graph.inputs):
        names[id(v)] = n
        b._names.add(n)
    for pname, v in graph.params.items():
        names[id(v)] = b.initializer(v.data, pname)
    for v in graph.constants:
        names[id(v)] = None  # made on first use

    def name_of(v):
        if v is None:
            return ""
        n = names.get(id(v))
        if n is None:
            n = names[id(v)] = constant_value(b, v)
        return n
    b.name_of = name_of  # (converters that look at the op before theirs: RNN layers)

    for node in graph.nodes:
        conv = CONVERTERS.get(node.kind)
        if conv is None:
            b.unsupported(node)
        node.param_names = {k: name_of(v) for k, v in node.param_values.items()}
        outs = conv(b, node, [name_of(v) for v in node.inputs])
        outs = [outs] if isinstance(outs, str) else list(outs)
        for v, o in zip(node.outputs, outs):
            names[id(v)] = o

    graph_outputs = []
    for oname, v in zip(out_names, graph.outputs):
        if v.kind == "constant":
            import warnings
            warnings.warn(f"ember.onnx.export: output {oname!r} was computed outside ember's ops "
                          "(e.g. argmax or a comparison, which are not traced): it is exported as "
                          "the constant the trace produced", stacklevel=3)
        b.nodes.append(helper.make_node("Identity", [name_of(v)], [oname], name=b.fresh("output_" + oname)))
        graph_outputs.append(_value_info(onnx, oname, v, axes_of(oname)))
    graph_inputs = [_value_info(onnx, n, v, axes_of(n)) for n, v in zip(in_names, graph.inputs)]
    g = helper.make_graph(b.nodes, "main_graph", graph_inputs, graph_outputs, b.initializers)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name=producer)
    model.ir_version = min(model.ir_version, 10)  # readable by onnxruntime releases of 2024+
    return model


def _value_info(onnx, name, v, axes):
    dims = [axes.get(i, d) if i in axes else d for i, d in enumerate(v.shape)]
    return onnx.helper.make_tensor_value_info(name, _elem_type(onnx, v.dtype), dims)


def constant_value(b, v):
    """A constant tensor the forward made (``ember.zeros(x.size(0), H)``, ``ember.ones``):
    a filled tensor whose shape holds a dynamic axis's traced size is rebuilt at run time
    for the actual size; anything else is stored as is."""
    data = v.data
    if data.size and any(s in b.dyn_sizes for s in data.shape) and np.all(data == data.flat[0]):
        scalar = b.const(data.flat[0], data.dtype)
        return b.node("Expand", [scalar, b.shape_value(data.shape, zero_copies=False)])
    if any(s in b.dyn_sizes for s in data.shape):
        import warnings
        warnings.warn(f"ember.onnx.export: a tensor of shape {tuple(data.shape)} that the forward "
                      "computed outside ember's ops is stored as a constant; its size looks like "
                      "a dynamic axis, so the model may only run at the traced size", stacklevel=3)
    return b.initializer(data, "constant")
