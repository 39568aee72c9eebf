"""Fused normalization ops (ember/ops/norm.py) through ember.nn.functional: forward and
gradients against finite differences and PyTorch (float64 and float32, random upstream
gradient), running-statistics updates, double backward, stability and errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import check_op, make_inputs, torch, require_torch


def TF():
    return torch.nn.functional


# ----------------------------------------------------------------------------------
# batch norm
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 2, 4, 5), (2, 2, 3, 2, 3)])
def test_batch_norm_train_affine(shape):
    C = shape[1]
    x, w, b = make_inputs([shape, (C,), (C,)], seed=1)
    check_op(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
             lambda x, w, b: TF().batch_norm(x, None, None, w, b, training=True),
             inputs=[x * 2 + 1, w + 1.5, b])


def test_batch_norm_train_no_affine_and_eps():
    check_op(lambda x: F.batch_norm(x, None, None, training=True, eps=1e-2),
             lambda x: TF().batch_norm(x, None, None, training=True, eps=1e-2),
             shapes=[(6, 4, 3)])


def test_batch_norm_weight_only():
    x, w = make_inputs([(4, 3, 5), (3,)], seed=2)
    check_op(lambda x, w: F.batch_norm(x, None, None, w, training=True),
             lambda x, w: TF().batch_norm(x, None, None, w, training=True), inputs=[x, w])


@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4, 2)])
def test_batch_norm_eval(shape):
    rng = np.random.default_rng(0)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    x, w, b = make_inputs([shape, (3,), (3,)], seed=3)
    check_op(lambda x, w, b: F.batch_norm(x, ember.tensor(rm, dtype=x.dtype),
                                          ember.tensor(rv, dtype=x.dtype), w, b),
             lambda x, w, b: TF().batch_norm(x, torch.tensor(rm, dtype=x.dtype),
                                             torch.tensor(rv, dtype=x.dtype), w, b),
             inputs=[x, w, b])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum", [0.1, 0.7])
def test_batch_norm_running_stats_update(dtype, momentum):
    require_torch()
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((6, 3, 4)) * 2 + 3).astype(dtype)
    rm0, rv0 = rng.standard_normal(3).astype(dtype), rng.uniform(0.5, 2, 3).astype(dtype)
    erm, erv = ember.tensor(rm0.copy()), ember.tensor(rv0.copy())
    trm, trv = torch.tensor(rm0.copy()), torch.tensor(rv0.copy())
    for _ in range(2):
        F.batch_norm(ember.tensor(x), erm, erv, training=True, momentum=momentum)
        TF().batch_norm(torch.tensor(x), trm, trv, training=True, momentum=momentum)
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5)
    np.testing.assert_allclose(erm.numpy(), trm.numpy(), **tol)
    np.testing.assert_allclose(erv.numpy(), trv.numpy(), **tol)
    assert erm.dtype == (ember.float64 if dtype == np.float64 else ember.float32)


def test_batch_norm_large_mean_is_stable():
    x = np.array([[1e4], [1e4 + 1.0], [1e4 + 2.0]], dtype=np.float32)
    y = F.batch_norm(ember.tensor(x), None, None, training=True).numpy()
    np.testing.assert_allclose(y[:, 0], [-1.2247, 0.0, 1.2247], atol=1e-3)


def test_batch_norm_errors():
    x = ember.zeros(4, 3, 5)
    with pytest.raises(RuntimeError, match=r"batch_norm: expected weight of shape \(3,\).*"
                                           r"\(4, 3, 5\).*\(4,\)"):
        F.batch_norm(x, None, None, ember.ones(4), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(ember.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.batch_norm(ember.zeros(3), None, None, training=True)


def test_batch_norm_is_one_node():
    x = ember.randn(4, 3, 2, requires_grad=True)
    y = F.batch_norm(x, None, None, ember.ones(3, requires_grad=True), ember.zeros(3),
                     training=True)
    assert type(y.grad_fn).__name__ == "NativeBatchNormBackward0"   # PyTorch's node name
    assert y.grad_fn.op_class == "BatchNormTrain"
    assert {type(f).__name__ for f, _ in y.grad_fn.next_functions if f is not None} == \
        {"AccumulateGrad"}


def test_second_backward_without_retain_graph_raises():
    x = ember.randn(4, 3, requires_grad=True)
    z = (F.batch_norm(x, None, None, training=True) * ember.randn(4, 3)).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


# ----------------------------------------------------------------------------------
# layer, group, instance norm
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((7,), (7,))])
def test_layer_norm(shape, ns):
    x, w, b = make_inputs([shape, ns, ns], seed=4)
    check_op(lambda x, w, b: F.layer_norm(x, ns, w, b),
             lambda x, w, b: TF().layer_norm(x, ns, w, b), inputs=[x * 3 - 1, w, b])
    check_op(lambda x: F.layer_norm(x, ns, eps=1e-3),
             lambda x: TF().layer_norm(x, ns, eps=1e-3), inputs=[x])


def test_layer_norm_weight_without_bias_noncontiguous():
    x, w = make_inputs([(3, 5), (5,)], seed=6)
    check_op(lambda x, w: F.layer_norm(x, (5,), w), lambda x, w: TF().layer_norm(x, (5,), w),
             inputs=[x, w], noncontiguous=True)


@pytest.mark.parametrize("shape,G", [((2, 6, 3, 2), 3), ((3, 4, 5), 2), ((2, 4), 2),
                                     ((2, 4, 3), 1)])
def test_group_norm(shape, G):
    C = shape[1]
    x, w, b = make_inputs([shape, (C,), (C,)], seed=7)
    check_op(lambda x, w, b: F.group_norm(x, G, w, b),
             lambda x, w, b: TF().group_norm(x, G, w, b), inputs=[x, w, b])
    check_op(lambda x: F.group_norm(x, G), lambda x: TF().group_norm(x, G), inputs=[x])


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 3)])
def test_instance_norm(shape):
    x, w, b = make_inputs([shape, (3,), (3,)], seed=8)
    check_op(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
             lambda x, w, b: TF().instance_norm(x, weight=w, bias=b), inputs=[x, w, b])
    check_op(lambda x: F.instance_norm(x), lambda x: TF().instance_norm(x), inputs=[x])


def test_instance_norm_running_stats():
    require_torch()
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 2, 6)) * 2 + 1
    erm, erv, trm, trv = ember.zeros(2, dtype=ember.float64), ember.ones(2,
                                                                        dtype=ember.float64), \
        torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    F.instance_norm(ember.tensor(x), erm, erv, momentum=0.3)
    TF().instance_norm(torch.tensor(x), trm, trv, momentum=0.3)
    np.testing.assert_allclose(erm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(erv.numpy(), trv.numpy(), rtol=1e-12)
    ye = F.instance_norm(ember.tensor(x), erm, erv, use_input_stats=False).numpy()
    yt = TF().instance_norm(torch.tensor(x), trm, trv, use_input_stats=False).numpy()
    np.testing.assert_allclose(ye, yt, rtol=1e-12)


def test_local_response_norm_and_rms_norm_and_normalize():
    check_op(lambda x: F.local_response_norm(x, 3, alpha=0.5),
             lambda x: TF().local_response_norm(x, 3, alpha=0.5), shapes=[(2, 5, 3)])
    x, w = make_inputs([(3, 4), (4,)], seed=10)
    check_op(lambda x, w: F.rms_norm(x, (4,), w, 1e-6),
             lambda x, w: TF().rms_norm(x, (4,), w, 1e-6), inputs=[x, w])
    check_op(lambda x: F.normalize(x, dim=1), lambda x: TF().normalize(x, dim=1),
             shapes=[(3, 4)])


def test_norm_errors():
    with pytest.raises(RuntimeError, match=r"layer_norm: given normalized_shape=\[4\].*"
                                           r"\(3, 5\)"):
        F.layer_norm(ember.zeros(3, 5), (4,))
    with pytest.raises(RuntimeError, match=r"group_norm.*channels in input \(6\).*"
                                           r"num_groups \(4\).*\(2, 6, 3\)"):
        F.group_norm(ember.zeros(2, 6, 3), 4)
    with pytest.raises(RuntimeError, match=r"instance_norm.*\(2, 3\)"):
        F.instance_norm(ember.zeros(2, 3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype):
    d = getattr(ember, dtype)
    x = ember.randn(4, 3, 5, dtype=d, requires_grad=True)
    w = ember.ones(3, dtype=d, requires_grad=True)
    outs = [F.batch_norm(x, None, None, w, None, training=True),
            F.batch_norm(x, ember.zeros(3, dtype=d), ember.ones(3, dtype=d), w),
            F.group_norm(x, 3, w), F.instance_norm(x, weight=w),
            F.layer_norm(x, (5,))]
    for y in outs:
        assert y.dtype == d
        y.backward(ember.ones_like(y))
        assert x.grad.dtype == d and w.grad.dtype == d
