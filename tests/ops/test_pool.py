"""Pooling ops (ember/ops/pool.py): forward, indices and gradients against finite
differences and PyTorch; ties, NaN, double backward, errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import check_op, make_inputs, torch, require_torch
from tests.ops.test_conv import second_order_check

TF = torch.nn.functional if torch is not None else None

# (nd, kernel, stride, padding, dilation, ceil_mode, spatial)
MAX_CASES = [
    (1, 2, None, 0, 1, False, 7),
    (1, 3, 2, 1, 1, True, 8),
    (2, 2, None, 0, 1, False, 6),
    (2, 2, None, 0, 1, False, 5),        # odd size: last row/col dropped
    (2, 3, 2, 1, 1, False, 7),           # overlapping, padded
    (2, 3, 2, 1, 1, True, 6),
    (2, (2, 3), (1, 2), (1, 0), 1, False, 5),
    (2, 3, 1, 0, 2, False, 7),           # dilated
    (2, 2, 3, 1, 2, True, 7),
    (2, 1, 2, 0, 1, False, 5),           # 1x1 kernel
    (3, 2, None, 0, 1, False, 4),
    (3, 3, 2, 1, 1, True, 5),
]


def _ids(cases):
    return ["-".join(str(v).replace(" ", "") for v in c) for c in cases]


@pytest.mark.parametrize("case", MAX_CASES, ids=_ids(MAX_CASES))
def test_max_pool_matches_torch(case):
    nd, k, s, p, d, cm, size = case
    kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=cm)
    e_f = getattr(F, f"max_pool{nd}d")
    t_f = getattr(TF, f"max_pool{nd}d") if TF else None
    check_op(lambda x: e_f(x, **kw), t_f and (lambda x: t_f(x, **kw)), [(2, 3) + (size,) * nd])
    if TF:   # indices
        x = make_inputs([(2, 3) + (size,) * nd], seed=1)[0]
        _, ei = e_f(ember.from_numpy(x), return_indices=True, **kw)
        _, ti = t_f(torch.from_numpy(x), return_indices=True, **kw)
        assert ei.dtype == ember.int64
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())


def test_max_pool_ties_pick_first_like_torch():
    require_torch()
    x = np.maximum(make_inputs([(2, 3, 6, 6)], seed=2)[0], 0.0)   # ReLU output: many zero ties
    x[0, 0] = 1.0                                                # a plane of equal values
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        check_op(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw),
                 inputs=[x], gradcheck=False)
        _, ei = F.max_pool2d(ember.from_numpy(x), return_indices=True, **kw)
        _, ti = TF.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())


def test_max_pool_nan_propagates():
    x = ember.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]])
    assert np.isnan(F.max_pool2d(x, 2).item())


def test_max_pool_nan_indices_match_torch():
    require_torch()
    x = np.array([[[[1.0, np.nan, 5.0], [np.nan, 2.0, 7.0], [0.0, 1.0, np.nan]]]],
                 dtype=np.float32)
    for kw in (dict(kernel_size=2, stride=1), dict(kernel_size=3, stride=1, padding=1),
               dict(kernel_size=2, stride=2, ceil_mode=True)):
        ey, ei = F.max_pool2d(ember.from_numpy(x), return_indices=True, **kw)
        ty, ti = torch.nn.functional.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
        np.testing.assert_array_equal(ey.numpy(), ty.numpy())
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())


def test_max_pool_unbatched_and_float32():
    x = ember.randn(3, 6, 6)
    y = F.max_pool2d(x, 2)
    assert tuple(y.shape) == (3, 3, 3) and y.dtype == ember.float32
    y, i = F.max_pool2d(x, 2, return_indices=True)
    assert tuple(i.shape) == (3, 3, 3)


# (nd, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, spatial)
AVG_CASES = [
    (1, 2, None, 0, False, True, None, 7),
    (1, 3, 2, 1, True, False, None, 8),
    (2, 2, None, 0, False, True, None, 6),
    (2, 3, 2, 1, False, True, None, 7),
    (2, 3, 2, 1, False, False, None, 7),
    (2, 3, 2, 1, True, True, None, 6),
    (2, 3, 2, 1, True, False, None, 6),
    (2, (2, 3), (1, 2), (1, 1), False, True, 4, 5),
    (2, 2, 3, 0, True, True, None, 7),
    (3, 2, None, 0, False, True, None, 4),
    (3, 3, 2, 1, True, False, 5, 5),
]


@pytest.mark.parametrize("case", AVG_CASES, ids=_ids(AVG_CASES))
def test_avg_pool_matches_torch(case):
    nd, k, s, p, cm, cip, dov, size = case
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=cm, count_include_pad=cip)
    if dov is not None:
        kw["divisor_override"] = dov
    e_f = getattr(F, f"avg_pool{nd}d")
    t_f = getattr(TF, f"avg_pool{nd}d") if TF else None
    check_op(lambda x: e_f(x, **kw), t_f and (lambda x: t_f(x, **kw)), [(2, 3) + (size,) * nd])


ADAPTIVE_CASES = [(1, 7, 3), (1, 6, 6), (1, 4, 7), (2, (7, 6), (3, 4)), (2, 8, 4), (2, 5, 1),
                  (2, (6, 5), (None, 2)), (3, 5, 3), (3, (4, 6, 5), (2, 3, 4))]


@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=_ids(ADAPTIVE_CASES))
def test_adaptive_pools_match_torch(case):
    nd, size, out = case
    size = (size,) * nd if isinstance(size, int) else size
    shape = [(2, 3) + size]
    e_a, e_m = getattr(F, f"adaptive_avg_pool{nd}d"), getattr(F, f"adaptive_max_pool{nd}d")
    t_a = getattr(TF, f"adaptive_avg_pool{nd}d") if TF else None
    t_m = getattr(TF, f"adaptive_max_pool{nd}d") if TF else None
    check_op(lambda x: e_a(x, out), t_a and (lambda x: t_a(x, out)), shape)
    check_op(lambda x: e_m(x, out), t_m and (lambda x: t_m(x, out)), shape)
    if TF:
        x = make_inputs(shape, seed=3)[0]
        _, ei = e_m(ember.from_numpy(x), out, return_indices=True)
        _, ti = t_m(torch.from_numpy(x), out, return_indices=True)
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_unpool2d_matches_torch(kw):
    require_torch()
    x = make_inputs([(2, 3, 6, 6)], seed=4)[0]
    y, ei = F.max_pool2d(ember.from_numpy(x), return_indices=True, **kw)
    ty, ti = TF.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
    # overlapping windows repeat indices: one value is written, but (as PyTorch) every
    # duplicate gets the gathered gradient, so finite differences only hold without overlap
    check_op(lambda t: F.max_unpool2d(t, ei, output_size=(6, 6), **kw),
             lambda t: TF.max_unpool2d(t, ti, output_size=(6, 6), **kw), inputs=[y.numpy()],
             gradcheck="stride" not in kw)


def test_max_unpool1d_default_size():
    require_torch()
    x = make_inputs([(2, 3, 8)], seed=5)[0]
    y, ei = F.max_pool1d(ember.from_numpy(x), 2, return_indices=True)
    ty, ti = TF.max_pool1d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_allclose(F.max_unpool1d(y, ei, 2).numpy(), TF.max_unpool1d(ty, ti, 2).numpy())


@pytest.mark.parametrize("p", [2, 3.0])
def test_lp_pool2d_matches_torch(p):
    check_op(lambda x: F.lp_pool2d(x, p, 2), TF and (lambda x: TF.lp_pool2d(x, p, 2)),
             [(2, 3, 4, 6)], domain="positive")
    check_op(lambda x: F.lp_pool1d(x, p, 3, 2), TF and (lambda x: TF.lp_pool1d(x, p, 3, 2)),
             [(2, 3, 7)], domain="positive")


def test_pool_double_backward():
    x = make_inputs([(1, 2, 5, 5)], seed=6)[0]
    second_order_check(lambda t: F.max_pool2d(t, 3, 2, 1) ** 2, [x])
    second_order_check(lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False) ** 2, [x])
    second_order_check(lambda t: F.adaptive_max_pool2d(t, 3) ** 2, [x])
    second_order_check(lambda t: F.adaptive_avg_pool2d(t, 3) ** 2, [x])


def test_pool_errors():
    x = ember.randn(1, 2, 4, 4)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected 3-D .* or 4-D"):
        F.max_pool2d(ember.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match=r"max_pool2d: kernel size .* greater than the padded"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="pad should be .* at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="must be positive"):
        F.avg_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match="avg_pool2d: expected a floating point"):
        F.avg_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.int64), 2)
