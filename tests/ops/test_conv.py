"""Convolution ops (ember/ops/conv.py, ember/ops/fold.py): forward and gradients against
finite differences and PyTorch, double backward, and error messages."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import check_op, make_inputs, torch, require_torch

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# (nd, in_channels, out_channels, kernel, stride, padding, dilation, groups, spatial)
CONV_CASES = [
    (1, 3, 4, 3, 1, 1, 1, 1, 7),
    (1, 4, 6, 2, 2, 0, 1, 2, 8),
    (1, 2, 3, 3, 1, "same", 2, 1, 6),
    (2, 3, 4, 3, 1, 1, 1, 1, 5),
    (2, 3, 4, (3, 2), (2, 1), (1, 0), 1, 1, 7),
    (2, 4, 4, 3, 2, 2, 2, 4, 7),          # depthwise, dilated, strided, padded
    (2, 2, 3, 1, 1, 0, 1, 1, 4),          # 1x1
    (2, 4, 6, 1, 2, 0, 1, 2, 5),          # strided 1x1, grouped
    (2, 2, 3, 4, 1, "same", 1, 1, 5),     # even kernel: asymmetric 'same'
    (2, 2, 3, 2, 2, 0, 1, 1, 6),          # stride == kernel
    (2, 2, 2, 3, 1, "valid", 1, 1, 4),
    (2, 3, 2, 5, 1, 0, 1, 1, 5),          # kernel == input
    (3, 2, 3, 2, 1, 1, 1, 1, 4),
    (3, 4, 2, (1, 2, 3), (1, 2, 1), (0, 1, 1), (1, 1, 2), 2, 5),
]


def _ids(cases):
    return ["-".join(str(v).replace(" ", "") for v in c) for c in cases]


@pytest.mark.parametrize("case", CONV_CASES, ids=_ids(CONV_CASES))
@pytest.mark.parametrize("bias", [True, False])
def test_conv_matches_torch(case, bias):
    nd, cin, cout, k, s, p, d, g, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    shapes = [(2, cin) + (size,) * nd, (cout, cin // g) + ks] + ([(cout,)] if bias else [])
    e_conv = getattr(F, f"conv{nd}d")
    t_conv = getattr(torch.nn.functional, f"conv{nd}d") if torch is not None else None
    kw = dict(stride=s, padding=p, dilation=d, groups=g)
    if bias:
        check_op(lambda x, w, b: e_conv(x, w, b, **kw),
                 t_conv and (lambda x, w, b: t_conv(x, w, b, **kw)), shapes)
    else:
        check_op(lambda x, w: e_conv(x, w, **kw), t_conv and (lambda x, w: t_conv(x, w, **kw)),
                 shapes)


def test_conv2d_batch1_and_unbatched():
    require_torch()
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: torch.nn.functional.conv2d(
        x, w, padding=1), [(1, 2, 4, 5), (3, 2, 3, 3)])
    check_op(lambda x, w: F.conv2d(x, w, stride=2), lambda x, w: torch.nn.functional.conv2d(
        x, w, stride=2), [(2, 5, 5), (3, 2, 3, 3)])


def test_conv2d_noncontiguous_input():
    require_torch()
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: torch.nn.functional.conv2d(
        x, w, padding=1), [(2, 2, 4, 5), (3, 2, 3, 3)], noncontiguous=True, gradcheck=False)


def test_conv_float32_stays_float32():
    x = ember.randn(2, 3, 6, 6)
    w = ember.randn(4, 3, 3, 3)
    assert F.conv2d(x, w).dtype == ember.float32
    assert F.conv2d(x, w[:, :, :1, :1]).dtype == ember.float32
    assert F.conv_transpose2d(x, ember.randn(3, 2, 3, 3), stride=2).dtype == ember.float32


# (nd, cin, cout, kernel, stride, padding, output_padding, groups, dilation, spatial)
CONVT_CASES = [
    (1, 3, 2, 3, 2, 1, 1, 1, 1, 5),
    (2, 3, 4, 3, 1, 0, 0, 1, 1, 4),
    (2, 4, 2, 3, 2, 1, 1, 2, 1, 4),
    (2, 2, 3, (2, 3), (2, 1), (0, 1), (1, 0), 1, 1, 3),
    (2, 2, 2, 3, 1, 1, 0, 1, 2, 4),
    (2, 2, 3, 1, 2, 0, 1, 1, 1, 3),
    (2, 2, 2, 2, 1, 0, 0, 1, 2, 3),       # output_padding 0 with dilation 2
    (3, 2, 3, 2, 2, 0, 0, 1, 1, 3),
]


@pytest.mark.parametrize("case", CONVT_CASES, ids=_ids(CONVT_CASES))
def test_conv_transpose_matches_torch(case):
    nd, cin, cout, k, s, p, op, g, d, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    shapes = [(2, cin) + (size,) * nd, (cin, cout // g) + ks, (cout,)]
    kw = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    e_f = getattr(F, f"conv_transpose{nd}d")
    t_f = getattr(torch.nn.functional, f"conv_transpose{nd}d") if torch is not None else None
    check_op(lambda x, w, b: e_f(x, w, b, **kw), t_f and (lambda x, w, b: t_f(x, w, b, **kw)),
             shapes)


@pytest.mark.parametrize("case", CONV_CASES[:6], ids=_ids(CONV_CASES[:6]))
def test_input_and_weight_gradients_side_by_side_match_torch(case, monkeypatch):
    """Both gradients computed concurrently, each on one thread (``run_concurrently``),
    forced for small shapes: the same values as the Tensor-level backward and PyTorch."""
    import ember.ops.conv as conv_mod
    monkeypatch.setattr(conv_mod, "CONCURRENT_MIN_MACS", 0)
    old = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        check_conv_case(case)
    finally:
        ember.set_num_threads(old)


def test_gradients_side_by_side_are_bitwise_the_same_for_any_thread_count(monkeypatch):
    import ember.ops.conv as conv_mod
    monkeypatch.setattr(conv_mod, "CONCURRENT_MIN_MACS", 0)
    r = np.random.default_rng(5)
    x = r.standard_normal((8, 16, 12, 12)).astype(np.float32)
    w = r.standard_normal((24, 16, 3, 3)).astype(np.float32)
    b = r.standard_normal(24).astype(np.float32)
    old = ember.get_num_threads()
    grads = []
    try:
        for threads in (1, 2, 3):
            ember.set_num_threads(threads)
            xt, wt, bt = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
            (F.conv2d(xt, wt, bt, padding=1) ** 2).sum().backward()
            grads.append([t.grad.numpy().copy() for t in (xt, wt, bt)])
    finally:
        ember.set_num_threads(old)
    for g in grads[1:]:
        for a, c in zip(g, grads[0]):
            np.testing.assert_array_equal(a, c)


@pytest.fixture(params=[(1, True), (2, True), (2, False)],
                ids=["chunk1-flat", "chunk2-flat", "chunk2-windows"])
def per_sample(request, monkeypatch):
    """Force the per-sample (chunked column) conv kernels on small shapes, with chunks of
    1 or 2 samples (batch 3 leaves a remainder chunk), with stride-1 columns in the
    padded-width (flat) form or as plain windows."""
    import ember.ops.conv as conv_mod
    import ember.ops._conv_grid as grid_mod
    nb, flat = request.param
    monkeypatch.setattr(grid_mod, "MAX_WASTE", 0.0)      # not the grid kernel
    monkeypatch.setattr(conv_mod, "PER_SAMPLE_MIN_P", 1)
    monkeypatch.setattr(conv_mod, "WEIGHT_PER_SAMPLE_MIN_P", 1)
    monkeypatch.setattr(conv_mod, "FLAT_MAX_WASTE", 1e9 if flat else 0.0)
    monkeypatch.setattr(conv_mod, "FLAT_WASTE_PER_CHANNEL", 1e9)
    monkeypatch.setattr(conv_mod, "batch_chunks",
                        lambda n, sample_bytes, budget=None: [(a, min(a + nb, n))
                                                              for a in range(0, n, nb)])
    return nb


def check_conv_case(case, batch=3):
    """A CONV_CASES entry (with bias, ``batch`` samples) against finite differences and
    PyTorch; the kernel-forcing fixtures of this file and test_conv_grid.py use it."""
    nd, cin, cout, k, s, p, d, g, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    shapes = [(batch, cin) + (size,) * nd, (cout, cin // g) + ks, (cout,)]
    e_conv = getattr(F, f"conv{nd}d")
    t_conv = getattr(torch.nn.functional, f"conv{nd}d") if torch is not None else None
    kw = dict(stride=s, padding=p, dilation=d, groups=g)
    check_op(lambda x, w, b: e_conv(x, w, b, **kw),
             t_conv and (lambda x, w, b: t_conv(x, w, b, **kw)), shapes)


def check_conv_transpose_case(case, batch=3):
    """A CONVT_CASES entry (with bias) against finite differences and PyTorch."""
    nd, cin, cout, k, s, p, op, g, d, size = case
    ks = (k,) * nd if isinstance(k, int) else k
    shapes = [(batch, cin) + (size,) * nd, (cin, cout // g) + ks, (cout,)]
    kw = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    e_f = getattr(F, f"conv_transpose{nd}d")
    t_f = getattr(torch.nn.functional, f"conv_transpose{nd}d") if torch is not None else None
    check_op(lambda x, w, b: e_f(x, w, b, **kw), t_f and (lambda x, w, b: t_f(x, w, b, **kw)),
             shapes)


@pytest.mark.parametrize("case", CONV_CASES, ids=_ids(CONV_CASES))
def test_conv_per_sample_path_matches_torch(case, per_sample):
    check_conv_case(case)


@pytest.mark.parametrize("case", CONVT_CASES, ids=_ids(CONVT_CASES))
def test_conv_transpose_per_sample_path_matches_torch(case, per_sample):
    check_conv_transpose_case(case)


def test_conv2d_per_sample_path_noncontiguous(per_sample):
    require_torch()
    tf = torch.nn.functional
    for kw in (dict(padding=1), dict(padding=0, dilation=2), dict(stride=2, padding=1)):
        check_op(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: tf.conv2d(x, w, **kw),
                 [(3, 2, 6, 7), (3, 2, 3, 3)], noncontiguous=True, gradcheck=False)


def test_conv2d_per_sample_float32_large():
    """The default per-sample path at a realistic size, float32 against torch."""
    require_torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((6, 8, 3, 3)).astype(np.float32) * 0.2
    b = rng.standard_normal(6).astype(np.float32)
    for kw in (dict(padding=1), dict(stride=2, padding=2), dict(padding=1, groups=2)):
        wk = w[:, : 8 // kw.get("groups", 1)].copy()
        ex, ew, eb = (ember.from_numpy(a.copy()).requires_grad_() for a in (x, wk, b))
        tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, wk, b))
        ey = F.conv2d(ex, ew, eb, **kw)
        ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
        assert ey.dtype == ember.float32
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
        g = rng.standard_normal(ty.shape).astype(np.float32)
        ey.backward(ember.from_numpy(g))
        ty.backward(torch.from_numpy(g))
        for e, t in ((ex, tx), (ew, tw), (eb, tb)):
            assert e.grad.dtype == ember.float32
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_conv_transpose_is_conv_input_gradient():
    x = ember.randn(2, 3, 7, 7, dtype=ember.float64, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, dtype=ember.float64)
    y = F.conv2d(x, w, stride=2, padding=1)
    g = ember.randn(*y.shape, dtype=ember.float64)
    (gx,) = ember.autograd.grad(y, x, g)
    gt = F.conv_transpose2d(g, w, stride=2, padding=1, output_padding=0)
    np.testing.assert_allclose(gx.numpy(), gt.numpy(), atol=1e-12)


def second_order_check(fn, arrays, seed=0, eps=1e-6):
    """Finite-difference check of double backward: the gradient of
    h(inputs) = sum_i <u_i, d<v, fn(inputs)>/d input_i> (first-order grads taken with
    create_graph=True) against central differences of h."""
    rng = np.random.default_rng(seed)
    xs = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    v = ember.from_numpy(rng.standard_normal(tuple(fn(*xs).shape)))
    us = [ember.from_numpy(rng.standard_normal(a.shape)) for a in arrays]

    def h(*ts):
        gs = ember.autograd.grad(fn(*ts), ts, v, create_graph=True)
        return sum((g * u).sum() for g, u in zip(gs, us))

    analytic = ember.autograd.grad(h(*xs), xs)
    for i, a in enumerate(arrays):
        num = np.zeros(a.size)
        for j in range(a.size):
            vals = []
            for step in (eps, -eps):
                pert = [b.copy() for b in arrays]
                pert[i].reshape(-1)[j] += step
                vals.append(h(*[ember.from_numpy(b).requires_grad_() for b in pert]).item())
            num[j] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(analytic[i].numpy().reshape(-1), num, rtol=1e-4, atol=1e-6,
                                   err_msg=f"second-order gradient of input {i}")


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2), dict(padding=1, groups=2),
                                dict(stride=1, padding=0, dilation=2)])
def test_conv2d_double_backward(kw):
    x, w = make_inputs([(1, 2, 5, 5), (2, 2 // kw.get("groups", 1), 3, 3)], seed=3)
    second_order_check(lambda x, w: F.conv2d(x, w, **kw), [x, w])


def test_conv2d_1x1_double_backward():
    x, w = make_inputs([(2, 2, 3, 3), (3, 2, 1, 1)], seed=6)
    second_order_check(lambda x, w: F.conv2d(x, w), [x, w])


def test_conv_transpose2d_double_backward():
    x, w = make_inputs([(1, 2, 3, 3), (2, 2, 3, 3)], seed=4)
    second_order_check(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1), [x, w])


def test_conv2d_double_backward_matches_torch():
    require_torch()
    x, w = make_inputs([(2, 3, 5, 5), (4, 3, 3, 3)], seed=5)
    ex, ew = (ember.from_numpy(a).requires_grad_() for a in (x, w))
    tx, tw = (torch.from_numpy(a).requires_grad_() for a in (x, w))
    ey = F.conv2d(ex, ew, padding=1)
    ty = torch.nn.functional.conv2d(tx, tw, padding=1)
    egx, egw = ember.autograd.grad(ey.pow(2).sum(), (ex, ew), create_graph=True)
    tgx, tgw = torch.autograd.grad(ty.pow(2).sum(), (tx, tw), create_graph=True)
    e2 = ember.autograd.grad((egx * egx).sum() + (egw * egw).sum(), (ex, ew))
    t2 = torch.autograd.grad((tgx * tgx).sum() + (tgw * tgw).sum(), (tx, tw))
    for a, b in zip(e2, t2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-9)


def test_unfold_fold_match_torch():
    require_torch()
    tf = torch.nn.functional
    check_op(lambda x: F.unfold(x, (2, 3), dilation=1, padding=1, stride=(2, 1)),
             lambda x: tf.unfold(x, (2, 3), dilation=1, padding=1, stride=(2, 1)), [(2, 3, 5, 4)])
    # fold: (N, C*kh*kw, L) with L = number of blocks of a (5, 4) image
    L = ((5 + 2 - 2) // 2 + 1) * ((4 + 2 - 3) + 1)
    check_op(lambda c: F.fold(c, (5, 4), (2, 3), padding=1, stride=(2, 1)),
             lambda c: tf.fold(c, (5, 4), (2, 3), padding=1, stride=(2, 1)), [(2, 18, L)])


# ---------------------------------------------------------------- errors
def test_conv2d_wrong_channels_message():
    x = ember.randn(8, 4, 32, 32)
    w = ember.randn(16, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv2d: expected input\[8, 4, 32, 32\] to have 3 "
                                           r"channels \(weight of shape \(16, 3, 3, 3\)"):
        F.conv2d(x, w)


def test_conv_errors():
    w = ember.randn(4, 3, 3, 3)
    with pytest.raises(RuntimeError, match="conv2d: expected 3-D .* or 4-D"):
        F.conv2d(ember.randn(2, 2, 3, 8, 8), w)
    with pytest.raises(RuntimeError, match="kernel size .* can't be greater"):
        F.conv2d(ember.randn(1, 3, 2, 2), w)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.conv2d(ember.randn(1, 6, 5, 5), ember.randn(4, 3, 3, 3), groups=3)
    with pytest.raises(ValueError, match="groups must be a positive int"):
        F.conv2d(ember.randn(1, 3, 5, 5), w, groups=0)
    with pytest.raises(ValueError, match="not supported for strided"):
        F.conv2d(ember.randn(1, 3, 5, 5), w, stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string"):
        F.conv2d(ember.randn(1, 3, 5, 5), w, padding="full")
    with pytest.raises(RuntimeError, match="bias of shape"):
        F.conv2d(ember.randn(1, 3, 5, 5), w, ember.randn(3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(ember.randn(1, 3, 5, 5, dtype=ember.float64), w)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(ember.randn(1, 4, 3, 3), w, stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="conv_transpose2d: expected input"):
        F.conv_transpose2d(ember.randn(1, 3, 3, 3), w)
