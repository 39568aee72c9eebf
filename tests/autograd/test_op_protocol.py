"""The internal op protocol (ember/autograd/op.py) and the engine around it: several
outputs per node, the engine's choice of the raw-array backward, release of what a
node holds, PyTorch's node names and ``(node, input_nr)`` edges, node and tensor hooks."""
import gc
import weakref

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd.op import Op
from tests.helpers import require_torch, torch


class _Counting(Op):
    """y = 3x with both backward forms, counting which one the engine runs."""
    calls = []

    def forward(self, x):
        self.scratch = x * 2.0          # an array kept on the node (released after backward)
        self.save_for_backward(x)
        return x * 3.0

    def backward(self, grad):
        _Counting.calls.append("graph")
        return grad * 3.0

    def backward_raw(self, grad):
        _Counting.calls.append("raw")
        (x,) = self.saved_arrays
        assert isinstance(x, np.ndarray) and isinstance(grad, np.ndarray)
        return grad * 3.0


class _MinMax(Op):
    """Two differentiable outputs from one node."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.min(keepdims=True), x.max(keepdims=True)

    def backward(self, g_min, g_max):
        (x,) = self.saved_tensors
        xd = x.detach()
        return (xd == xd.min()).to(x.dtype) * g_min + (xd == xd.max()).to(x.dtype) * g_max


def test_engine_runs_the_raw_backward_unless_it_records_the_graph():
    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    _Counting.calls.clear()
    _Counting.apply(x).sum().backward()
    assert _Counting.calls == ["raw"] and np.allclose(x.grad.numpy(), 3.0)
    _Counting.calls.clear()
    (g,) = ember.autograd.grad(_Counting.apply(x).sum(), x, create_graph=True)
    assert _Counting.calls == ["graph"]


def test_several_outputs_one_node_and_unused_outputs_get_zeros():
    x = ember.tensor([3.0, -1.0, 2.0], requires_grad=True)
    lo, hi = _MinMax.apply(x)
    assert lo.grad_fn is hi.grad_fn and (lo._out_nr, hi._out_nr) == (0, 1)
    (lo * 2 + hi * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 2.0, 0.0]
    x.grad = None
    lo, hi = _MinMax.apply(x)
    hi.sum().backward()                      # lo got no gradient: zeros are passed
    assert x.grad.tolist() == [1.0, 0.0, 0.0]


def test_max_with_dim_is_one_node_with_non_differentiable_indices():
    x = ember.randn(3, 4, requires_grad=True)
    values, indices = ember.max(x, dim=1)
    assert values.grad_fn.name() == "MaxBackward0" and indices.grad_fn is None
    assert not indices.requires_grad and indices.dtype == ember.int64
    values.sum().backward()
    assert x.grad.sum().item() == 3.0


def test_batch_norm_statistics_are_outputs_of_its_node_not_side_channels():
    from ember.ops.norm import BatchNormTrain
    x = ember.randn(4, 3, 2, requires_grad=True)
    y, mean, var = BatchNormTrain.apply(x, None, None, eps=1e-5)
    assert y.grad_fn is not None and mean.grad_fn is None and var.grad_fn is None
    np.testing.assert_allclose(mean.numpy(), x.detach().numpy().mean(axis=(0, 2)), rtol=1e-5)


def test_engine_releases_node_state_after_backward():
    x = ember.randn(1000, dtype=ember.float64, requires_grad=True)
    y = _Counting.apply(x)
    node = y.grad_fn
    scratch_ref = weakref.ref(node.scratch)
    assert node._saved is not None
    y.sum().backward()
    gc.collect()
    assert scratch_ref() is None            # the array kept on the node is gone ...
    assert node._saved is None and "scratch" not in node.__dict__
    assert node.next_functions[0][0].name() == "AccumulateGrad"   # ... the structure stays
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_retain_graph_keeps_node_state_and_fused_ops_release_theirs():
    x = ember.randn(8, 5, requires_grad=True)
    t = ember.tensor([0, 1, 2, 3, 4, 0, 1, 2])
    loss = F.cross_entropy(x, t)
    node = loss.grad_fn
    exp_ref = weakref.ref(node.e)           # the softmax numerators kept for backward
    loss.backward(retain_graph=True)
    assert exp_ref() is not None
    loss.backward()
    gc.collect()
    assert exp_ref() is None


def test_graph_is_freed_without_reference_cycles():
    gc.disable()
    try:
        x = ember.randn(50, requires_grad=True)
        y = (x.exp() * 2).sum()
        ref = weakref.ref(y.grad_fn)
        big = weakref.ref(y.grad_fn.next_functions[0][0].next_functions[0][0])
        del y
        assert ref() is None and big() is None   # plain refcounting frees the graph
    finally:
        gc.enable()


def test_lecture_graph_structure_x_times_y_plus_z_sum():
    x, y, z = (ember.randn(3, requires_grad=True) for _ in range(3))
    out = (x * y + z).sum()
    f = out.grad_fn
    assert f.name() == "SumBackward0"
    (add, nr), = f.next_functions
    assert add.name() == "AddBackward0" and nr == 0
    (mul, _), (acc_z, _) = add.next_functions
    assert mul.name() == "MulBackward0" and acc_z.name() == "AccumulateGrad"
    assert acc_z.variable is z
    assert [n.variable for n, _ in mul.next_functions] == [x, y]
    assert type(f).__name__ == "SumBackward0" and repr(f).startswith("<SumBackward0 object at")


def test_node_names_match_pytorch_for_everyday_expressions():
    torch_ = require_torch()
    cases = {
        "mul": lambda L, a, b, w: a * b,
        "add": lambda L, a, b, w: a + b,
        "sub": lambda L, a, b, w: a - b,
        "div": lambda L, a, b, w: a / b,
        "mm": lambda L, a, b, w: a @ w,
        "linear": lambda L, a, b, w: L.nn.functional.linear(a, w.t(), b[0]),
        "linear_nobias": lambda L, a, b, w: L.nn.functional.linear(a, w.t()),
        "sum": lambda L, a, b, w: a.sum(),
        "mean": lambda L, a, b, w: a.mean(),
        "exp": lambda L, a, b, w: a.exp(),
        "relu": lambda L, a, b, w: a.relu(),
        "tanh": lambda L, a, b, w: a.tanh(),
        "sigmoid": lambda L, a, b, w: a.sigmoid(),
        "pow": lambda L, a, b, w: a ** 2,
        "neg": lambda L, a, b, w: -a,
        "log_softmax": lambda L, a, b, w: a.log_softmax(1),
        "softmax": lambda L, a, b, w: a.softmax(1),
        "scalar_mul": lambda L, a, b, w: a * 2,
    }
    a = np.random.default_rng(0).standard_normal((2, 3))
    w = np.random.default_rng(1).standard_normal((3, 3))
    for name, fn in cases.items():
        ours = fn(ember, *(ember.tensor(v, requires_grad=True) for v in (a, a + 1, w)))
        theirs = fn(torch_, *(torch.tensor(v, requires_grad=True) for v in (a, a + 1, w)))
        assert ours.grad_fn.name() == theirs.grad_fn.name(), name


def test_post_accumulate_grad_hook_runs_after_accumulation():
    w = ember.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[2.0, 2.0, 2.0], [5.0, 5.0, 5.0]]
    handle.remove()
    (w * 1).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_grad_hook_matches_torch_order():
    torch_ = require_torch()

    def run(lib):
        lin = [lib.ones(2, 2, requires_grad=True) for _ in range(3)]
        order = []
        for i, p in enumerate(lin):
            p.register_post_accumulate_grad_hook(lambda p, i=i: order.append(i))
        x = lib.ones(1, 2)
        for p in lin:
            x = x @ p
        x.sum().backward()
        return order
    assert run(ember) == run(torch_)


def test_tensor_hook_on_one_output_of_a_multi_output_node():
    x = ember.tensor([3.0, -1.0, 2.0], requires_grad=True)
    lo, hi = _MinMax.apply(x)
    hi.register_hook(lambda g: g * 10)
    lo.retain_grad()
    (lo + hi).sum().backward()
    assert x.grad.tolist() == [10.0, 1.0, 0.0]
    assert lo.grad.tolist() == [1.0]


def test_node_pre_and_post_hooks():
    x = ember.ones(2, requires_grad=True)
    y = x * 3
    seen = []
    y.grad_fn.register_prehook(lambda gouts: (gouts[0] * 2,))
    y.grad_fn.register_hook(lambda gins, gouts: seen.append((gins[0].tolist(), gouts[0].tolist())))
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert seen == [([6.0, 6.0], [2.0, 2.0])]


def test_anomaly_mode_names_the_op_and_the_forward_line():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        ctx = ember.autograd.detect_anomaly()
    with ctx:
        y = (x / x).sum()          # the line the traceback must show
        with pytest.raises(RuntimeError) as info, pytest.warns(RuntimeWarning):
            y.backward()
    msg = str(info.value)
    assert "DivBackward0" in msg and "returned nan values" in msg
    assert "test_op_protocol.py" in msg and "y = (x / x).sum()" in msg
    x.grad = None
    (x / x).sum().backward()       # off again: no check, no error
    assert not ember.autograd.is_anomaly_enabled()


def test_set_detect_anomaly_as_call_and_context():
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.autograd.is_anomaly_enabled()
    finally:
        ember.autograd.set_detect_anomaly(False)
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()


def test_ops_contain_no_grad_mode_branches():
    """The engine chooses the backward form; no op's backward branches on the grad mode."""
    import ast
    import pathlib
    root = pathlib.Path(ember.__file__).parent
    offenders = []
    for path in list((root / "ops").glob("*.py")) + list((root / "nn").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("backward"):
                if any(isinstance(n, ast.Name) and n.id == "STATE" for n in ast.walk(node)):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_saved_scalar_output_stays_graph_connected_for_double_backward():
    """NumPy returns scalars for 0-d math; a saved 0-d output must still be the output."""
    x = ember.tensor([0.3, -0.7], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad((x[0] * x[1]).exp(), x, create_graph=True)
    (h,) = ember.autograd.grad(g[0], x)
    e = np.exp(-0.21)
    np.testing.assert_allclose(h.numpy(), [0.49 * e, e * (1 - 0.21)], rtol=1e-12)

    class _ScalarPair(Op):
        def forward(self, a):
            y = np.exp(a.sum())            # a NumPy scalar
            self.save_for_backward(y)
            return y, a.sum()

        def backward(self, gy, gs):
            (y,) = self.saved_tensors
            return (gy * y + gs).expand(2)

    lo, _ = _ScalarPair.apply(x)
    assert lo.grad_fn._saved[0][0] is not None and lo.grad_fn.saved_tensors[0].grad_fn is lo.grad_fn
