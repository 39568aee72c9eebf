"""make_grid / save_image against torchvision's algorithm written in torch ops.

torchvision itself is not a test dependency (a multi-GB install); the reference below
follows its documented steps on torch tensors, so the float32 arithmetic is PyTorch's."""
import math

import numpy as np
import pytest

import ember
from ember.vision.utils import make_grid, save_image
from tests.helpers import torch, require_torch

PIL = pytest.importorskip("PIL.Image")


def _ref_make_grid(t, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
                   pad_value=0.0):
    if isinstance(t, list):
        t = torch.stack(t)
    if t.dim() == 2:
        t = t.unsqueeze(0)
    if t.dim() == 3:
        if t.size(0) == 1:
            t = torch.cat((t, t, t), 0)
        t = t.unsqueeze(0)
    if t.dim() == 4 and t.size(1) == 1:
        t = torch.cat((t, t, t), 1)
    if normalize:
        t = t.clone()

        def norm(img, rng):
            lo, hi = rng if rng is not None else (float(img.min()), float(img.max()))
            img.clamp_(min=lo, max=hi)
            img.sub_(lo).div_(max(hi - lo, 1e-5))
        if scale_each:
            for img in t:
                norm(img, value_range)
        else:
            norm(t, value_range)
    if t.size(0) == 1:
        return t.squeeze(0)
    n = t.size(0)
    xm = min(nrow, n)
    ym = int(math.ceil(n / xm))
    h, w = t.size(2) + padding, t.size(3) + padding
    grid = t.new_full((t.size(1), h * ym + padding, w * xm + padding), pad_value)
    k = 0
    for y in range(ym):
        for x in range(xm):
            if k >= n:
                break
            grid.narrow(1, y * h + padding, h - padding).narrow(2, x * w + padding, w - padding).copy_(t[k])
            k += 1
    return grid


def _ref_pixels(t, **kw):
    g = _ref_make_grid(t, **kw)
    return g.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()


CASES = [((5, 3, 4, 6), {}), ((10, 1, 5, 5), dict(nrow=4, padding=1, pad_value=0.5)),
         ((3, 3, 4, 4), dict(normalize=True)), ((4, 3, 4, 4), dict(normalize=True, scale_each=True)),
         ((4, 3, 4, 4), dict(normalize=True, value_range=(-1.0, 1.0))), ((1, 1, 5, 7), {}),
         ((3, 6, 5), {}), ((6, 5), {}), ((2, 3, 4, 4), dict(padding=0))]


@pytest.mark.parametrize("shape,kw", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_make_grid_and_save_image_match_torchvision(shape, kw, tmp_path):
    require_torch()
    x = np.random.default_rng(0).uniform(-0.3, 1.3, shape).astype(np.float32)
    grid = make_grid(ember.tensor(x), **kw)
    ref = _ref_make_grid(torch.tensor(x), **kw)
    assert tuple(grid.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(grid.numpy(), ref.numpy())
    save_image(ember.tensor(x), tmp_path / "g.png", **kw)
    png = np.asarray(PIL.open(tmp_path / "g.png"))
    np.testing.assert_array_equal(png, _ref_pixels(torch.tensor(x), **kw))


def test_list_input_file_object_and_errors(tmp_path):
    require_torch()
    imgs = [ember.rand(3, 4, 4) for _ in range(3)]
    g = make_grid(imgs, nrow=2)
    np.testing.assert_array_equal(g.numpy(), _ref_make_grid([torch.tensor(i.numpy()) for i in imgs],
                                                            nrow=2).numpy())
    with open(tmp_path / "f.jpg", "wb") as f:
        save_image(imgs[0], f, format="PNG")
    assert PIL.open(tmp_path / "f.jpg").format == "PNG"
    with pytest.raises(TypeError, match="value_range"):
        make_grid(ember.rand(2, 3, 4, 4), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="ember.Tensor"):
        make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="shape"):
        make_grid(ember.rand(1, 2, 3, 4, 4))


def _refs():
    import importlib.util
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("vision_model_refs",
                                                  os.path.join(root, "scripts", "vision_model_refs.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


REFS = _refs()


@pytest.mark.parametrize("name,shape,kw", REFS.SAVE_IMAGE_CASES, ids=[c[0] for c in REFS.SAVE_IMAGE_CASES])
def test_save_image_equals_torchvision_png(name, shape, kw, tmp_path):
    """PNGs written by torchvision's own save_image (scripts/vision_model_refs.py)."""
    import os
    ref = np.asarray(PIL.open(os.path.join(REFS.PNG, f"save_image_{name}.png")))
    save_image(ember.tensor(REFS.seeded_image(shape)), tmp_path / "mine.png", **kw)
    np.testing.assert_array_equal(np.asarray(PIL.open(tmp_path / "mine.png")), ref)
