"""Tests of ember.vision.transforms (functional + classes).

torchvision is not available: deterministic ops are compared with torch ops that
define the same semantics (interpolate, grid_sample, flip, pad), and with exact
expected values and invariants otherwise.
"""
import colorsys
import math

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from tests.helpers import require_torch


def rand_u8(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def rand_f(*shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def Ten(a):
    return ember.Tensor._wrap(np.asarray(a))


# ----------------------------------------------------------------------- to tensor
def test_to_tensor_layouts_and_scaling():
    a = rand_u8(5, 7, 3)
    t = T.ToTensor()(a)
    assert isinstance(t, ember.Tensor) and t.shape == (3, 5, 7) and t.dtype == ember.float32
    np.testing.assert_array_equal(t.numpy(), a.transpose(2, 0, 1).astype(np.float32) / 255)
    g = T.ToTensor()(rand_u8(4, 6))
    assert g.shape == (1, 4, 6)
    f = T.ToTensor()(np.ones((2, 2, 1), np.float64) * 3)
    assert f.dtype == ember.float64 and f.numpy().max() == 3.0
    with pytest.raises(TypeError):
        T.ToTensor()("image")
    with pytest.raises(TypeError):
        T.ToTensor()(Ten(np.zeros((1, 2, 2), np.float32)))


def test_to_tensor_matches_torch_division():
    torch = require_torch()
    a = rand_u8(8, 9, 3, seed=3)
    ref = torch.from_numpy(a).permute(2, 0, 1).contiguous().float().div(255).numpy()
    np.testing.assert_array_equal(T.ToTensor()(a).numpy(), ref)


def test_pil_to_tensor():
    a = rand_u8(3, 4, 3)
    t = T.PILToTensor()(a)
    assert t.dtype == ember.uint8 and t.shape == (3, 3, 4)


def test_normalize():
    x = Ten(rand_f(3, 4, 5))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    out = T.Normalize(mean, std)(x)
    ref = (x.numpy() - np.float32(mean).reshape(3, 1, 1)) / np.float32(std).reshape(3, 1, 1)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    assert out.dtype == ember.float32
    batched = T.Normalize(mean, std)(Ten(np.stack([x.numpy()] * 2)))
    np.testing.assert_allclose(batched.numpy()[1], ref, rtol=1e-6)
    y = Ten(x.numpy().copy())
    assert T.Normalize(mean, std, inplace=True)(y) is y
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6)
    with pytest.raises(ValueError, match="std"):
        T.Normalize((0.0,), (0.0,))(Ten(rand_f(1, 2, 2)))
    with pytest.raises(TypeError):
        T.Normalize((0.0,), (1.0,))(Ten(rand_u8(1, 2, 2)))


def test_normalize_matches_torch():
    torch = require_torch()
    x = rand_f(3, 6, 6, seed=2)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    t = torch.from_numpy(x)
    ref = (t - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    np.testing.assert_array_equal(T.Normalize(mean, std)(Ten(x)).numpy(), ref.numpy())


# ---------------------------------------------------------------------------- flips
@pytest.mark.parametrize("img", [rand_u8(4, 5), rand_u8(4, 5, 3)])
def test_flips_numpy(img):
    np.testing.assert_array_equal(F.hflip(img), img[:, ::-1])
    np.testing.assert_array_equal(F.vflip(img), img[::-1])
    np.testing.assert_array_equal(F.hflip(F.hflip(img)), img)
    np.testing.assert_array_equal(F.vflip(F.vflip(img)), img)
    assert T.RandomHorizontalFlip(p=1.0)(img).flags.c_contiguous
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(img), img)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(img), img[::-1])


def test_flips_tensor_match_torch():
    torch = require_torch()
    x = rand_f(2, 3, 4, 5)
    np.testing.assert_array_equal(F.hflip(Ten(x)).numpy(), torch.flip(torch.from_numpy(x), [-1]).numpy())
    np.testing.assert_array_equal(F.vflip(Ten(x)).numpy(), torch.flip(torch.from_numpy(x), [-2]).numpy())


