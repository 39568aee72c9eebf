"""GPU-era switches that must run unchanged on CPU: nn.parallel, backends, accelerator,
compile, determinism and print options."""
import numpy as np
import pytest

import ember
from tests.helpers import torch, require_torch


def test_data_parallel_matches_torch_state_dict_and_output():
    require_torch()
    torch.manual_seed(0)
    tm = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(),
                                                    torch.nn.Linear(3, 2)))
    em = ember.nn.DataParallel(ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(),
                                                   ember.nn.Linear(3, 2)))
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    assert list(sd) == list(em.state_dict())  # 'module.0.weight', ...
    em.load_state_dict(sd)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    assert isinstance(em.module, ember.nn.Sequential)
    out = ember.nn.parallel.data_parallel(em.module, ember.tensor(x))
    assert tuple(out.shape) == (5, 2)
    with pytest.raises(TypeError, match="nn.Module"):
        ember.nn.DataParallel(lambda x: x)


def test_backends_flags():
    import ember.backends.cudnn as cudnn
    cudnn.benchmark = True
    cudnn.deterministic = True
    assert ember.backends.cudnn.benchmark and ember.backends.cudnn.deterministic
    with cudnn.flags(enabled=False, deterministic=False):
        assert not cudnn.enabled and not cudnn.deterministic
    assert cudnn.enabled and cudnn.deterministic
    cudnn.benchmark = cudnn.deterministic = False
    assert ember.backends.mps.is_available() is False
    assert ember.backends.cudnn.is_available() is False
    ember.backends.cuda.matmul.allow_tf32 = True
    assert ember.backends.cuda.matmul.allow_tf32


def test_accelerator():
    from ember.backend import is_cuda_available
    assert ember.accelerator.is_available() == is_cuda_available()
    dev = ember.accelerator.current_accelerator()
    assert (dev is None) == (not is_cuda_available())
    device = ember.accelerator.current_accelerator() or "cpu"
    assert ember.ones(2).to(device).sum().item() == 2.0


def test_compile_returns_the_model():
    m = ember.nn.Linear(2, 2)
    assert ember.compile(m) is m

    @ember.compile
    def f(x):
        return x * 2

    @ember.compile(mode="max-autotune")
    def g(x):
        return x + 1
    assert f(3) == 6 and g(3) == 4


def test_deterministic_switch():
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled()
    ember.use_deterministic_algorithms(False)
    assert not ember.are_deterministic_algorithms_enabled()
    ember.set_float32_matmul_precision("high")
    assert ember.get_float32_matmul_precision() == "high"
    ember.set_float32_matmul_precision("highest")


def test_set_printoptions_like_torch():
    require_torch()
    vals = [1.23456, 2.0, -3.5]
    try:
        for kw in (dict(precision=2), dict(sci_mode=True), dict(profile="short")):
            ember.set_printoptions(**kw)
            torch.set_printoptions(**kw)
            assert repr(ember.tensor(vals)).replace("ember", "torch") == repr(torch.tensor(vals))
        ember.set_printoptions(threshold=5, edgeitems=2)
        assert "..." in repr(ember.arange(10))
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(ember.tensor([1.5])) == "tensor([1.5000])"


def test_special_names_at_top_level():
    x = ember.tensor([0.5, 3.0])
    assert np.allclose(ember.lgamma(x).numpy(), ember.special.gammaln(x).numpy())
    assert ember.digamma is ember.special.digamma and ember.mvlgamma is ember.special.multigammaln


def test_hub_reads_the_local_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert ember.hub.get_dir() == str(tmp_path / "hub")
    url = "https://download.pytorch.org/models/tiny-0123abcd.pth"
    with pytest.raises(FileNotFoundError, match=r"tiny-0123abcd\.pth not found.*fetch https://"):
        ember.hub.load_state_dict_from_url(url)
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    ember.save({"w": ember.ones(2)}, tmp_path / "hub" / "checkpoints" / "tiny-0123abcd.pth")
    assert ember.hub.load_state_dict_from_url(url)["w"].tolist() == [1.0, 1.0]
    ember.hub.set_dir(tmp_path / "elsewhere")
    try:
        assert ember.hub.get_dir() == str(tmp_path / "elsewhere")
    finally:
        ember.hub._DIR[0] = None
    with pytest.raises(NotImplementedError, match="GitHub"):
        ember.hub.load("pytorch/vision", "resnet18")
