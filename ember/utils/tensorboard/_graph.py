"""The GraphDef of a traced forward (``ember._tracer``) for TensorBoard's Graphs tab:
one node per op named ``<submodule path>/<op>``, so TensorBoard groups ops by module;
parameters under their module; each node's output shapes in ``_output_shapes``."""

__all__ = ["graph_def"]


def _tbx_protos():
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.proto.versions_pb2 import VersionDef
    return AttrValue, GraphDef, NodeDef, TensorShapeProto, VersionDef


def graph_def(model, inputs, verbose=False):
    """Trace ``model(*inputs)`` and return the GraphDef protobuf."""
    from ..._tracer import trace
    from ...profiler._record import op_event_name
    AttrValue, GraphDef, NodeDef, TensorShapeProto, VersionDef = _tbx_protos()
    graph = trace(model, inputs)
    if verbose:
        print(graph)

    def shapes(values):
        return AttrValue(list=AttrValue.ListValue(shape=[
            TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in v.shape]) for v in values]))

    def typ(v):
        return AttrValue(s=f"{v.dtype}{list(v.shape)}".encode())

    names = {}
    nodes = []
    for v in graph.inputs:
        names[id(v)] = f"input/{v.name}"
        nodes.append(NodeDef(name=names[id(v)], op="IO Node", input=[],
                             attr={"_output_shapes": shapes([v]), "attr": typ(v)}))
    for pname, v in graph.params.items():
        names[id(v)] = pname.replace(".", "/")
        nodes.append(NodeDef(name=names[id(v)], op="prim::GetAttr", input=[],
                             attr={"_output_shapes": shapes([v]), "attr": typ(v)}))
    for v in graph.constants:
        names[id(v)] = f"constant/{v.name}"
        nodes.append(NodeDef(name=names[id(v)], op="prim::Constant", input=[],
                             attr={"_output_shapes": shapes([v]), "attr": typ(v)}))
    for i, node in enumerate(graph.nodes):
        scope = node.scope.replace(".", "/")
        op = op_event_name(node.op)                      # aten::convolution, aten::addmm
        short = f"{op.split('::')[-1]}_{i}"
        name = f"{scope}/{short}" if scope else short
        for v in node.outputs:
            names[id(v)] = name
        attrs = ", ".join(f"{k}={v!r}" for k, v in node.params.items() if not hasattr(v, "shape"))
        nodes.append(NodeDef(name=name, op=op,
                             input=[names[id(v)] for v in node.inputs if v is not None],
                             attr={"_output_shapes": shapes(node.outputs), "attr": AttrValue(s=attrs.encode())}))
    for j, v in enumerate(graph.outputs):
        nodes.append(NodeDef(name=f"output/output.{j + 1}", op="IO Node", input=[names[id(v)]],
                             attr={"_output_shapes": shapes([v]), "attr": typ(v)}))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
