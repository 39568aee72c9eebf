"""PyTorch's .pt/.pth format both ways: torch.save files load in ember, ember's .pt files
load in torch (weights_only=True), and malicious pickles are refused."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import SerializationError
from tests.helpers import torch, require_torch


class Point:  # a user class for the allow-list tests (module level: picklable by name)
    def __init__(self, x):
        self.x = x


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _torch_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                               torch.nn.Flatten(), torch.nn.Linear(8, 3))


def _ember_net():
    return ember.nn.Sequential(ember.nn.Conv2d(1, 2, 3), ember.nn.BatchNorm2d(2), ember.nn.ReLU(),
                               ember.nn.Flatten(), ember.nn.Linear(8, 3))


def test_torch_written_state_dict_loads(tmp_path):
    require_torch()
    net = _torch_net()
    net(torch.randn(4, 1, 4, 4))  # BatchNorm running stats and num_batches_tracked (int64)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    net(torch.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    base = torch.arange(12.0).reshape(3, 4)
    extras = {"view": base[:, 1], "t": base.t(), "same": base, "scalar": torch.tensor(2.5),
              "empty": torch.zeros(0, 3), "half": torch.ones(2, dtype=torch.float16),
              "mask": torch.tensor([True, False]), "ints": torch.tensor([1, 2], dtype=torch.int32),
              "size": torch.Size([2, 3]), "dtype": torch.float64, "bytes": b"\x00\xff",
              "nested": [1, (2.5, "s"), {"k": None}], "set": {1, 2}}
    path = tmp_path / "ckpt.pth"
    torch.save({"model": net.state_dict(), "optim": opt.state_dict(), "epoch": 3, **extras}, path)
    ck = ember.load(path)
    tsd = net.state_dict()
    assert list(ck["model"]) == list(tsd)
    for k, v in tsd.items():
        assert ck["model"][k].dtype == getattr(ember, str(v.dtype).split(".")[1])
        np.testing.assert_array_equal(_np(ck["model"][k]), v.numpy())
    for k in ("view", "t", "same", "scalar", "empty", "half", "mask", "ints"):
        np.testing.assert_array_equal(_np(ck[k]), extras[k].numpy(), err_msg=k)
        assert tuple(ck[k].shape) == tuple(extras[k].shape)
    assert ck["size"] == ember.Size([2, 3]) and isinstance(ck["size"], ember.Size)
    assert ck["dtype"] is ember.float64 and ck["bytes"] == b"\x00\xff" and ck["epoch"] == 3
    assert ck["nested"] == [1, (2.5, "s"), {"k": None}] and ck["set"] == {1, 2}
    st = ck["optim"]["state"][0]
    np.testing.assert_array_equal(_np(st["exp_avg"]), opt.state_dict()["state"][0]["exp_avg"].numpy())
    # the state dict drives an ember module to the same outputs
    em = _ember_net()
    em.load_state_dict(ck["model"])
    em.eval(), net.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_np(em(ember.tensor(x))), net(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    # a whole-tensor / parameter file
    torch.save(torch.nn.Parameter(torch.ones(2)), tmp_path / "p.pt")
    p = ember.load(tmp_path / "p.pt")
    assert isinstance(p, ember.nn.Parameter) and p.requires_grad


def test_ember_written_pt_loads_in_torch(tmp_path):
    require_torch()
    em = _ember_net()
    em(ember.randn(4, 1, 4, 4))
    opt = ember.optim.SGD(em.parameters(), lr=0.1, momentum=0.9)
    em(ember.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    obj = {"model": em.state_dict(), "optim": opt.state_dict(), "step": 7,
           "p": ember.nn.Parameter(ember.ones(3)), "rg": ember.ones(2, requires_grad=True),
           "t": ember.arange(12.0).reshape(3, 4).t(), "i64": ember.tensor([1, 2]),
           "b": ember.tensor([True]), "h": ember.ones(2, dtype=ember.float16),
           "size": ember.Size([4]), "dt": ember.float32, "dev": ember.device("cpu"),
           "scalar": ember.tensor(1.5), "empty": ember.zeros(0, 2)}
    for name in ("ckpt.pt", "ckpt.pth", "ckpt.pth.tar"):
        ember.save(obj, tmp_path / name)
        assert zipfile.is_zipfile(tmp_path / name)
        ck = torch.load(tmp_path / name, weights_only=True)
        for k, v in em.state_dict().items():
            assert str(ck["model"][k].dtype) == str(v.dtype).replace("ember", "torch")
            np.testing.assert_array_equal(ck["model"][k].numpy(), _np(v))
        assert isinstance(ck["p"], torch.nn.Parameter) and ck["p"].requires_grad
        assert ck["rg"].requires_grad and not ck["t"].requires_grad
        np.testing.assert_array_equal(ck["t"].numpy(), _np(obj["t"]))
        assert ck["size"] == torch.Size([4]) and ck["dt"] is torch.float32
        assert ck["dev"] == torch.device("cpu") and ck["step"] == 7
        assert ck["scalar"].shape == () and ck["empty"].shape == (0, 2)
        assert ck["h"].dtype == torch.float16 and ck["b"].dtype == torch.bool
        mom = ck["optim"]["state"][0]["momentum_buffer"]
        np.testing.assert_array_equal(mom.numpy(), _np(opt.state_dict()["state"][0]["momentum_buffer"]))
        tn = _torch_net()
        tn.load_state_dict(ck["model"])
    # 64-byte aligned records: torch can memory-map the file
    mm = torch.load(tmp_path / "ckpt.pt", weights_only=True, mmap=True)
    np.testing.assert_array_equal(mm["t"].numpy(), _np(obj["t"]))
    # and ember reads its own file back
    back = ember.load(tmp_path / "ckpt.pt")
    assert isinstance(back["p"], ember.nn.Parameter) and back["dt"] is ember.float32


def test_format_selection(tmp_path):
    require_torch()
    sd = {"w": ember.ones(2)}
    ember.save(sd, tmp_path / "a.safetensors")
    assert not zipfile.is_zipfile(tmp_path / "a.safetensors")
    buf = io.BytesIO()
    ember.save(sd, buf, format="torch")
    buf.seek(0)
    assert torch.load(buf, weights_only=True)["w"].tolist() == [1.0, 1.0]
    buf.seek(0)
    assert ember.load(buf)["w"].tolist() == [1.0, 1.0]
    ember.save(sd, tmp_path / "b.pt", format="safetensors")
    assert not zipfile.is_zipfile(tmp_path / "b.pt") and ember.load(tmp_path / "b.pt")["w"].tolist() == [1, 1]
    with pytest.raises(ValueError, match="format"):
        ember.save(sd, tmp_path / "c.pt", format="onnx")
    with pytest.raises(TypeError, match=r"\.pt file name"):
        ember.save(ember.nn.Linear(2, 2), tmp_path / "m.safetensors")


def test_whole_module_needs_weights_only_false(tmp_path):
    model = _ember_net()
    model.eval()
    path = tmp_path / "model.pt"
    ember.save(model, path)
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)Weights only load failed.*"
                       r"GLOBAL ember\.nn\.modules\.container\.Sequential was not an allowed global"):
        ember.load(path)
    with pytest.warns(UserWarning, match="arbitrary code execution"):
        back = ember.load(path, weights_only=False)
    x = ember.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(_np(back(x)), _np(model(x)))
    back.train()
    back(x).sum().backward()  # the loaded parameters train
    assert all(p.grad is not None for p in back.parameters())


def test_malicious_pickles_are_refused(tmp_path):
    require_torch()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(2), "payload": Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL (posix|os|nt)\.system was not an allowed"):
        ember.load(path)
    assert not marker.exists()
    # a hand-made data.pkl calling builtins.eval through REDUCE
    data = b"\x80\x02cbuiltins\neval\nq\x00X\x0b\x00\x00\x00print(\"x\")q\x01\x85q\x02Rq\x03."
    zpath = tmp_path / "eval.pt"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("eval/data.pkl", data)
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        ember.load(zpath)
    # a persistent id that is not a storage, and a tensor larger than its storage
    with zipfile.ZipFile(tmp_path / "pid.pt", "w") as zf:
        zf.writestr("a/data.pkl", b"\x80\x02X\x03\x00\x00\x00abcQ.")
    with pytest.raises(pickle.UnpicklingError, match="persistent id"):
        ember.load(tmp_path / "pid.pt")
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    raw = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        recs = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(tmp_path / "short.pt", "w") as zf:
        for n, v in recs.items():
            zf.writestr(n, v[:4] if n.endswith("data/0") else v)
    with pytest.raises(pickle.UnpicklingError, match="does not fit its storage"):
        ember.load(tmp_path / "short.pt")


def test_safe_globals(tmp_path):
    require_torch()
    path = tmp_path / "point.pt"
    torch.save({"pt": Point(3), "w": torch.ones(1)}, path)
    with pytest.raises(pickle.UnpicklingError, match="add_safe_globals"):
        ember.load(path)
    with ember.serialization.safe_globals([Point]):
        assert ember.load(path)["pt"].x == 3
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path)
    try:
        ember.serialization.add_safe_globals([Point])
        assert Point in ember.serialization.get_safe_globals()
        assert ember.load(path)["pt"].x == 3
    finally:
        ember.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []


def test_map_location_and_cuda_error(tmp_path, monkeypatch):
    require_torch()
    path = tmp_path / "w.pt"
    torch.save({"w": torch.ones(2)}, path)
    seen = []
    out = ember.load(path, map_location=lambda storage, loc: seen.append(loc) or storage)
    assert seen == ["cpu"] and out["w"].tolist() == [1.0, 1.0]
    assert ember.load(path, map_location="cpu")["w"].device.type == "cpu"
    assert ember.load(path, map_location={"cpu": "cpu"})["w"].device.type == "cpu"
    # a file saved from a GPU, loaded on a machine without one
    from ember import _torch_save
    monkeypatch.setattr(_torch_save._TorchPickler, "persistent_id",
                        lambda self, obj: ("storage", _torch_save._ref("torch", obj.storage_name),
                                           obj.key, "cuda:0", obj.numel)
                        if isinstance(obj, _torch_save._StorageRef) else None)
    ember.save({"w": ember.ones(2)}, tmp_path / "gpu.pt")
    monkeypatch.undo()
    from ember.backend import is_cuda_available
    if not is_cuda_available():
        with pytest.raises(RuntimeError, match="map_location=ember.device\\('cpu'\\)"):
            ember.load(tmp_path / "gpu.pt")
    assert ember.load(tmp_path / "gpu.pt", map_location="cpu")["w"].tolist() == [1.0, 1.0]
    assert torch.load(tmp_path / "gpu.pt", map_location="cpu", weights_only=True)["w"].tolist() == [1, 1]


def test_legacy_and_corrupt_files(tmp_path):
    require_torch()
    path = tmp_path / "old.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    (tmp_path / "old_cut.pt").write_bytes(path.read_bytes()[:-3])
    with pytest.raises(SerializationError, match="old_cut.pt"):
        ember.load(tmp_path / "old_cut.pt")
    good = tmp_path / "good.pt"
    ember.save({"w": ember.ones(2)}, good)
    (tmp_path / "cut.pt").write_bytes(good.read_bytes()[:100])
    with pytest.raises(SerializationError, match="cut.pt"):
        ember.load(tmp_path / "cut.pt")
    with zipfile.ZipFile(tmp_path / "jit.pt", "w") as zf:
        zf.writestr("x/constants.pkl", b"")
    with pytest.raises(SerializationError, match="no data.pkl"):
        ember.load(tmp_path / "jit.pt")


def test_legacy_format_files_load(tmp_path):
    """torch.save(..., _use_new_zipfile_serialization=False): PyTorch < 1.6's format."""
    require_torch()
    net = _torch_net()
    net(torch.randn(3, 1, 4, 4))
    base = torch.arange(20.0).reshape(4, 5)
    obj = {"model": net.state_dict(), "view": base[1:, 2], "t": base.t(), "same": base,
           "p": torch.nn.Parameter(torch.ones(3)), "i": torch.tensor([7, 8]), "h": torch.ones(2).half(),
           "scalar": torch.tensor(1.5), "empty": torch.zeros(0, 2), "n": 3}
    path = tmp_path / "legacy.pth"
    torch.save(obj, path, _use_new_zipfile_serialization=False)
    ck = ember.load(path)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(_np(ck["model"][k]), v.numpy())
    for k in ("view", "t", "same", "i", "h", "scalar", "empty"):
        np.testing.assert_array_equal(_np(ck[k]), obj[k].numpy(), err_msg=k)
        assert tuple(ck[k].shape) == tuple(obj[k].shape)
    assert isinstance(ck["p"], ember.nn.Parameter) and ck["p"].tolist() == [1.0, 1.0, 1.0] and ck["n"] == 3
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    torch.save({"x": Evil()}, tmp_path / "evil_legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        ember.load(tmp_path / "evil_legacy.pt")
    assert not marker.exists()