def test_random_flip_probability_and_seed():
    img = np.arange(6, dtype=np.uint8).reshape(2, 3)
    ember.manual_seed(0)
    flips = [T.RandomHorizontalFlip()(img)[0, 0] == 2 for _ in range(400)]
    assert 150 < sum(flips) < 250
    ember.manual_seed(0)
    again = [T.RandomHorizontalFlip()(img)[0, 0] == 2 for _ in range(400)]
    assert flips == again


# --------------------------------------------------------------------- crop and pad
def test_center_crop():
    img = np.arange(36, dtype=np.uint8).reshape(6, 6)
    np.testing.assert_array_equal(T.CenterCrop(2)(img), img[2:4, 2:4])
    np.testing.assert_array_equal(T.CenterCrop((3, 4))(img), img[2:5, 1:5])  # round(1.5)=2
    big = T.CenterCrop(8)(img)
    assert big.shape == (8, 8) and big[0].sum() == 0 and big[1:7, 1:7].tolist() == img.tolist()
    t = T.CenterCrop(4)(Ten(rand_f(3, 6, 6)))
    assert t.shape == (3, 4, 4)


def test_crop_outside_is_zero():
    img = rand_u8(4, 4, 3) | 1
    out = F.crop(img, -1, 2, 3, 3)
    assert out.shape == (3, 3, 3)
    assert (out[0] == 0).all() and (out[:, 2] == 0).all()
    np.testing.assert_array_equal(out[1:, :2], img[:2, 2:4])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_matches_numpy(mode):
    img = rand_u8(5, 6, 3)
    out = F.pad(img, [1, 2, 3, 4], fill=0, padding_mode=mode)
    ref = np.pad(img, [(2, 4), (1, 3), (0, 0)], mode=mode)
    np.testing.assert_array_equal(out, ref)
    out = T.Pad(2, padding_mode=mode)(Ten(rand_f(3, 5, 6)))
    assert out.shape == (3, 9, 10)


def test_pad_fill_and_torch():
    torch = require_torch()
    img = rand_u8(3, 3, 3)
    out = F.pad(img, 1, fill=(10, 20, 30))
    assert out[0, 0].tolist() == [10, 20, 30] and out.shape == (5, 5, 3)
    x = rand_f(2, 3, 5, 6)
    for ours, theirs in (("reflect", "reflect"), ("edge", "replicate")):
        ref = torch.nn.functional.pad(torch.from_numpy(x), (1, 2, 2, 1), mode=theirs)
        np.testing.assert_array_equal(F.pad(Ten(x), [1, 2, 2, 1], padding_mode=ours).numpy(),
                                      ref.numpy())
    np.testing.assert_array_equal(F.pad(img, -1), img[1:2, 1:2])


def _windows(padded, h, w):
    H, W = padded.shape[:2]
    return [padded[i:i + h, j:j + w] for i in range(H - h + 1) for j in range(W - w + 1)]


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_random_crop_is_a_window_of_the_padded_image(mode):
    img = rand_u8(8, 8, 3, seed=4)
    padded = np.pad(img, [(4, 4), (4, 4), (0, 0)], mode=mode)
    t = T.RandomCrop(8, padding=4, padding_mode=mode)
    for _ in range(10):
        out = t(img)
        assert out.shape == (8, 8, 3) and out.flags.c_contiguous
        assert any(np.array_equal(out, w) for w in _windows(padded, 8, 8))


