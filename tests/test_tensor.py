import pickle

import numpy as np
import pytest

import ember
from tests.helpers import torch, require_torch


def test_creation_dtypes():
    assert ember.tensor([1.0, 2.0]).dtype == ember.float32
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor([True]).dtype == ember.bool
    assert ember.tensor(np.zeros(2)).dtype == ember.float64
    assert ember.zeros(2, 3).shape == (2, 3) and ember.zeros((2, 3)).dtype == ember.float32
    assert ember.ones(2, dtype=ember.int32).dtype == ember.int32
    assert ember.full((2,), 7).dtype == ember.int64
    assert ember.full((2,), 7.0).dtype == ember.float32
    assert ember.arange(5).dtype == ember.int64 and ember.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert ember.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert ember.eye(3).sum().item() == 3
    assert ember.zeros_like(ember.ones(2, dtype=ember.float64)).dtype == ember.float64
    assert ember.empty(0).shape == (0,)
    assert ember.tensor([[1, 2], [3, 4]]).shape == ember.Size([2, 2])
    assert repr(ember.Size([2, 3])) == "ember.Size([2, 3])"


def test_from_numpy_and_numpy_share_memory():
    a = np.zeros(3, dtype=np.float32)
    t = ember.from_numpy(a)
    t[0] = 5
    assert a[0] == 5
    t.numpy()[1] = 7
    assert t[1].item() == 7
    b = ember.as_tensor(a)
    assert b.numpy() is a
    c = ember.tensor(a)
    c[2] = 1
    assert a[2] == 0


def test_numpy_of_requires_grad_raises():
    with pytest.raises(RuntimeError, match="detach"):
        ember.ones(2, requires_grad=True).numpy()


def test_item_tolist_len_iter():
    t = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t[1, 0].item() == 3.0 and t.tolist() == [[1, 2], [3, 4]]
    assert len(t) == 2 and [r.tolist() for r in t] == [[1, 2], [3, 4]]
    with pytest.raises(RuntimeError, match="elements cannot be converted"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)
    assert float(ember.tensor(2.5)) == 2.5 and int(ember.tensor(3)) == 3


def test_conversions():
    t = ember.tensor([1.5, 2.5])
    assert t.double().dtype == ember.float64 and t.long().tolist() == [1, 2]
    assert t.to(ember.float64).dtype == ember.float64 and t.to("cpu") is t
    assert t.half().dtype == ember.float16 and t.int().dtype == ember.int32 and t.bool().dtype == ember.bool
    x = ember.ones(2, requires_grad=True)
    x.double().sum().backward()
    assert x.grad.dtype == ember.float32


def test_device():
    t = ember.ones(2)
    assert t.device == ember.device("cpu") and str(t.device) == "cpu"
    assert not ember.cuda.is_available()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        t.cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        t.to("cuda")
    assert ember.zeros(2, device="cpu").device.type == "cpu"


def test_repr_like_torch():
    require_torch()
    cases = [[[1.0, 2.0], [3.0, 4.0]], [1.5, -2.25], [1, 2, 3], [True, False], 3.0]
    for c in cases:
        assert repr(ember.tensor(c)) == repr(torch.tensor(c)).replace("torch.", "ember."), c
    assert repr(ember.tensor([1.0], dtype=ember.float64)) == "tensor([1.], dtype=ember.float64)"
    assert "requires_grad=True" in repr(ember.ones(2, requires_grad=True))
    assert "grad_fn=<MulBackward0>" in repr(ember.ones(2, requires_grad=True) * 2)


def test_pickle_roundtrip():
    t = ember.randn(3, 4, requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert u.requires_grad and np.array_equal(u.detach().numpy(), t.detach().numpy())
    assert pickle.loads(pickle.dumps(ember.float64)) is ember.float64


def test_set_num_threads():
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(2)
    with pytest.raises(ValueError):
        ember.set_num_threads(0)


def test_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype == ember.float64 and ember.randn(2).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


def test_import_ember_as_torch_snippet():
    import ember as torch_like
    x = torch_like.randn(8, 3)
    w = torch_like.zeros(3, 1, requires_grad=True)
    for _ in range(3):
        loss = ((x @ w - 1) ** 2).mean()
        loss.backward()
        with torch_like.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    assert loss.item() < 1.5


def test_keep_freed_memory_toggle():
    import sys
    from ember.backend import keep_freed_memory
    if sys.platform.startswith("linux"):
        assert keep_freed_memory(True) in (True, False)  # False on a non-glibc libc
    assert keep_freed_memory(True) == keep_freed_memory(True)


# -- everyday creation call forms ------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.randint(10, (2, 3)), lambda m: m.randint(10, size=(4,)), lambda m: m.randint(3, 10, (5,)),
    lambda m: m.randint(3, 10, size=(2, 2)), lambda m: m.randint(low=-2, high=5, size=(3,)),
    lambda m: m.randint(high=7, size=(3,)), lambda m: m.randint(0, 5, (3,), dtype=m.int32),
], ids=["high_size", "high_size_kw", "low_high_size", "low_high_size_kw", "all_kw", "high_kw", "dtype"])
def test_randint_call_forms_match_torch(call):
    torch = require_torch()
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = call(ember), call(torch)
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
    assert e.tolist() == t.tolist()


def test_randint_missing_arguments_raise_type_error():
    with pytest.raises(TypeError, match="randint"):
        ember.randint(10)
    with pytest.raises(TypeError, match="randint"):
        ember.randint(0, 10, 5)


def test_set_default_device_applies_to_creation_functions():
    assert ember.get_default_device() == ember.device("cpu")
    try:
        ember.set_default_device("cpu")
        assert ember.get_default_device().type == "cpu"
        for t in (ember.zeros(2), ember.tensor([1.0]), ember.randn(2), ember.arange(3), ember.empty(1)):
            assert t.device.type == "cpu"
    finally:
        ember.set_default_device(None)
    assert ember.get_default_device() == ember.device("cpu")


def test_set_default_device_moves_new_tensors_to_cuda_when_available():
    if not ember.cuda.is_available():
        pytest.skip("needs a CUDA device (cupy)")
    try:
        ember.set_default_device("cuda")
        assert ember.zeros(2).device.type == "cuda" and ember.tensor([1, 2]).is_cuda
        assert ember.zeros(2, device="cpu").device.type == "cpu"  # an explicit device wins
    finally:
        ember.set_default_device(None)


@pytest.mark.parametrize("call", [
    lambda m, o: m.arange(5, out=o), lambda m, o: m.zeros(2, 3, out=o), lambda m, o: m.ones(4, out=o),
    lambda m, o: m.full((2,), 7, out=o), lambda m, o: m.linspace(0, 1, 5, out=o), lambda m, o: m.eye(3, out=o),
], ids=["arange", "zeros", "ones", "full", "linspace", "eye"])
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_creation_out_uses_out_dtype_like_torch(call, dtype):
    torch = require_torch()
    t_out, e_out = torch.empty(0, dtype=getattr(torch, dtype)), ember.empty(0, dtype=getattr(ember, dtype))
    t, e = call(torch, t_out), call(ember, e_out)
    assert e is e_out and e.dtype == getattr(ember, dtype) and e.tolist() == t.tolist()


def test_creation_out_with_other_dtype_raises():
    with pytest.raises(RuntimeError, match="zeros.*dtype Double does not match dtype of out parameter"):
        ember.zeros(2, dtype=ember.float64, out=ember.empty(0))
    t = ember.empty(3)
    assert ember.randn(3, out=t) is t
