"""Conv layers (ember/nn/modules/conv.py): torch's state_dict loads, outputs and all
gradients match; parameter names/shapes, default init statistics, repr, errors."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.helpers import torch, require_torch

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

CASES = [
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 6, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), dilation=(1, 2), groups=2, bias=False),
     (2, 4, 7, 6)),
    ("Conv2d", (2, 3, 4), dict(padding="same"), (1, 2, 5, 5)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=(1, 2), padding_mode="replicate"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="circular"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 1), dict(), (2, 2, 4, 4)),
    ("Conv3d", (2, 3, 3), dict(padding=1, stride=2), (1, 2, 5, 4, 5)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5)),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 4)),
    ("ConvTranspose2d", (3, 2, (2, 3)), dict(dilation=2, bias=False), (1, 3, 3, 4)),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2), (1, 2, 3, 3, 3)),
]


def _ids():
    return [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("case", CASES, ids=_ids())
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_module_matches_torch(case, dtype):
    require_torch()
    name, args, kw, shape = case
    tm = getattr(torch.nn, name)(*args, **kw)
    em = getattr(nn, name)(*args, **kw)
    tm = tm.double() if dtype == "float64" else tm
    em = em.double() if dtype == "float64" else em
    assert [(n, tuple(p.shape)) for n, p in em.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    em.load_state_dict(tm.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    ex = ember.from_numpy(x.copy()).requires_grad_()
    tx = torch.from_numpy(x.copy()).requires_grad_()
    ey, ty = em(ex), tm(tx)
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    assert ey.dtype == getattr(ember, dtype)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **tol)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ey.backward(ember.from_numpy(g.copy()))
    ty.backward(torch.from_numpy(g.copy()))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), **tol)
    for (n, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), err_msg=n, **tol)
    for mode in ("eval",):   # no mode-dependent behaviour: eval gives the same output
        getattr(em, mode)()
        np.testing.assert_allclose(em(ex).detach().numpy(), ey.detach().numpy())


def test_conv_transpose_output_size_argument():
    require_torch()
    tm = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    em = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    em.load_state_dict(tm.state_dict())
    x = np.random.default_rng(1).standard_normal((1, 3, 4, 4)).astype(np.float32)
    for size in ((7, 7), (8, 8), (1, 2, 8, 7)):
        ey = em(ember.from_numpy(x), output_size=size)
        ty = tm(torch.from_numpy(x), output_size=size)
        assert tuple(ey.shape) == tuple(ty.shape)
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="output size"):
        em(ember.from_numpy(x), output_size=(10, 10))


def test_default_init_distribution():
    ember.manual_seed(0)
    m = nn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    bound = 1 / math.sqrt(fan_in)        # kaiming_uniform_(a=sqrt(5)) == U(+-1/sqrt(fan_in))
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(b).max() <= bound
    mt = nn.ConvTranspose2d(16, 8, 3, groups=2)
    assert tuple(mt.weight.shape) == (16, 4, 3, 3)
    assert np.abs(mt.weight.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)


def test_conv_repr_matches_torch():
    require_torch()
    for name, args, kw, _ in CASES:
        assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


def test_conv_module_errors():
    with pytest.raises(ValueError, match="in_channels .* divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(3, 3, 3, groups=0)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(3, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 3, 3, padding_mode="reflect")
    m = nn.Conv2d(3, 16, 3)
    with pytest.raises(RuntimeError, match=r"expected input\[8, 4, 32, 32\] to have 3 channels"):
        m(ember.randn(8, 4, 32, 32))
    with pytest.raises(RuntimeError, match="4-D"):
        m(ember.randn(32, 32))
    with pytest.raises(RuntimeError, match="can't be greater than the padded input"):
        m(ember.randn(1, 3, 2, 2))


def test_conv_module_pickles():
    import pickle
    m = nn.Conv2d(2, 3, 3, padding=1)
    m2 = pickle.loads(pickle.dumps(m))
    x = ember.randn(1, 2, 4, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())
