"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch
from tests.nn._nn_common import compare_module


def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the keys, as in PyTorch
    with pytest.raises(IndexError):
        s[3]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    s.insert(1, nn.Tanh())
    assert isinstance(s[1], nn.Tanh) and list(s._modules) == ["0", "1", "2", "3", "4"]
    del s[1]
    assert s[1] is b and list(s._modules) == ["0", "1", "2", "3"]
    s[3] = nn.Identity()
    assert isinstance(s[3], nn.Identity)
    s.extend([nn.ReLU(), nn.ReLU()])
    assert len(s) == 6
    popped = s.pop(5)
    assert isinstance(popped, nn.ReLU) and len(s) == 5
    t = nn.Sequential(a) + nn.Sequential(c)
    assert list(t) == [a, c]
    assert s(ember.randn(4, 2)).shape == (4, 1)


def test_sequential_ordered_dict_and_names():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert isinstance(s.fc, nn.Linear) and [n for n, _ in s.named_parameters()] == [
        "fc.weight", "fc.bias"]
    assert s[1] is s.act
    assert "0" not in dir(nn.Sequential(nn.ReLU()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sequential_matches_torch(dtype):
    require_torch()
    e = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))
    t = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                            torch.nn.GELU(), torch.nn.Linear(8, 3))
    assert repr(e) == repr(t)
    x = np.random.default_rng(0).standard_normal((6, 5))
    compare_module(e, t, [x], dtype)


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and isinstance(layers[-1], nn.Tanh)
    assert [k for k in layers._modules] == [str(i) for i in range(6)]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and len(layers) == 5
    layers += [nn.ReLU()]
    assert len(layers) == 6
    with pytest.raises(IndexError):
        layers[10]
    with pytest.raises(TypeError):
        layers.extend(nn.Linear(1, 1).weight)
    with pytest.raises(NotImplementedError):
        layers(ember.zeros(1))


def test_module_list_repr_matches_torch():
    require_torch()
    e = nn.ModuleList([nn.Linear(2, 3) for _ in range(3)] + [nn.ReLU(), nn.Linear(3, 1)])
    t = torch.nn.ModuleList([torch.nn.Linear(2, 3) for _ in range(3)] +
                            [torch.nn.ReLU(), torch.nn.Linear(3, 1)])
    assert repr(e) == repr(t)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_module_dict():
    d = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    assert list(d.keys()) == ["a", "b"] and "a" in d and len(d) == 2
    d["c"] = nn.Tanh()
    d.update([("e", nn.Identity())])
    assert list(d) == ["a", "b", "c", "e"]
    assert isinstance(d.pop("b"), nn.ReLU) and "b" not in d
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    assert len(list(d.values())) == 3 and len(list(d.items())) == 3
    d.clear()
    assert len(d) == 0


def test_parameter_list_and_dict():
    require_torch()
    pl = nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), ember.ones(3)])
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    assert len(list(pl.parameters())) == 2 and len(pl) == 2
    pl.append(ember.zeros(1))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)), torch.ones(3)])
    assert repr(nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), ember.ones(3)])) == \
        repr(tpl).replace("torch.", "ember.")
    assert repr(nn.ParameterDict({"a": nn.Parameter(ember.zeros(2))})) == repr(
        torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.zeros(2))})).replace("torch.",
                                                                                   "ember.")
    pd = nn.ParameterDict({"w": nn.Parameter(ember.zeros(2)), "b": ember.ones(1)})
    assert list(pd.keys()) == ["w", "b"] and isinstance(pd["b"], nn.Parameter)
    pd["c"] = ember.zeros(3)
    assert [n for n, _ in pd.named_parameters()] == ["w", "b", "c"]
    assert "c" in pd and len(pd) == 3
    del pd["w"]
    assert list(pd) == ["b", "c"]
    m = nn.Module()
    m.plist = nn.ParameterList([ember.zeros(2)])
    assert list(m.state_dict()) == ["plist.0"]


def test_containers_pickle():
    s = nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.ReLU()]),
                      nn.ModuleDict({"x": nn.Tanh()}))
    s2 = pickle.loads(pickle.dumps(s))
    assert repr(s2) == repr(s) and len(s2) == 3
    pl = pickle.loads(pickle.dumps(nn.ParameterList([ember.ones(2)])))
    assert len(pl) == 1 and isinstance(pl[0], nn.Parameter)
