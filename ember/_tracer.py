"""The tracer: runs a module's forward once and records the ops it applied as a graph
(each op's class, parameters, input and output values with shapes and dtypes), the way
``torch.jit.trace`` does. ONNX export (``ember.onnx``) and TensorBoard's graph
(``SummaryWriter.add_graph``) are built on it.

Every op goes through ``Op.apply``; the tracer installs itself in that one observer slot
(``ember.autograd.op._observer``) while the forward runs, so the model's code needs no
change. Values are the model's inputs, its parameters and buffers (by their
``named_parameters``/``named_buffers`` names), the ops' outputs, and constants (any other
tensor the forward used, e.g. one made with ``ember.zeros``).

Example:
    >>> g = trace(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (ember.randn(2, 4),))
    >>> print(g)
    graph(%input0 : Float(2, 4), %0.weight : Float(3, 4), %0.bias : Float(3)):
      %1 : Float(2, 3) = Linear[](%input0, %0.weight, %0.bias)
      %2 : Float(2, 3) = Relu[](%1)
      return (%2)
"""
import numpy as np

from .autograd import op as _op
from .autograd.grad_mode import no_grad

__all__ = ["trace", "Graph", "Node", "Value"]


class Value:
    """One tensor in the graph: ``kind`` is ``"input"``, ``"param"`` (parameters and
    buffers), ``"constant"`` or ``"op"`` (an op's output); ``data`` holds the array of
    params and constants."""

    def __init__(self, name, shape, dtype, kind, data=None, producer=None):
        self.name = name
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.kind = kind
        self.data = data
        self.producer = producer

    def __repr__(self):
        return f"%{self.name} : {_type_str(self)}"


def _type_str(v):
    kind = {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}.get(v.dtype.kind, str(v.dtype))
    if v.dtype == np.float64:
        kind = "Double"
    elif v.dtype == np.int32:
        kind = "Int"
    return f"{kind}({', '.join(map(str, v.shape))})"


class Node:
    """One applied op: ``op`` (its class; ``kind`` is ember's class name ``op.op_class``),
    ``params`` (the keyword parameters it was applied with), ``param_values`` (those
    parameters that are arrays of traced tensors, as their Values), ``inputs`` (Values, or
    None for an absent optional input), ``outputs`` (Values), ``scope`` (the submodule)."""

    def __init__(self, op, params, inputs, outputs, scope):
        self.op = op
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.scope = scope
        self.param_values = {}

    @property
    def kind(self):
        return self.op.op_class

    def __repr__(self):
        outs = ", ".join(map(repr, self.outputs))
        ins = ", ".join("None" if v is None else "%" + v.name for v in self.inputs)
        attrs = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        return f"{outs} = {self.kind}[{attrs}]({ins})"


def _host(arr):
    """A NumPy copy-free view of a backend array (GPU arrays are copied to the host)."""
    if type(arr) is np.ndarray:
        return arr
    from .backend import CPU, to_device_array
    return np.asarray(to_device_array(arr, CPU))


def _short(v):
    if isinstance(v, np.ndarray):
        return f"array{v.shape}"
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


class Graph:
    """A traced forward: ``inputs``, ``params`` (name -> Value), ``nodes`` in execution
    order, ``outputs``."""

    def __init__(self):
        self.inputs, self.outputs, self.nodes = [], [], []
        self.params = {}
        self.constants = []

    def __repr__(self):
        head = ", ".join(map(repr, self.inputs + list(self.params.values())))
        body = "".join(f"  {n!r}\n" for n in self.nodes)
        outs = ", ".join("%" + v.name for v in self.outputs)
        return f"graph({head}):\n{body}  return ({outs})\n"


