"""Module and Parameter: registration, traversal, state_dict, modes, dtype moves, hooks,
repr, pickling."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch
from tests.nn._nn_common import close, load_torch_state, to_np


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.scale = nn.Parameter(ember.ones(2))
        self.register_buffer("running", ember.zeros(2))
        self.register_buffer("tmp", ember.zeros(1), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale + self.running


def torch_net():
    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 3)
            self.act = torch.nn.ReLU()
            self.fc2 = torch.nn.Linear(3, 2)
            self.scale = torch.nn.Parameter(torch.ones(2))
            self.register_buffer("running", torch.zeros(2))
            self.register_buffer("tmp", torch.zeros(1), persistent=False)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x))) * self.scale + self.running
    return TNet()


# -- Parameter ------------------------------------------------------------------------
def test_parameter_basics():
    t = ember.zeros(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    p._data[0, 0] = 5
    assert t._data[0, 0] == 5  # shares storage
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(ember.zeros(1), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, nn.Parameter) and q.requires_grad and q.tolist() == p.tolist()
    r = copy.deepcopy(p)
    assert isinstance(r, nn.Parameter) and r is not p and r.tolist() == p.tolist()


# -- registration and traversal -------------------------------------------------------
def test_named_parameters_buffers_modules_match_torch():
    require_torch()
    e, t = Net(), torch_net()
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    assert [n for n, _ in e.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert len(list(e.parameters())) == 5 and len(list(e.buffers())) == 2
    assert len(list(e.modules())) == 4 and len(list(e.children())) == 3


def test_shared_parameters_and_modules_are_deduplicated():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    m[1].weight = m[0].weight
    assert len(list(m.parameters())) == 3
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    shared = nn.Linear(2, 2)
    s = nn.Sequential(shared, shared)
    assert len(list(s.modules())) == 2 and len(list(s.parameters())) == 2
    assert list(s.state_dict().keys()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_setattr_getattr_delattr_rules():
    m = Net()
    assert isinstance(m.fc1, nn.Linear) and "fc1" in m._modules and "fc1" not in m.__dict__
    with pytest.raises(TypeError, match="cannot assign"):
        m.scale = ember.ones(2)  # a plain tensor over a parameter
    with pytest.raises(TypeError, match="cannot assign"):
        m.fc1 = 3
    with pytest.raises(TypeError, match="cannot assign"):
        m.running = "x"
    m.running = ember.ones(2)  # a tensor replaces a buffer
    assert m.running.tolist() == [1, 1]
    m.scale = None
    assert m.scale is None and "scale" in m._parameters
    assert len(list(m.parameters())) == 4
    m.fc2 = nn.Identity()
    del m.fc2
    assert "fc2" not in m._modules
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        m.nope
    # reassigning a name moves it between registries
    m.act = nn.Parameter(ember.zeros(1))
    assert "act" in m._parameters and "act" not in m._modules
    assert "fc1" in dir(m) and "running" in dir(m)


def test_register_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ember.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("training", None)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("w", ember.zeros(1))
    with pytest.raises(TypeError, match="is not a Module"):
        m.add_module("x", 3)

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_get_submodule_parameter_buffer():
    m = nn.Sequential(OrderedDict(block=Net()))
    assert m.get_submodule("block.fc1") is m.block.fc1
    assert m.get_parameter("block.fc1.weight") is m.block.fc1.weight
    assert m.get_buffer("block.running") is m.block.running
    with pytest.raises(AttributeError):
        m.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="not an nn.Parameter"):
        m.get_parameter("block.running")
    m.register_module("extra", nn.ReLU())
    assert isinstance(m.extra, nn.ReLU)


# -- state dict -----------------------------------------------------------------------
def test_state_dict_round_trip_and_detached_values():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict)
    assert "tmp" not in sd and "running" in sd
    assert not any(v.requires_grad for v in sd.values())
    assert not isinstance(sd["fc1.weight"], nn.Parameter)
    assert isinstance(a.state_dict(keep_vars=True)["fc1.weight"], nn.Parameter)
    w_before = b.fc1.weight
    res = b.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.fc1.weight is w_before  # copied in place
    for k, v in sd.items():
        assert np.array_equal(to_np(b.state_dict()[k]), to_np(v))
    # values are detached views: writing into the module shows in the state dict
    a.fc1.weight._data[...] = 7
    assert float(sd["fc1.weight"][0, 0]) == 7
    # numpy arrays and plain lists of arrays are accepted; dtype converted
    b.load_state_dict({k: to_np(v).astype(np.float64) for k, v in sd.items()})
    assert b.fc1.weight.dtype == ember.float32


def test_load_state_dict_errors_are_clear():
    m = nn.Linear(4, 2)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": np.zeros((3, 4)), "bias": np.zeros(2)})
    assert str(e.value) == (
        "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a "
        "param with shape (3, 4) from checkpoint, the shape in current model is (2, 4).")
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": np.zeros((2, 4)), "extra": np.zeros(1)})
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra".' in msg
    assert msg.index("Missing") < msg.index("Unexpected")
    res = m.load_state_dict({"weight": np.ones((2, 4)), "extra": np.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert np.all(to_np(m.weight) == 1)
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])


def test_load_torch_state_dict_directly_and_via_numpy():
    require_torch()
    t = torch_net()
    with torch.no_grad():
        t.running.fill_(0.5)
    e = Net()
    e.load_state_dict(t.state_dict())  # torch tensors (duck-typed .numpy())
    load_torch_state(e, t)  # numpy arrays
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    close(e(ember.tensor(x)), t(torch.tensor(x)), np.float32, "net output")
    # and back: ember state dict into torch
    t2 = torch_net()
    t2.load_state_dict({k: torch.tensor(to_np(v)) for k, v in e.state_dict().items()})
    close(t2(torch.tensor(x)), t(torch.tensor(x)), np.float32, "round trip")


def test_state_dict_hooks_and_override():
    m = nn.Linear(2, 2)
    m.register_state_dict_hook(lambda mod, sd, prefix, meta: [sd.pop(prefix + "bias")] and None)
    assert list(m.state_dict()) == ["weight"]

    def rename(sd, prefix, *rest):
        if prefix + "w" in sd:
            sd[prefix + "weight"] = sd.pop(prefix + "w")
    m2 = nn.Linear(2, 2, bias=False)
    m2.register_load_state_dict_pre_hook(rename)
    m2.load_state_dict({"w": np.ones((2, 2))})
    assert np.all(to_np(m2.weight) == 1)


# -- modes, grads, dtype --------------------------------------------------------------
def test_train_eval_requires_grad_zero_grad_apply():
    m = Net()
    assert m.training and m.fc1.training
    assert m.eval() is m and not m.fc1.training and not m.training
    m.train()
    assert m.fc2.training
    with pytest.raises(ValueError):
        m.train("yes")
    m(ember.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(not np.any(to_np(p.grad)) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "Net"]


def test_to_double_float_keep_parameter_identity():
    m = Net()
    w = m.fc1.weight
    m(ember.randn(2, 4)).sum().backward()
    assert m.double() is m
    assert m.fc1.weight is w and w.dtype == ember.float64 and w.grad.dtype == ember.float64
    assert m.running.dtype == ember.float64
    m.to(ember.float32)
    assert w.dtype == ember.float32
    m.to("cpu", dtype=ember.float64)
    assert w.dtype == ember.float64
    m.float().cpu()
    assert w.dtype == ember.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(ember.int64)
    m.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype == ember.float64


def test_cuda_gives_clear_error_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(Exception) as e:
        nn.Linear(2, 2).cuda()
    assert "cuda" in str(e.value).lower() or "cupy" in str(e.value).lower()


# -- hooks ----------------------------------------------------------------------------
def test_forward_hooks_order_replace_and_remove():
    m = nn.Linear(3, 3)
    calls = []

    def pre(mod, args):
        calls.append("pre")
        return (args[0] * 0,)

    def post(mod, args, out):
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    y = m(ember.ones(2, 3))
    assert calls == ["pre", "post"]
    close(y, to_np(m.bias)[None].repeat(2, 0) + 1, np.float32, "hooked output")
    h1.remove()
    h2.remove()
    h2.remove()  # idempotent
    y = m(ember.ones(2, 3))
    assert calls == ["pre", "post"]
    # kwargs variants, prepend, context manager
    order = []
    m.register_forward_hook(lambda mod, a, out: order.append(1))
    m.register_forward_hook(lambda mod, a, out: order.append(0), prepend=True)
    with m.register_forward_pre_hook(lambda mod, a, kw: (a, kw), with_kwargs=True):
        m(ember.ones(1, 3))
    assert order == [0, 1]
    assert len(m._forward_pre_hooks) == 0


def test_full_backward_hook_matches_torch():
    require_torch()
    x = np.random.default_rng(0).standard_normal((2, 3))
    e, t = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    load_torch_state(e, t)
    got = {}

    def ehook(mod, gin, gout):
        got["e"] = (gin, gout)

    def thook(mod, gin, gout):
        got["t"] = (gin, gout)
    e.register_full_backward_hook(ehook)
    t.register_full_backward_hook(thook)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (e(ex) ** 2).sum().backward()
    (t(tx) ** 2).sum().backward()
    close(got["e"][0][0], got["t"][0][0], np.float64, "grad_input")
    close(got["e"][1][0], got["t"][1][0], np.float64, "grad_output")
    # replacing grad_input
    e2 = nn.Linear(3, 2)
    e2.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0,))
    xx = ember.randn(2, 3, requires_grad=True)
    e2(xx).sum().backward()
    assert not np.any(to_np(xx.grad))
    # no input requiring grad: grad_input is (None,)
    seen = []
    e3 = nn.Linear(3, 2)
    e3.register_full_backward_hook(lambda mod, gin, gout: seen.append(gin))
    e3(ember.randn(2, 3)).sum().backward()
    assert seen == [(None,)]


# -- repr and pickling ----------------------------------------------------------------
def test_repr_matches_torch():
    require_torch()
    e, t = Net(), torch_net()
    assert repr(e).replace("Net", "X") == repr(t).replace("TNet", "X")
    es = nn.Sequential(nn.Conv2d(1, 4, 3) if hasattr(nn, "Conv2d") else nn.Identity(),
                       nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1)), nn.Flatten())
    ts = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3) if hasattr(nn, "Conv2d")
                             else torch.nn.Identity(),
                             torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.1)),
                             torch.nn.Flatten())
    assert repr(es) == repr(ts)


def test_pickle_and_deepcopy_round_trip():
    m = Net()
    m.eval()
    x = ember.randn(3, 4)
    for m2 in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert type(m2) is Net and not m2.training
        assert [n for n, _ in m2.named_parameters()] == [n for n, _ in m.named_parameters()]
        assert all(isinstance(p, nn.Parameter) for p in m2.parameters())
        assert m2.fc1.weight is not m.fc1.weight
        close(m2(x), m(x), np.float32, "copy output")
        assert "tmp" in m2._non_persistent_buffers_set
        m2.fc1.weight._data[...] = 0
        assert np.any(to_np(m.fc1.weight))


def test_buffer_marker():
    m = nn.Module()
    m.stats = nn.Buffer(ember.ones(3))
    m.tmp = nn.Buffer(ember.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["stats"]
    assert [n for n, _ in m.named_buffers()] == ["stats", "tmp"]
    assert not isinstance(m.stats, nn.Buffer) and isinstance(m.stats, ember.Tensor)
    m.double()
    assert m.stats.dtype == ember.float64


def test_train_override_in_submodule_is_honoured():
    class FrozenDropout(nn.Dropout):
        def train(self, mode=True):
            return super().train(False)  # always in eval mode

    m = nn.Sequential(nn.Linear(2, 2), FrozenDropout(0.5))
    m.train()
    assert m.training and m[0].training and not m[1].training
