"""ember.models: output shapes, parameter counts, and agreement with the PyTorch twins
built by the same layer functions."""
import numpy as np
import pytest

import ember
from ember import models
from tests.helpers import require_torch, torch


def nparams(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("cls, shape, count", [
    (lambda: models.MLP(), (3, 1, 28, 28), 784 * 1024 + 1024 + 1024 * 10 + 10),
    (lambda: models.MLP(784, (512, 256), 10, dropout=0.2), (3, 784),
     784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10),
    (lambda: models.MnistCNN(), (3, 1, 28, 28),
     (32 * 25 + 32) + (64 * 32 * 25 + 64) + (64 * 16 * 10 + 10)),
    (lambda: models.FashionCNN(), (3, 1, 28, 28),
     (32 * 25 + 32) + 2 * 32 + (64 * 32 * 25 + 64) + 2 * 64 + (3136 * 256 + 256) + 2570),
])
def test_shapes_and_counts(cls, shape, count):
    m = cls()
    assert tuple(m(ember.randn(*shape)).shape) == (3, 10)
    assert nparams(m) == count


def test_cifar10_cnn_is_the_lectures_network():
    m = models.Cifar10CNN()
    assert tuple(m(ember.randn(2, 3, 32, 32)).shape) == (2, 10)
    convs = [(name, mod) for name, mod in m.named_children() if name.startswith("conv")]
    assert [(c.kernel_size, c.padding, c.stride, c.out_channels) for _, c in convs] == [
        ((4, 4), (2, 2), (1, 1), 64)] * 5 + [((3, 3), (0, 0), (1, 1), 64)] * 3
    names = list(dict(m.named_children()))
    assert [n for n in names if n.startswith("bn")] == ["bn1", "bn3", "bn5", "bn7", "bn8"]
    assert [n for n in names if n.startswith("drop")] == ["drop1", "drop2", "drop3", "drop4"]
    assert all(m.get_submodule(n).p == 0.25 for n in names if n.startswith("drop"))
    assert (m.fc1.in_features, m.fc1.out_features, m.fc2.out_features,
            m.fc3.out_features) == (1024, 500, 500, 10)
    # every conv (after its BN) and FC1/FC2 is followed by a ReLU
    for i, n in enumerate(names):
        if n.startswith("conv"):
            nxt = names[i + 1]
            nxt = names[i + 2] if nxt.startswith("bn") else nxt
            assert nxt.startswith("relu"), n
    assert names[names.index("fc1") + 1].startswith("relu")
    assert names[names.index("fc2") + 1].startswith("relu")
    assert nparams(m) == 1144970


@pytest.mark.parametrize("name, shape", [("mlp_layers", (2, 1, 28, 28)),
                                         ("mnist_cnn_layers", (2, 1, 28, 28)),
                                         ("fashion_cnn_layers", (2, 1, 28, 28)),
                                         ("cifar10_cnn_layers", (2, 3, 32, 32))])
def test_same_as_torch_twin(name, shape):
    require_torch()
    fn = getattr(models, name)
    ours = ember.nn.Sequential(fn())
    theirs = torch.nn.Sequential(fn(nn=torch.nn))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with ember.no_grad():
        a = ours(ember.from_numpy(x)).numpy()
    with torch.no_grad():
        b = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