def test_random_crop_options():
    img = rand_u8(5, 7)
    assert T.RandomCrop((3, 4))(img).shape == (3, 4)
    assert T.RandomCrop(9, pad_if_needed=True)(img).shape == (9, 9)
    out = T.RandomCrop(5, padding=2, fill=7)(rand_u8(5, 5) | 8)
    assert out.shape == (5, 5)
    with pytest.raises(ValueError, match="larger than input"):
        T.RandomCrop(9)(img)
    x = Ten(rand_f(3, 10, 10))
    assert T.RandomCrop(6, padding=(1, 2))(x).shape == (3, 6, 6)
    ember.manual_seed(1)
    a = T.RandomCrop(4, padding=2)(img)
    ember.manual_seed(1)
    np.testing.assert_array_equal(T.RandomCrop(4, padding=2)(img), a)


# --------------------------------------------------------------------------- resize
@pytest.mark.parametrize("src,dst", [((8, 10), (4, 5)), ((5, 7), (11, 9)), ((9, 9), (4, 13)),
                                     ((16, 12), (5, 7))])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_bilinear_matches_interpolate(src, dst, antialias):
    torch = require_torch()
    x = rand_f(2, 3, *src, seed=5)
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=dst, mode="bilinear",
                                          align_corners=False, antialias=antialias)
    out = F.resize(Ten(x), list(dst), antialias=antialias)
    assert out.shape == (2, 3) + dst and out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("src,dst", [((8, 10), (4, 5)), ((5, 7), (11, 9)), ((7, 7), (3, 10))])
def test_resize_nearest_matches_interpolate(src, dst):
    torch = require_torch()
    x = rand_f(1, 2, *src, seed=6)
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=dst, mode="nearest")
    out = F.resize(Ten(x), list(dst), interpolation=T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=dst, mode="nearest-exact")
    out = F.resize(Ten(x), list(dst), interpolation="nearest-exact")
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_resize_uint8_and_sizes():
    torch = require_torch()
    img = rand_u8(12, 16, 3, seed=7)
    out = T.Resize((6, 8), antialias=False)(img)
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    ref = torch.nn.functional.interpolate(x, size=(6, 8), mode="bilinear", align_corners=False)
    ref = ref.round().clamp(0, 255)[0].permute(1, 2, 0).numpy()
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1
    assert T.Resize(6)(img).shape == (6, 8, 3)             # shorter edge
    assert T.Resize(6)(rand_u8(20, 10)).shape == (12, 6)
    assert T.Resize(6, max_size=7)(img).shape == (5, 7, 3)
    np.testing.assert_array_equal(T.Resize((12, 16))(img), img)
    const = np.full((9, 9), 77, np.uint8)
    np.testing.assert_array_equal(T.Resize(4)(const), np.full((4, 4), 77, np.uint8))


def test_random_resized_crop():
    img = rand_u8(20, 24, 3)
    out = T.RandomResizedCrop(8)(img)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    x = Ten(rand_f(3, 16, 16))
    assert T.RandomResizedCrop((5, 7))(x).shape == (3, 5, 7)
    full = T.RandomResizedCrop(8, scale=(1.0, 1.0), ratio=(1.0, 1.0))(x)
    np.testing.assert_allclose(full.numpy(), F.resize(x, [8, 8]).numpy(), rtol=1e-6)
    for _ in range(20):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and i + h <= 20 and 0 <= j and j + w <= 24 and h > 0 and w > 0


# ------------------------------------------------------------------ rotate / affine
@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
def test_rotate_90_is_rot90(interp):
    img = rand_u8(6, 6, 3)
    np.testing.assert_array_equal(F.rotate(img, 90, interp), np.rot90(img, 1, axes=(0, 1)))
    np.testing.assert_array_equal(F.rotate(img, -90, interp), np.rot90(img, -1, axes=(0, 1)))
    np.testing.assert_array_equal(F.rotate(img, 180, interp), img[::-1, ::-1])
    x = rand_f(2, 5, 5)
    np.testing.assert_allclose(F.rotate(Ten(x), 90, interp).numpy(),
                               np.rot90(x, 1, axes=(1, 2)), atol=1e-6)
    np.testing.assert_array_equal(F.rotate(img, 0, interp), img)


