"""Devices, transfers, ember.cuda, module/optimizer/DataLoader/checkpoint plumbing on the
fake CUDA device (tests/cuda/conftest.py registers it)."""
import io

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import backend

from . import fake_cupy


def test_tensor_moves_between_devices():
    x = ember.arange(6.0).reshape(2, 3)
    for y in (x.cuda(), x.to("cuda:0"), x.to(ember.device("cuda", 0)), ember.tensor([1.0], device="cuda")):
        assert y.is_cuda and y.device == ember.device("cuda", 0)
        assert isinstance(y._data, backend.cuda_module().ndarray)
    y = x.cuda()
    assert y.to("cuda") is y
    back = y.cpu()
    assert not back.is_cuda and type(back._data) is np.ndarray
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    with pytest.raises(TypeError, match="Tensor.cpu"):
        y.numpy()
    assert y.tolist() == x.tolist() and float(y.sum()) == 15.0


def test_gradient_flows_back_across_devices():
    x = ember.ones(3, requires_grad=True)
    (x.cuda() * 2).sum().backward()
    assert not x.grad.is_cuda
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_mixing_devices_raises_pytorchs_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found "
                                           "at least two devices, cuda:0 and cpu!"):
        ember.ones(2).cuda() + ember.ones(2)
    with pytest.raises(RuntimeError, match="same device"):
        nn.Linear(2, 2)(ember.ones(1, 2).cuda())


def test_zero_dim_cpu_tensors_join_cuda_ops():
    y = ember.ones(3).cuda() * ember.tensor(2.0)  # as PyTorch allows for 0-d CPU tensors
    assert y.is_cuda and y.tolist() == [2.0, 2.0, 2.0]
    assert (ember.tensor(1.0) + ember.ones(2).cuda()).is_cuda


def test_cuda_api_answers(fake_cuda):
    if fake_cuda is not fake_cupy.module:
        pytest.skip("the stand-in's two devices and name")
    c = ember.cuda
    assert c.is_available() and c.device_count() == 2 and c.current_device() == 0
    assert "Fake" in c.get_device_name(0)
    assert c.memory_allocated() == 0 and c.max_memory_allocated() == 0
    c.empty_cache()
    c.synchronize()
    with c.device(1):
        assert ember.zeros(2, device="cuda").device == ember.device("cuda", 1)
    assert ember.zeros(2).cuda(1).device.index == 1
    assert ember.accelerator.current_accelerator() == ember.device("cuda")


def test_cuda_generators_seeded_and_reproducible():
    ember.cuda.manual_seed_all(3)
    a = ember.randn(5, device="cuda")
    ember.cuda.manual_seed(3)
    b = ember.randn(5, device="cuda")
    ember.manual_seed(3)
    cpu = ember.randn(5)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    np.testing.assert_array_equal(a.cpu().numpy(), cpu.numpy())  # the CPU's numbers, drawn on the host
    state = ember.cuda.get_rng_state()
    c = ember.rand(4, device="cuda")
    ember.cuda.set_rng_state(state)
    np.testing.assert_array_equal(ember.rand(4, device="cuda").cpu().numpy(), c.cpu().numpy())
    # the CPU stream is untouched by CUDA draws
    ember.manual_seed(0)
    ember.rand(3, device="cuda")
    first = ember.rand(2)
    ember.manual_seed(0)
    np.testing.assert_array_equal(ember.rand(2).numpy(), first.numpy())
    assert ember.rand_like(c).is_cuda and ember.randint(0, 5, (3,), device="cuda").is_cuda


def test_module_to_and_optimizer_state_on_the_device():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    m.to("cuda")
    assert all(t.is_cuda for t in list(m.parameters()) + list(m.buffers()))
    opt = ember.optim.Adam(m.parameters(), lr=0.1)
    m(ember.randn(5, 3, device="cuda")).sum().backward()
    opt.step()
    for st in opt.state.values():
        assert st["exp_avg"].is_cuda and st["exp_avg_sq"].is_cuda
    # an optimizer state saved on CPU loads onto the parameters' device
    sd = opt.state_dict()
    m.cpu()
    opt2 = ember.optim.Adam(m.parameters(), lr=0.1)
    opt2.load_state_dict(sd)
    assert not any(v.is_cuda for st in opt2.state.values() for v in st.values()
                   if isinstance(v, ember.Tensor) and v.dim())
    m.cuda()
    assert all(p.is_cuda for p in m.parameters())


def test_checkpoint_saved_from_gpu_loads_on_cpu():
    m = nn.Linear(3, 2).cuda()
    buf = io.BytesIO()
    ember.save({"model": m.state_dict(), "step": 3}, buf)
    for loc in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage.cpu()):
        buf.seek(0)
        ck = ember.load(buf, map_location=loc)
        assert not ck["model"]["weight"].is_cuda
        np.testing.assert_array_equal(ck["model"]["weight"].numpy(), m.weight.detach().cpu().numpy())
    buf.seek(0)
    assert ember.load(buf)["model"]["weight"].is_cuda  # no map_location: back where it was saved
    cpu_model = nn.Linear(3, 2)
    buf.seek(0)
    cpu_model.load_state_dict(ember.load(buf, map_location="cpu")["model"])


def test_dataloader_pin_memory_and_batches_to_cuda():
    ds = ember.utils.data.TensorDataset(ember.randn(6, 2), ember.arange(6))
    dl = ember.utils.data.DataLoader(ds, batch_size=4, pin_memory=True)
    for x, y in dl:
        x, y = x.to("cuda", non_blocking=True), y.cuda()
        assert x.is_cuda and y.is_cuda and x.shape[1] == 2 and len(x) == len(y)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "zeros_", "ones_", "xavier_uniform_", "xavier_normal_",
                                  "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_", "eye_"])
