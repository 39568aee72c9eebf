"""ember.save / ember.load: round trips, interop with safetensors, integrity errors,
atomic writes."""
import collections
import io
import math
import os
import pathlib

import numpy as np
import pytest

import ember
from ember.serialization import SerializationError

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
          np.uint8, np.bool_]


def roundtrip(obj, tmp_path, name="x.safetensors"):
    path = tmp_path / name
    ember.save(obj, path)
    return ember.load(path)


def same(a, b):
    assert isinstance(b, ember.Tensor)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_round_trip(tmp_path, dtype):
    arr = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    t = ember.from_numpy(arr)
    same(t, roundtrip(t, tmp_path))


def test_shapes_scalar_empty_noncontiguous(tmp_path):
    objs = {"scalar": ember.tensor(3.5), "empty": ember.zeros(0, 3),
            "t": ember.arange(6.0).reshape(2, 3).t(), "big": ember.randn(5, 4, 3)}
    out = roundtrip(objs, tmp_path)
    for k, v in objs.items():
        same(v, out[k])
    assert out["t"].numpy().flags.c_contiguous


def test_nested_structure(tmp_path):
    obj = {"a": [1, -2, 2 ** 70, 2.5, None, True, False, "text ü"],
           "b": (ember.ones(2), {"deep": [ember.zeros(1), (1, 2)]}),
           3: "int key", (1, "x"): "tuple key", None: 0.0,
           "floats": [math.inf, -math.inf, 1e-300, -0.0],
           "od": collections.OrderedDict([("z", 1), ("a", 2)]),
           "np": np.arange(4, dtype=np.int32), "dtype": ember.float64,
           "bytes": b"\x00\xff", "complex": 1 + 2j, "empty": {}, "emptyl": []}
    out = roundtrip(obj, tmp_path)
    assert out["a"] == obj["a"] and type(out["a"]) is list
    assert isinstance(out["b"], tuple)
    same(obj["b"][0], out["b"][0])
    same(obj["b"][1]["deep"][0], out["b"][1]["deep"][0])
    assert out["b"][1]["deep"][1] == (1, 2)
    assert out[3] == "int key" and out[(1, "x")] == "tuple key" and out[None] == 0.0
    assert out["floats"][:3] == [math.inf, -math.inf, 1e-300]
    assert math.copysign(1, out["floats"][3]) == -1
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["z", "a"]
    assert isinstance(out["np"], np.ndarray) and out["np"].dtype == np.int32
    assert out["dtype"] is ember.float64
    assert out["bytes"] == b"\x00\xff" and out["complex"] == 1 + 2j
    assert out["empty"] == {} and out["emptyl"] == []
    nan = roundtrip({"n": math.nan}, tmp_path, "nan.safetensors")
    assert math.isnan(nan["n"])


def test_module_and_optimizer_state(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4),
                                ember.nn.Linear(4, 2))
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    sched = ember.optim.lr_scheduler.StepLR(opt, 2)
    for _ in range(2):
        opt.zero_grad()
        model(ember.randn(5, 3)).pow(2).mean().backward()
        opt.step()
        sched.step()
    out = roundtrip({"model": model.state_dict(), "opt": opt.state_dict(),
                     "sched": sched.state_dict()}, tmp_path)
    assert type(out["model"]) is type(model.state_dict())
    for k, v in model.state_dict().items():
        same(v, out["model"][k])
    assert list(out["opt"]["state"]) == [0, 1, 2, 3, 4, 5]
    assert out["opt"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert out["sched"] == sched.state_dict()
    # the loaded states drive a fresh copy to exactly the same next step
    model2 = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4),
                                 ember.nn.Linear(4, 2))
    opt2 = ember.optim.Adam(model2.parameters(), lr=0.01)
    model2.load_state_dict(out["model"])
    opt2.load_state_dict(out["opt"])
    x = ember.randn(5, 3)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).pow(2).mean().backward()
        o.step()
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_parameters_requires_grad_and_sharing(tmp_path):
    p = ember.nn.Parameter(ember.randn(2, 2))
    t = ember.randn(3).requires_grad_()
    out = roundtrip({"p": p, "t": t, "again": t, "plain": ember.ones(1)}, tmp_path)
    assert isinstance(out["p"], ember.nn.Parameter) and out["p"].requires_grad
    assert out["t"].requires_grad and not isinstance(out["t"], ember.nn.Parameter)
    assert out["again"] is out["t"]  # one tensor saved twice loads as one tensor
    assert not out["plain"].requires_grad