def _torch_reference(torch, x, theta_pix, interp, fill):
    """grid_sample with a theta given in centred pixel units; torchvision's fill rule."""
    n, c, h, w = x.shape
    s = np.diag([2.0 / w, 2.0 / h])
    m = s @ theta_pix[:, :2] @ np.linalg.inv(s)
    off = s @ theta_pix[:, 2]
    theta = torch.tensor(np.concatenate([m, off[:, None]], 1)[None], dtype=torch.float64)
    xt = torch.from_numpy(x).double()
    grid = torch.nn.functional.affine_grid(theta.expand(n, 2, 3), [n, c, h, w], align_corners=False)
    if fill is None:
        return torch.nn.functional.grid_sample(xt, grid, mode=interp, padding_mode="zeros",
                                               align_corners=False).numpy()
    xt = torch.cat([xt, torch.ones(n, 1, h, w, dtype=xt.dtype)], 1)
    out = torch.nn.functional.grid_sample(xt, grid, mode=interp, padding_mode="zeros",
                                          align_corners=False)
    img, mask = out[:, :-1], out[:, -1:]
    if interp == "nearest":
        return torch.where(mask < 0.5, torch.tensor(float(fill), dtype=xt.dtype), img).numpy()
    return (img * mask + (1 - mask) * fill).numpy()


@pytest.mark.parametrize("angle", [30.0, -47.5, 123.0])
@pytest.mark.parametrize("interp", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill", [None, 0.0, 0.5])
def test_rotate_matches_grid_sample(angle, interp, fill):
    torch = require_torch()
    x = rand_f(1, 2, 7, 9, seed=8).astype(np.float64)
    a = math.radians(angle)  # counter-clockwise on screen: output->input map below
    theta = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]])
    ref = _torch_reference(torch, x, theta, interp, fill)
    out = F.rotate(Ten(x), angle, interp, fill=fill).numpy()
    if interp == "nearest":  # a tie on a pixel boundary may round either way
        assert np.mean(np.abs(out - ref) > 1e-9) < 0.02
    else:
        np.testing.assert_allclose(out, ref, atol=1e-9)


@pytest.mark.parametrize("interp", ["bilinear", "nearest"])
def test_affine_matches_grid_sample(interp):
    torch = require_torch()
    x = rand_f(1, 3, 8, 10, seed=9).astype(np.float64)
    angle, (tx, ty), s = 25.0, (2, -1), 1.2
    a = math.radians(angle)  # clockwise on screen, scale, then translate
    r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    inv = r.T / s
    theta = np.concatenate([inv, (-inv @ np.array([tx, ty]))[:, None]], 1)
    ref = _torch_reference(torch, x, theta, interp, 0.0)
    out = F.affine(Ten(x), angle, [tx, ty], s, 0.0, interp, fill=0.0).numpy()
    if interp == "nearest":
        assert np.mean(np.abs(out - ref) > 1e-9) < 0.02
    else:
        np.testing.assert_allclose(out, ref, atol=1e-9)


def test_affine_translate_is_a_shift():
    img = rand_u8(6, 7, 3) | 1
    out = F.affine(img, 0.0, [2, 1], 1.0, 0.0)
    assert (out[:1] == 0).all() and (out[:, :2] == 0).all()
    np.testing.assert_array_equal(out[1:, 2:], img[:-1, :-2])


def test_rotate_expand_and_fill():
    img = np.full((4, 8), 200, np.uint8)
    out = F.rotate(img, 90, expand=True)
    assert out.shape == (8, 4) and (out == 200).all()
    out = F.rotate(img, 45, fill=9)
    assert out[0, 0] == 9 and out[2, 4] == 200
    out = T.RandomRotation((45, 45), fill=(1, 2, 3))(np.full((8, 8, 3), 50, np.uint8))
    assert out[0, 0].tolist() == [1, 2, 3]