def test_init_on_cuda_parameters_matches_cpu(name):
    """nn.init fills CUDA tensors in place with the numbers it gives on the CPU after
    ember.manual_seed (drawn on the host from the device's generator)."""
    f = getattr(nn.init, name)
    ember.manual_seed(5)
    cpu = f(ember.empty(4, 3)).numpy()
    ember.manual_seed(5)
    w = ember.empty(4, 3, device="cuda")
    assert f(w) is w and w.is_cuda
    np.testing.assert_allclose(w.cpu().numpy(), cpu, rtol=1e-6, atol=1e-7)


def test_reset_parameters_on_cuda():
    for m in (nn.Conv2d(2, 3, 3), nn.Linear(3, 2), nn.LSTM(3, 4), nn.BatchNorm1d(3), nn.Embedding(5, 2)):
        m.cuda().reset_parameters()
        assert all(p.is_cuda for p in m.parameters())


def test_clip_grad_on_cuda_matches_cpu():
    out = []
    for dev in ("cpu", "cuda"):
        ember.manual_seed(0)
        m = nn.Linear(4, 3).to(dev)
        m(ember.randn(5, 4).to(dev)).pow(2).sum().backward()
        n = nn.utils.clip_grad_norm_(m.parameters(), 0.5)
        nn.utils.clip_grad_value_(m.parameters(), 0.1)
        assert m.weight.grad.device.type == dev
        out.append((float(n), m.weight.grad.cpu().numpy()))
    assert abs(out[0][0] - out[1][0]) < 1e-5
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-5)


def test_pt_file_from_cuda_loads_on_cpu(tmp_path):
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).cuda()
    path = tmp_path / "m.pt"
    ember.save({"model": m.state_dict(), "opt": ember.optim.SGD(m.parameters(), lr=0.1).state_dict()}, path)
    ck = ember.load(path, map_location="cpu")
    assert not any(t.is_cuda for t in ck["model"].values())
    cpu = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    cpu.load_state_dict(ck["model"])
    np.testing.assert_array_equal(cpu[0].weight.detach().numpy(), m[0].weight.detach().cpu().numpy())
    m2 = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).cuda()
    m2.load_state_dict(ck["model"])  # CPU values copied into CUDA parameters
    assert m2[0].weight.is_cuda
    cpu.load_state_dict(m.state_dict())  # and CUDA values into CPU parameters
    assert not cpu[0].weight.is_cuda


def test_dataloader_over_cuda_tensors_and_generators():
    ds = ember.utils.data.TensorDataset(ember.randn(5, 2, device="cuda"), ember.arange(5, device="cuda"))
    batches = list(ember.utils.data.DataLoader(ds, batch_size=2))
    assert len(batches) == 3 and all(x.is_cuda and y.is_cuda for x, y in batches)
    g = ember.Generator(device="cuda").manual_seed(1)
    a = ember.randn(3, generator=g, device="cuda")
    b = ember.randn(3, generator=ember.Generator(device="cuda").manual_seed(1), device="cuda")
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    x = ember.ones(2, 3, device="cuda")
    assert "device='cuda:0'" in repr(x) and x.sum().item() == 6.0 and x.to(ember.zeros(1)).device.type == "cpu"


def test_lazy_modules_moved_before_their_first_call_materialize_on_cuda():
    m = nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.LazyBatchNorm1d(), nn.Unflatten(1, (3, 1)),
                      nn.LazyConv1d(2, 1)).cuda()
    assert m(ember.randn(2, 4, device="cuda")).is_cuda
    assert all(t.is_cuda for t in list(m.parameters()) + list(m.buffers()))


def test_tensor_methods_keep_the_device():
    x = ember.randn(3, 4, device="cuda")
    i = ember.tensor([0, 2, 1, 2], device="cuda")
    made = [x.new_zeros(2), x.new_ones(2), x.new_empty(2), x.new_full((2,), 3.0), x.new_tensor([1.0]),
            x.clone().fill_(2), x.clone().zero_(), x.clone().uniform_(), x.clone().normal_(),
            x.clone().bernoulli_(0.5), x.clone().random_(0, 5), x.clone().exponential_(),
            x.clone().copy_(ember.ones(3, 4)), i.unique(), i.bincount(), ember.multinomial(x.softmax(1), 2),
            ember.normal(x, 1.0), (x.tanh() * 0.9).erfinv(), ember.rand_like(x), ember.bernoulli(x.sigmoid())]
    assert all(t.is_cuda for t in made)
    assert not ember.zeros(3, 4).copy_(x).is_cuda  # copy_ from cuda into a CPU tensor
    ember.manual_seed(2)
    a = x.clone().uniform_()
    ember.manual_seed(2)
    np.testing.assert_array_equal(a.cpu().numpy(), ember.empty(3, 4).uniform_().numpy())


def test_fused_kernels_serve_cuda_training_steps():
    from ember.backend import _fused
    _fused._cache.clear()
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 2), nn.ReLU()).cuda()
    opt = ember.optim.Adam(m.parameters())
    m(ember.randn(5, 3, device="cuda")).sum().backward()
    opt.step()
    assert {name for _, name in _fused._cache} == {"adam", "relu_grad", "sigmoid_grad", "tanh_grad"}
    _fused._cache.clear()
    cpu = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    cpu(ember.randn(5, 3)).sum().backward()
    ember.optim.Adam(cpu.parameters()).step()
    assert not _fused._cache  # the NumPy path never touches them
