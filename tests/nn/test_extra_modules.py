"""Pixel/channel shuffles, affine_grid, conv_tbc, Fold/Unfold modules, the less common losses,
CrossMapLRN2d and the Lazy modules, against torch."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import check_op, torch, require_torch

TF = torch.nn.functional if torch is not None else None
R = np.random.default_rng(0)


def test_pixel_and_channel_shuffle():
    check_op(lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), [(2, 8, 3, 3)])
    check_op(lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), [(4, 2, 3)])
    check_op(lambda x: F.pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2), [(2, 2, 4, 6)])
    check_op(lambda x: F.channel_shuffle(x, 3), lambda x: TF.channel_shuffle(x, 3), [(2, 6, 2, 2)],
             grad=False)
    check_op(lambda x: F.channel_shuffle(x, 2), None, [(2, 4, 3)])
    require_torch()
    x = R.standard_normal((1, 4, 2, 2)).astype(np.float32)
    for e, t in ((nn.PixelShuffle(2), torch.nn.PixelShuffle(2)), (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2)),
                 (nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2))):
        np.testing.assert_array_equal(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy())
        assert repr(e) == repr(t)
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ember.ones(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.channel_shuffle(ember.ones(1, 5, 2, 2), 2)


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(align):
    check_op(lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=align),
             lambda t: TF.affine_grid(t, (2, 3, 4, 5), align_corners=align), [(2, 2, 3)])
    check_op(lambda t: F.affine_grid(t, (1, 1, 2, 3, 4), align_corners=align),
             lambda t: TF.affine_grid(t, (1, 1, 2, 3, 4), align_corners=align), [(1, 3, 4)])
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(ember.ones(2, 3, 3), (2, 1, 4, 4))


def test_conv_tbc_fold_unfold_modules():
    check_op(lambda x, w, b: F.conv_tbc(x, w, b, 1), lambda x, w, b: torch.conv_tbc(x, w, b, 1),
             [(5, 2, 3), (3, 3, 4), (4,)])
    require_torch()
    x = R.standard_normal((1, 2, 4, 4)).astype(np.float32)
    u, tu = nn.Unfold(2, stride=2), torch.nn.Unfold(2, stride=2)
    cols = u(ember.tensor(x))
    np.testing.assert_array_equal(cols.numpy(), tu(torch.tensor(x)).numpy())
    f, tf = nn.Fold((4, 4), 2, stride=2), torch.nn.Fold((4, 4), 2, stride=2)
    np.testing.assert_array_equal(f(cols).numpy(), tf(torch.tensor(cols.numpy())).numpy())
    assert repr(f) == repr(tf) and repr(u) == repr(tu)


def test_gaussian_nll_and_hinge_embedding():
    check_op(lambda i, t, v: F.gaussian_nll_loss(i, t, v), lambda i, t, v: TF.gaussian_nll_loss(i, t, v),
             inputs=[R.standard_normal((4, 3)), R.standard_normal((4, 3)), R.uniform(0.5, 2, (4, 3))])
    check_op(lambda i, t, v: F.gaussian_nll_loss(i, t, v, full=True, reduction="none"),
             lambda i, t, v: TF.gaussian_nll_loss(i, t, v, full=True, reduction="none"),
             inputs=[R.standard_normal((4, 3)), R.standard_normal((4, 3)), R.uniform(0.5, 2, (4,))])
    check_op(lambda i, t, v: F.gaussian_nll_loss(i, t, v, eps=0.6, reduction="sum"),
             lambda i, t, v: TF.gaussian_nll_loss(i, t, v, eps=0.6, reduction="sum"),
             inputs=[R.standard_normal((4, 3)), R.standard_normal((4, 3)), R.uniform(0.1, 2, (4, 1))],
             gradcheck=False)
    y = np.where(R.random((3, 4)) > 0.5, 1.0, -1.0)
    for red in ("mean", "none"):
        check_op(lambda i, t: F.hinge_embedding_loss(i, t, margin=0.7, reduction=red),
                 lambda i, t: TF.hinge_embedding_loss(i, t, margin=0.7, reduction=red),
                 inputs=[R.standard_normal((3, 4)), y], nondiff=(1,))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(ember.ones(2), ember.ones(2), -ember.ones(2))
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(ember.ones(2, 3), ember.ones(2, 3), ember.ones(3, 2))


def test_multilabel_losses():
    target = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 1, 2, 0]])
    for red in ("mean", "sum", "none"):
        check_op(lambda x, t: F.multilabel_margin_loss(x, t, reduction=red),
                 lambda x, t: TF.multilabel_margin_loss(x, t, reduction=red),
                 inputs=[R.standard_normal((3, 4)), target], nondiff=(1,))
    check_op(lambda x, t: F.multilabel_margin_loss(x, t), lambda x, t: TF.multilabel_margin_loss(x, t),
             inputs=[R.standard_normal(4), np.array([2, 2, -1, 0])], nondiff=(1,))
    y = (R.random((3, 4)) > 0.5).astype(np.float64)
    w = R.uniform(0.5, 1.5, 4)
    check_op(lambda x, t, w_: F.multilabel_soft_margin_loss(x, t, weight=w_),
             lambda x, t, w_: TF.multilabel_soft_margin_loss(x, t, weight=w_),
             inputs=[R.standard_normal((3, 4)), y, w], nondiff=(1, 2))


def test_triplet_with_distance():
    shapes = [(4, 3), (4, 3), (4, 3)]
    check_op(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n),
             lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n), shapes)

    def cos(lib):
        return lambda x, y: 1 - lib.nn.functional.cosine_similarity(x, y)
    check_op(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=cos(ember),
                                                                  margin=0.5, swap=True, reduction="none"),
             lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, distance_function=cos(torch),
                                                                   margin=0.5, swap=True, reduction="none")
             if torch else None, shapes)


def test_loss_modules_and_legacy():
    require_torch()
    x, t = R.standard_normal((3, 4)).astype(np.float32), np.array([[3, 0, -1, 1]] * 3)
    pairs = [(nn.MultiLabelMarginLoss(), torch.nn.MultiLabelMarginLoss(), (x, t)),
             (nn.MultiLabelSoftMarginLoss(), torch.nn.MultiLabelSoftMarginLoss(),
              (x, (R.random((3, 4)) > 0.5).astype(np.float32))),
             (nn.HingeEmbeddingLoss(2.0), torch.nn.HingeEmbeddingLoss(2.0), (x, np.sign(x))),
             (nn.GaussianNLLLoss(full=True), torch.nn.GaussianNLLLoss(full=True), (x, x + 1, np.abs(x) + 0.1)),
             (nn.TripletMarginWithDistanceLoss(margin=2.0), torch.nn.TripletMarginWithDistanceLoss(margin=2.0),
              (x, x + 1, x - 1)),
             (nn.NLLLoss2d(), torch.nn.NLLLoss(), (np.log(np.full((2, 3, 2, 2), 1 / 3, np.float32)),
                                                   np.zeros((2, 2, 2), np.int64)))]
    for e, tm, args in pairs:
        np.testing.assert_allclose(e(*[ember.tensor(a) for a in args]).numpy(),
                                   tm(*[torch.tensor(a) for a in args]).numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="Container is deprecated"):
        c = nn.Container(fc=nn.Linear(2, 2))
    assert list(dict(c.named_children())) == ["fc"]
    x4 = R.standard_normal((2, 6, 3, 3)).astype(np.float32)
    for size in (3, 4, 5):
        e, tm = nn.CrossMapLRN2d(size, 0.3, 0.75, 1.5), torch.nn.CrossMapLRN2d(size, 0.3, 0.75, 1.5)
        np.testing.assert_allclose(e(ember.tensor(x4)).numpy(), tm(torch.tensor(x4)).numpy(), rtol=1e-5)
    xs = ember.tensor(x4[:1, :4, :2, :2].astype(np.float64), requires_grad=True)
    ember.autograd.gradcheck(nn.CrossMapLRN2d(3, 0.3, 0.75, 1.5), (xs,))


LAZY = [("LazyLinear", (3,), (2, 5)), ("LazyConv1d", (4, 3), (2, 3, 7)), ("LazyConv2d", (4, 3), (2, 3, 6, 6)),
        ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4)), ("LazyConvTranspose1d", (2, 3), (2, 3, 5)),
        ("LazyConvTranspose2d", (2, 3, 2), (1, 3, 4, 4)), ("LazyConvTranspose3d", (2, 2), (1, 2, 3, 3, 3)),
        ("LazyBatchNorm1d", (), (4, 3)), ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
        ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)), ("LazyInstanceNorm1d", (), (2, 3, 5)),
        ("LazyInstanceNorm2d", (), (2, 3, 4, 4)), ("LazyInstanceNorm3d", (), (1, 2, 3, 3, 3))]


@pytest.mark.parametrize("name,args,shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_modules_match_torch(name, args, shape):
    require_torch()
    x = R.standard_normal(shape).astype(np.float32)
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert e.has_uninitialized_params()
    params = list(e.parameters())  # an optimizer made now keeps these objects
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # instance norm: num_features unused without affine
        out_e, out_t = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert type(e).__name__ == type(t).__name__ == name[4:]
    assert repr(e) == repr(t)
    assert all(a is b for a, b in zip(params, e.parameters()))
    sd_e, sd_t = e.state_dict(), t.state_dict()
    assert list(sd_e) == list(sd_t)
    for k in sd_t:
        np.testing.assert_allclose(sd_e[k].numpy(), sd_t[k].numpy(), rtol=1e-6, atol=1e-7)


def test_lazy_trains_with_an_early_optimizer():
    model = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x, y = ember.randn(8, 3), ember.randn(8, 1)
    first = None
    for _ in range(5):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first
    assert isinstance(model[0].weight, nn.Parameter) and tuple(model[0].weight.shape) == (4, 3)
    with pytest.raises(RuntimeError, match="uninitialized"):
        nn.LazyLinear(2).weight.shape