def test_random_rotation_and_affine_classes():
    img = rand_u8(10, 10, 3)
    assert T.RandomRotation(30)(img).shape == img.shape
    assert T.RandomRotation(30, T.InterpolationMode.BILINEAR)(Ten(rand_f(3, 10, 10))).shape == (3, 10, 10)
    ember.manual_seed(2)
    a = T.RandomAffine(10, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=5)(img)
    ember.manual_seed(2)
    b = T.RandomAffine(10, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=5)(img)
    np.testing.assert_array_equal(a, b)
    ang, (tx, ty), s, sh = T.RandomAffine.get_params([-5, 5], (0.1, 0.2), None, None, [10, 20])
    assert abs(tx) <= 1 and abs(ty) <= 4 and s == 1.0 and sh == (0.0, 0.0)
    only_shift = T.RandomAffine(0, translate=(0.3, 0.3))(img | 1)
    assert only_shift.shape == img.shape
    with pytest.raises(ValueError):
        T.RandomRotation(-3)
    with pytest.raises(ValueError):
        T.RandomAffine(0, translate=(2, 0))


# ------------------------------------------------------------------------- colour
def _gray(x):
    return 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]


def test_brightness_contrast_saturation_float():
    x = rand_f(3, 5, 6, seed=10)
    t = Ten(x)
    np.testing.assert_allclose(F.adjust_brightness(t, 1.7).numpy(), np.clip(1.7 * x, 0, 1), rtol=1e-6)
    mean = _gray(x).mean()
    np.testing.assert_allclose(F.adjust_contrast(t, 0.3).numpy(),
                               np.clip(0.3 * x + 0.7 * mean, 0, 1), rtol=1e-5)
    g = _gray(x)[None]
    np.testing.assert_allclose(F.adjust_saturation(t, 1.5).numpy(),
                               np.clip(1.5 * x - 0.5 * g, 0, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(t, 0.0).numpy(), np.repeat(g, 3, 0), rtol=1e-5)
    np.testing.assert_allclose(F.adjust_brightness(t, 1.0).numpy(), x)


def test_color_uint8_truncates_like_torchvision():
    img = np.array([[[100, 150, 250]]], np.uint8)  # 1x1 RGB
    out = F.adjust_brightness(img, 1.1)
    assert out.tolist() == [[[110, 165, 255]]]
    gray = int(np.float32(0.2989) * 100 + np.float32(0.587) * 150 + np.float32(0.114) * 250)
    assert F.rgb_to_grayscale(img).tolist() == [[gray]]
    out = F.adjust_contrast(img, 0.5)
    exp = np.clip(0.5 * np.float32([100, 150, 250]) + 0.5 * gray, 0, 255).astype(np.uint8)
    assert out[0, 0].tolist() == exp.tolist()


def test_adjust_hue_matches_colorsys():
    x = rand_f(3, 4, 4, seed=11).astype(np.float64)
    out = F.adjust_hue(Ten(x), 0.2).numpy()
    for i in range(4):
        for j in range(4):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            ref = colorsys.hsv_to_rgb((h + 0.2) % 1.0, s, v)
            np.testing.assert_allclose(out[:, i, j], ref, atol=1e-9)
    np.testing.assert_allclose(F.adjust_hue(Ten(x), 0.0).numpy(), x, atol=1e-12)
    u8 = rand_u8(4, 4, 3)
    assert F.adjust_hue(u8, -0.3).dtype == np.uint8
    assert np.abs(F.adjust_hue(u8, 0.0).astype(int) - u8).max() <= 1
    with pytest.raises(ValueError):
        F.adjust_hue(u8, 0.7)


def test_color_jitter_ranges_and_order():
    cj = T.ColorJitter(brightness=0.5, contrast=0.2, saturation=(0.5, 0.6), hue=0.1)
    assert cj.brightness == (0.5, 1.5) and cj.contrast == (0.8, 1.2)
    assert cj.saturation == (0.5, 0.6) and cj.hue == (-0.1, 0.1)
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)   # max(0, 1 - b)
    assert T.ColorJitter().brightness is None and T.ColorJitter().hue is None
    ember.manual_seed(0)
    for _ in range(20):
        order, b, c, s, h = cj.get_params(cj.brightness, cj.contrast, cj.saturation, cj.hue)
        assert sorted(order) == [0, 1, 2, 3]
        assert 0.5 <= b <= 1.5 and 0.8 <= c <= 1.2 and 0.5 <= s <= 0.6 and -0.1 <= h <= 0.1
    x = Ten(np.full((3, 4, 4), 0.4, np.float32))
    for _ in range(10):
        y = T.ColorJitter(brightness=0.5)(x).numpy()
        assert 0.2 - 1e-6 <= y[0, 0, 0] <= 0.6 + 1e-6 and np.ptp(y) < 1e-6
    assert T.ColorJitter(0.4, 0.4, 0.4, 0.1)(rand_u8(6, 6, 3)).dtype == np.uint8
    assert T.ColorJitter(0.4, 0.4, 0.4, 0.1)(rand_u8(6, 6)).shape == (6, 6)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.6)
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)


