"""ember._tracer: one forward recorded as a graph of ops (the base of ONNX export and
SummaryWriter.add_graph)."""
import ember
import ember.nn as nn
from ember._tracer import trace
from ember.autograd import op as _op


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn(self.conv(x)))
        out += x                      # in place: later uses see the sum
        return self.relu(out) * ember.ones(1)


def test_graph_of_a_block_with_in_place_ops_and_scopes():
    g = trace(_Block().eval(), (ember.randn(1, 2, 4, 4),))
    kinds = [n.kind for n in g.nodes]
    assert kinds == ["_ConvNd", "ChannelAffine", "Relu", "Add", "Relu", "Mul"]
    conv, bn, relu1, add, relu2, mul = g.nodes
    assert conv.inputs[0] is g.inputs[0] and [v.name for v in conv.inputs[1:]] == ["conv.weight", "conv.bias"]
    assert add.inputs == [relu1.outputs[0], g.inputs[0]]          # relu_ then += resolved
    assert relu2.inputs[0] is add.outputs[0]
    assert mul.inputs[1].kind == "constant" and g.outputs == mul.outputs
    assert [n.scope for n in g.nodes] == ["conv", "bn", "relu", "", "relu", ""]
    assert conv.params["stride"] == (1, 1) and conv.outputs[0].shape == (1, 2, 4, 4)
    # batch norm's running statistics are the buffers' values
    assert bn.param_values["mean"] is g.params["bn.running_mean"]
    assert "%4 : Float(1, 2, 4, 4) = Add[](%3, %input0)" in repr(g)
    assert _op._observer is None


def test_functions_multi_outputs_and_no_graph_recorded():
    x = ember.randn(3, 4, requires_grad=True)
    g = trace(lambda t: t.max(dim=1), (x,), input_names=["x"])
    (node,) = g.nodes
    assert node.kind == "MaxDim" and len(node.outputs) == 2 and g.outputs == node.outputs
    assert g.inputs[0].name == "x" and str(g.outputs[1].dtype) == "int64"
    assert ember.is_grad_enabled()
