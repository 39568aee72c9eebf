"""F.embedding_bag / nn.EmbeddingBag against PyTorch: every mode, 2-D and offset inputs,
include_last_offset, padding_idx, per_sample_weights, empty bags; values and gradients."""
import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch

IDX = np.array([1, 2, 4, 5, 4, 3, 2, 9])
CASES = [dict(input=np.random.default_rng(0).integers(0, 10, (4, 5)), mode=m) for m in ("sum", "mean", "max")]
CASES += [dict(input=IDX, offsets=np.array([0, 4, 4]), mode=m) for m in ("sum", "mean", "max")]  # an empty bag
CASES += [dict(input=IDX, offsets=np.array([0, 3, 8]), mode=m, include_last_offset=True, padding_idx=4)
          for m in ("sum", "mean", "max")]
CASES += [dict(input=IDX, offsets=np.array([0, 3]), mode="sum",
               per_sample_weights=np.random.default_rng(1).standard_normal(8))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_embedding_bag_parity(case, dtype):
    require_torch()
    c = CASES[case]
    npdt = np.float64 if dtype == "float64" else np.float32
    W = np.random.default_rng(2).standard_normal((10, 3)).astype(npdt)
    res = []
    for lib in (torch, ember):
        w = lib.tensor(W, requires_grad=True)
        kw = {k: (lib.tensor(v.astype(npdt) if v.dtype.kind == "f" else v)
                  if isinstance(v, np.ndarray) else v)
              for k, v in c.items() if k != "input"}
        out = lib.nn.functional.embedding_bag(lib.tensor(c["input"]), w, **kw)
        g = np.random.default_rng(3).standard_normal(tuple(out.shape)).astype(npdt)
        (out * lib.tensor(g)).sum().backward()
        res.append((out.detach().numpy(), w.grad.numpy()))
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[1][0], res[0][0], **tol)
    np.testing.assert_allclose(res[1][1], res[0][1], **tol)


def test_embedding_bag_module():
    require_torch()
    torch.manual_seed(0)
    ember.manual_seed(0)
    t = torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    e = ember.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())  # same draws
    assert repr(e) == repr(t)
    x, off = IDX, np.array([0, 4])
    np.testing.assert_allclose(e(ember.tensor(x), ember.tensor(off)).detach().numpy(),
                               t(torch.tensor(x), torch.tensor(off)).detach().numpy(), rtol=1e-6)
    assert ember.nn.modules.sparse.EmbeddingBag is ember.nn.EmbeddingBag
    pre = ember.nn.EmbeddingBag.from_pretrained(ember.ones(4, 2), mode="max")
    assert not pre.weight.requires_grad
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        e.mode = "mean"
        e(ember.tensor(x), ember.tensor(off), per_sample_weights=ember.ones(8))
    with pytest.raises(ValueError, match="offsets has to be None"):
        ember.nn.functional.embedding_bag(ember.tensor([[1, 2]]), e.weight, ember.tensor([0]))