class _Recorder:
    """The observer while tracing: runs each op and records it as a Node."""

    def __init__(self, graph, module_names):
        self.g = graph
        self.values = {}     # id(tensor) -> (Value, version when mapped)
        self.arrays = {}     # id(array) -> Value: arrays given to ops as parameters
        self.keep = []       # the traced tensors stay alive (their ids stay unique)
        self.counter = 0
        self.scope = []      # module names of the calls in progress
        self.module_names = module_names

    def new_name(self):
        self.counter += 1
        return str(self.counter)

    def bind(self, t, value):
        self.values[id(t)] = (value, t._version)
        self.arrays[id(t._data)] = value
        self.keep.append(t)

    def lookup(self, t):
        """The Value of tensor ``t`` (a constant if the trace has not seen it)."""
        entry = self.values.get(id(t))
        if entry is not None:
            value, version = entry
            if version == t._version:
                return value
            # changed in place since (relu_, +=): ember ran the op out of place on t and
            # wrote the result back, so t is now the output of the latest such op
            for node in reversed(self.g.nodes):
                if node.inputs and node.inputs[0] is value and node.outputs[0].shape == tuple(t.shape):
                    out = node.outputs[0]
                    self.bind(t, out)
                    return out
        arr = np.array(_host(t._data))
        value = Value("c" + self.new_name(), arr.shape, arr.dtype, "constant", data=arr)
        self.g.constants.append(value)
        self.bind(t, value)
        return value

    def __call__(self, cls, args, params):
        Tensor = _op._Tensor
        inputs = [None if a is None else self.lookup(a if isinstance(a, Tensor)
                                                      else Tensor._wrap(np.asarray(a)))
                  for a in args]
        _op._observer = None
        try:
            out = cls.apply(*args, **params)
        finally:
            _op._observer = self
        outs = out if isinstance(out, tuple) else (out,)
        node = Node(cls, {k: _host(v) if hasattr(v, "__cuda_array_interface__") else v
                          for k, v in params.items()}, inputs, [], self.scope[-1] if self.scope else "")
        # array parameters that are some traced tensor's data (embedding indices, batch
        # norm's running statistics) are that tensor's Value
        node.param_values = {k: self.arrays[id(v)] for k, v in params.items()
                             if isinstance(v, np.ndarray) and id(v) in self.arrays}
        for t in outs:
            v = Value(self.new_name(), t.shape, t._data.dtype, "op", producer=node)
            node.outputs.append(v)
            self.bind(t, v)
        self.g.nodes.append(node)
        return out


def _flatten(x):
    from .tensor import Tensor
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _flatten(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _flatten(item)]
    return []


def trace(model, args, kwargs=None, input_names=None):
    """Run ``model(*args, **kwargs)`` once (without recording gradients) and return the
    ``Graph`` of the ops it applied.

    Args:
        model (callable): an ``nn.Module`` (its parameters and buffers become named
            graph values) or a function of tensors.
        args (Tensor or tuple): the example inputs.
        kwargs (dict, optional): keyword inputs.
        input_names (list of str, optional): names of the tensor inputs (default
            ``input0``, ``input1``, ...).
    """
    from .tensor import Tensor
    if isinstance(args, Tensor):
        args = (args,)
    kwargs = kwargs or {}
    g = Graph()
    named = {}
    if hasattr(model, "named_parameters"):
        named.update(dict(model.named_parameters()))
        named.update(dict(model.named_buffers()))
    rec = _Recorder(g, {})
    flat_in = _flatten(list(args) + list(kwargs.values()))
    for i, t in enumerate(flat_in):
        name = input_names[i] if input_names and i < len(input_names) else f"input{i}"
        v = Value(name, t.shape, t._data.dtype, "input")
        g.inputs.append(v)
        rec.bind(t, v)
    for name, t in named.items():
        if id(t) in rec.values:
            continue
        v = Value(name, t.shape, t._data.dtype, "param", data=_host(t._data))
        g.params[name] = v
        rec.bind(t, v)
    hooks = _scope_hooks(model, rec)
    prev = _op._observer
    _op._observer = rec
    try:
        with no_grad():
            out = model(*args, **kwargs)
    finally:
        _op._observer = prev
        for h in hooks:
            h.remove()
    g.outputs = [rec.lookup(t) for t in _flatten(out)]
    g.example_outputs = _flatten(out)
    g.output_structure = out
    used = {id(v) for n in g.nodes for v in list(n.inputs) + list(n.param_values.values())
            if v is not None} | {id(v) for v in g.outputs}
    g.params = {k: v for k, v in g.params.items() if id(v) in used}
    return g


def _scope_hooks(model, rec):
    """Record which submodule each op ran in (``Node.scope``: ``layer1.0.conv1``)."""
    if not hasattr(model, "named_modules"):
        return []
    hooks = []
    for name, m in model.named_modules():
        if not name:
            continue

        def pre(mod, inp, name=name):
            rec.scope.append(name)

        def post(mod, inp, out):
            if rec.scope:
                rec.scope.pop()
        hooks.append(m.register_forward_pre_hook(pre))
        hooks.append(m.register_forward_hook(post))
    return hooks
