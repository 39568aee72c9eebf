"""The Optimizer base class: groups, state, zero_grad, closures, hooks, validation."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch
from tests.optim._common import ember_params, init_arrays, set_ember_grads

ALL = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
       "Adadelta", "Rprop", "ASGD"]

# (optimizer, kwargs, message) -- the messages are PyTorch's
BAD = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-1), "Invalid momentum value: -1"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero "
                                         "dampening"),
    ("SGD", dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), "Nesterov momentum"),
    ("Adam", dict(lr=-1.0), "Invalid learning rate"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("AdamW", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    ("Adagrad", dict(eps=-1), "Invalid epsilon value"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    ("RMSprop", dict(momentum=-0.5), "Invalid momentum value"),
    ("Adamax", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(eps=-1), "Invalid epsilon value"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(weight_decay=-2), "Invalid weight_decay value"),
    ("Rprop", dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    ("Rprop", dict(lr=-1), "Invalid learning rate: -1"),
    ("ASGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
]


@pytest.mark.parametrize("name,kw,msg", BAD)
def test_validation_errors(name, kw, msg):
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError) as exc:
        getattr(ember.optim, name)([p], **kw)
    assert msg in str(exc.value)


@pytest.mark.parametrize("name,kw,msg", BAD)
def test_validation_messages_match_torch(name, kw, msg):
    require_torch()
    with pytest.raises(ValueError) as texc:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as eexc:
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **kw)
    assert str(eexc.value) == str(texc.value)


def test_param_list_errors():
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        ember.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        ember.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        ember.optim.SGD([p, np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        ember.optim.SGD({p}, lr=0.1)
    opt = ember.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([p])
    y = p * 2
    with pytest.raises(ValueError, match="non-leaf"):
        ember.optim.SGD([y], lr=0.1)
    from ember.optim.optimizer import Optimizer, required
    with pytest.raises(ValueError, match="didn't specify a value of required"):
        Optimizer([p], dict(lr=required))


def test_groups_defaults_and_named_params():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    opt = ember.optim.SGD([{"params": a}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[0]["params"] == [a] or opt.param_groups[0]["params"][0] is a
    named = ember.optim.Adam([("w", a), ("b", b)])
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    assert "Parameter Group 0" in repr(opt) and "momentum: 0.9" in repr(opt)


def test_state_keyed_by_tensor_and_float32_kept():
    ps = ember_params(init_arrays(np.float32))
    opt = ember.optim.Adam(ps, lr=0.01, amsgrad=True)
    set_ember_grads(ps)
    opt.step()
    assert set(id(k) for k in opt.state) == set(id(p) for p in ps)
    st = opt.state[ps[0]]
    assert isinstance(st["exp_avg"], ember.Tensor)
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert st[key]._data.dtype == np.float32
        assert st[key].shape == ps[0].shape
    assert float(st["step"]) == 1.0
    for p in ps:
        assert p._data.dtype == np.float32


@pytest.mark.parametrize("name", ALL)
def test_step_records_no_graph_and_bumps_version(name):
    ps = ember_params(init_arrays(np.float32))
    opt = getattr(ember.optim, name)(ps)
    set_ember_grads(ps)
    v0 = [p._version for p in ps]
    before = [p._data.copy() for p in ps]
    ids = [id(p._data) for p in ps]
    opt.step()
    for p, v, b, i in zip(ps, v0, before, ids):
        assert p.grad_fn is None and p.is_leaf and p.requires_grad
        assert p._version > v
        assert id(p._data) == i           # updated in place
        assert not np.array_equal(p._data, b)


def test_zero_grad():
    ps = ember_params(init_arrays(np.float32))
    opt = ember.optim.SGD(ps, lr=0.1)
    set_ember_grads(ps)
    g = ps[0].grad
    opt.zero_grad(set_to_none=False)
    assert ps[0].grad is g and not np.any(g._data)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)
    opt.step()   # no gradients: nothing happens


def test_closure_is_called_with_grad_enabled():
    ps = ember_params(init_arrays(np.float64))
    opt = ember.optim.SGD(ps, lr=0.1)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        return set_ember_grads(ps)

    loss = opt.step(closure)
    assert seen == [True] and isinstance(loss, float)


def test_step_hooks_and_state_dict_hooks():
    p = ember.zeros(2, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_post_hook(lambda o: calls.append("loaded"))
    opt.step()
    assert calls == ["pre", "post"]
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert calls[-1] == "loaded"


def test_load_state_dict_mismatch():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    sd = ember.optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        ember.optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        ember.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


def test_custom_optimizer_subclass():
    """A user optimizer written the PyTorch way works (step under no_grad)."""
    from ember.optim import Optimizer

    class SignSGD(Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            assert not ember.is_grad_enabled()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(group["lr"] * p.grad.sign())
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1

    p = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = SignSGD([p])
    p.grad = ember.tensor([3.0, -1.0])
    opt.step()
    np.testing.assert_allclose(p._data, [0.9, -1.9], rtol=1e-6)
    assert opt.state_dict()["state"][0]["n"] == 1


def test_pickle_roundtrip():
    import pickle
    ps = ember_params(init_arrays(np.float64))
    opt = ember.optim.Adam(ps)
    set_ember_grads(ps)
    opt.step()
    opt2 = pickle.loads(pickle.dumps(opt))
    assert opt2.param_groups[0]["lr"] == 1e-3
    assert len(opt2.state) == 3


def test_subclass_calling_super_step_runs_hooks_once():
    class MySGD(ember.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = MySGD([p], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    p.grad = ember.tensor([1.0, 1.0])
    opt.step()
    assert calls == ["pre"]
    np.testing.assert_allclose(p._data, [0.5, 1.5])


def test_deepcopy_optimizer():
    import copy
    ps = ember_params(init_arrays(np.float64))
    opt = ember.optim.LBFGS(ps[:1])
    opt2 = copy.deepcopy(opt)
    assert opt2.param_groups[0]["params"][0] is not ps[0]
    assert opt2._params[0] is opt2.param_groups[0]["params"][0]