def test_file_objects_and_pathlike(tmp_path):
    buf = io.BytesIO()
    ember.save({"w": ember.arange(3)}, buf)
    buf.seek(0)
    same(ember.arange(3), ember.load(buf)["w"])
    p = pathlib.Path(tmp_path) / "p.safetensors"
    ember.save([ember.ones(2)], p)
    with open(p, "rb") as f:
        same(ember.ones(2), ember.load(f)[0])
    same(ember.ones(2), ember.load(str(p), map_location="cpu")[0])
    seen = []
    ember.load(p, map_location=lambda t, loc: seen.append(loc))
    assert seen == ["cpu"]


def test_safetensors_interop(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    sd = collections.OrderedDict(weight=ember.randn(2, 3), bias=ember.zeros(2))
    ember.save({"model": sd}, tmp_path / "e.safetensors")
    raw = st.load_file(str(tmp_path / "e.safetensors"))
    assert sorted(raw) == ["model.bias", "model.weight"]
    np.testing.assert_array_equal(raw["model.weight"], sd["weight"].numpy())
    st.save_file({"a": np.arange(4, dtype=np.float32)}, str(tmp_path / "plain.safetensors"))
    out = ember.load(tmp_path / "plain.safetensors")
    assert list(out) == ["a"]
    same(ember.arange(4.0), out["a"])


def test_checksum_mismatch_names_file(tmp_path):
    path = tmp_path / "c.safetensors"
    ember.save({"w": ember.ones(64)}, path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01  # flip one bit of the tensor data
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match=r"c\.safetensors.*checksum mismatch"):
        ember.load(path)


def test_metadata_tampering_detected(tmp_path):
    path = tmp_path / "m.safetensors"
    ember.save({"epoch": 41, "w": ember.ones(2)}, path)
    data = path.read_bytes().replace(b"41", b"42", 1)
    path.write_bytes(data)
    with pytest.raises(SerializationError, match="checksum"):
        ember.load(path)


@pytest.mark.parametrize("keep", [0, 5, 8, 20, -1, -9])
def test_truncated_file(tmp_path, keep):
    path = tmp_path / "t.safetensors"
    ember.save({"w": ember.randn(10), "v": ember.randn(3)}, path)
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:len(data) + keep])
    with pytest.raises(SerializationError, match=r"t\.safetensors") as e:
        ember.load(path)
    assert "truncated" in str(e.value) or "not a safetensors" in str(e.value)


def test_not_our_format(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)  # a zip (torch.save) file
    with pytest.raises(SerializationError, match="junk.pt"):
        ember.load(path)
    with pytest.raises(FileNotFoundError, match="nope"):
        ember.load(tmp_path / "nope.safetensors")


def test_unsupported_objects(tmp_path):
    with pytest.raises(TypeError, match=r"Linear at obj\['m'\].*state_dict"):
        ember.save({"m": ember.nn.Linear(1, 1)}, tmp_path / "x.safetensors")
    cyc = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="cyclic"):
        ember.save(cyc, tmp_path / "y.safetensors")
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.safetensors"
    ember.save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        ember.save({"v": object()}, path)
    assert path.read_bytes() == before

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"v": 2}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["a.safetensors"]  # no temp file left
    assert ember.load(path) == {"v": 1}


def test_never_unpickles(tmp_path):
    import pickle
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(SerializationError):
        ember.load(path, weights_only=False)