def test_grayscale():
    img = rand_u8(4, 5, 3)
    g = T.Grayscale()(img)
    assert g.shape == (4, 5) and g.dtype == np.uint8
    ref = (np.float32(0.2989) * img[..., 0] + np.float32(0.587) * img[..., 1]
           + np.float32(0.114) * img[..., 2]).astype(np.uint8)
    assert np.abs(g.astype(int) - ref).max() <= 1
    assert T.Grayscale(3)(img).shape == (4, 5, 3)
    assert T.Grayscale()(Ten(rand_f(3, 4, 5))).shape == (1, 4, 5)
    assert T.RandomGrayscale(p=1.0)(img).shape == (4, 5, 3)


# -------------------------------------------------------------------- erase, misc
def test_random_erasing():
    x = Ten(np.ones((3, 10, 10), np.float32))
    out = T.RandomErasing(p=1.0, value=0)(x).numpy()
    zeros = out[0] == 0
    assert zeros.any() and not zeros.all() and (out[0] == out[1]).all()
    rows, cols = np.nonzero(zeros)
    assert zeros[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # one box
    assert x.numpy().min() == 1.0  # not in place
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(x).numpy(), x.numpy())
    r = T.RandomErasing(p=1.0, value="random")(x).numpy()
    assert (r != 1.0).any()
    y = Ten(np.ones((3, 10, 10), np.float32))
    assert T.RandomErasing(p=1.0, inplace=True)(y) is y and y.numpy().min() == 0
    out = T.RandomErasing(p=1.0, value=(1, 2, 3))(np.full((10, 10, 3), 9, np.uint8))
    assert out.dtype == np.uint8 and ((out == 9).all(-1) | (out == [1, 2, 3]).all(-1)).all()
    with pytest.raises(ValueError):
        T.RandomErasing(value="x")


def test_compose_lambda_and_errors():
    t = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.Normalize((0.5,), (0.5,))])
    out = t(np.full((2, 2), 255, np.uint8))
    np.testing.assert_allclose(out.numpy(), 3.0)
    assert "Compose" in repr(t)
    with pytest.raises(TypeError):
        T.Lambda(3)
    with pytest.raises(TypeError, match="NumPy array"):
        T.RandomCrop(2)("not an image")
    with pytest.raises(ValueError, match="shape"):
        F.hflip(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValueError):
        T.Resize(4, interpolation="cubic-ish")


def test_random_apply():
    img = rand_u8(3, 3)
    np.testing.assert_array_equal(T.RandomApply([T.RandomHorizontalFlip(1.0)], p=1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(T.RandomApply([T.RandomHorizontalFlip(1.0)], p=0.0)(img), img)
