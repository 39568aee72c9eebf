"""Loss ops (ember/ops/loss.py and ember.nn.functional.loss): forward and gradients
against finite differences and PyTorch (float64 and float32, random upstream gradient
for reduction='none'), stability at 1e4 logits, double backward and error messages."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import check_op, make_inputs, torch, require_torch

RED = ["none", "mean", "sum"]


def TF():
    return torch.nn.functional


def _targets(shape, C, seed=0, ignore=None):
    t = np.random.default_rng(seed).integers(0, C, shape)
    if ignore is not None:
        t.flat[::3] = ignore
    return t


def _w(C):
    return np.linspace(0.3, 2.0, C)


def _tw(x, w):
    """A class-weight array as a tensor of x's library and dtype."""
    if isinstance(x, ember.Tensor):
        return ember.tensor(w, dtype=x.dtype)
    return torch.tensor(w, dtype=x.dtype)


# ----------------------------------------------------------------------------------
# cross-entropy / nll
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.25}, {"weight": True},
                                  {"weight": True, "ignore_index": 1},
                                  {"ignore_index": 2, "label_smoothing": 0.1},
                                  {"weight": True, "ignore_index": 0,
                                   "label_smoothing": 0.4}])
@pytest.mark.parametrize("xshape", [(6, 5), (3, 5, 2, 3), (5,)])
def test_cross_entropy_indices(xshape, opts, reduction):
    C = xshape[0] if len(xshape) == 1 else xshape[1]
    tshape = () if len(xshape) == 1 else (xshape[0],) + xshape[2:]
    t = _targets(tshape, C, seed=1)
    if "ignore_index" in opts:
        if len(xshape) > 1:
            t.flat[::3] = opts["ignore_index"]
        elif t == opts["ignore_index"]:
            t = (t + 1) % C
    kw = {k: v for k, v in opts.items() if k != "weight"}

    def fn(lib):
        def f(x, t):
            w = _tw(x, _w(C)) if opts.get("weight") else None
            return lib.nn.functional.cross_entropy(x, t, weight=w, reduction=reduction, **kw)
        return f
    x, = make_inputs([xshape], seed=2)
    check_op(fn(ember), fn(torch), inputs=[x * 2, t])


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.3}, {"weight": True},
                                  {"weight": True, "label_smoothing": 0.2}])
@pytest.mark.parametrize("xshape", [(4, 5), (2, 3, 4)])
def test_cross_entropy_probabilities(xshape, opts, reduction):
    C = xshape[1]
    x, p = make_inputs([xshape, xshape], seed=3)
    p = np.exp(p) / np.exp(p).sum(1, keepdims=True)
    kw = {k: v for k, v in opts.items() if k != "weight"}

    def fn(lib):
        def f(x, p):
            w = _tw(x, _w(C)) if opts.get("weight") else None
            return lib.nn.functional.cross_entropy(x, p, weight=w, reduction=reduction, **kw)
        return f
    check_op(fn(ember), fn(torch), inputs=[x, p])      # gradient w.r.t. both


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("opts", [{}, {"weight": True}, {"weight": True, "ignore_index": 3}])
@pytest.mark.parametrize("xshape", [(6, 4), (2, 4, 3), (4,)])
def test_nll_loss(xshape, opts, reduction):
    C = xshape[0] if len(xshape) == 1 else xshape[1]
    tshape = () if len(xshape) == 1 else (xshape[0],) + xshape[2:]
    t = _targets(tshape, C, seed=4)
    if "ignore_index" in opts and len(xshape) > 1:
        t.flat[::2] = opts["ignore_index"]

    def fn(lib):
        def f(x, t):
            w = _tw(x, _w(C)) if opts.get("weight") else None
            return lib.nn.functional.nll_loss(x, t, weight=w, reduction=reduction,
                                              ignore_index=opts.get("ignore_index", -100))
        return f
    check_op(fn(ember), fn(torch), inputs=[make_inputs([xshape], seed=5)[0], t])


def test_cross_entropy_is_one_node_and_equals_log_softmax_nll():
    x = ember.randn(5, 7, requires_grad=True)
    t = ember.tensor([0, 6, 3, 3, 1])
    loss = F.cross_entropy(x, t)
    assert loss.grad_fn.op_class == "CrossEntropyIndex"
    ref = F.nll_loss(ember.log_softmax(x, 1), t)
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_cross_entropy_stable_at_large_logits(dtype, scale):
    require_torch()
    x = np.array([[scale, 0.0, -scale, 1.0], [0.0, scale, 2.0, scale]])
    t = np.array([2, 1])
    for opts in ({}, {"label_smoothing": 0.1}, {"reduction": "none"}):
        xe = ember.tensor(x, dtype=dtype, requires_grad=True)
        le = F.cross_entropy(xe, ember.tensor(t), **opts)
        le.backward(ember.ones_like(le))
        xt = torch.tensor(x, dtype=getattr(torch, str(dtype).split(".")[-1]),
                          requires_grad=True)
        lt = TF().cross_entropy(xt, torch.tensor(t), **opts)
        lt.backward(torch.ones_like(lt))
        assert np.isfinite(le.detach().numpy()).all() and np.isfinite(xe.grad.numpy()).all()
        np.testing.assert_allclose(le.detach().numpy(), lt.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_bce_with_logits_stable_at_large_logits():
    x = ember.tensor([1e4, -1e4, 0.0, 50.0], requires_grad=True)
    y = ember.tensor([0.0, 1.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none",
                                              pos_weight=ember.tensor([2.0]))
    loss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), [1e4, 2e4, 2 * np.log(2), 0.0],
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -2.0, -1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("ignore_index", [-100, 0])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_cross_entropy_double_backward_matches_torch(reduction, ignore_index):
    require_torch()
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 5))
    t = np.array([1, 0, 4, 2])
    v = rng.standard_normal((4, 5))
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t), reduction=reduction,
                                               label_smoothing=0.1,
                                               weight=lib.tensor(_w(5)),
                                               ignore_index=ignore_index)
        g = lib.tensor(np.linspace(0.5, 1.5, 4)) if reduction == "none" else None
        (gx,) = lib.autograd.grad(loss, (xt,), g, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        res.append((gx, xt.grad))
    for a, e in zip(*res):
        np.testing.assert_allclose(e.detach().numpy(), a.detach().numpy(), rtol=1e-9,
                                   atol=1e-12)


# ----------------------------------------------------------------------------------
# other losses
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}),
                                     ("smooth_l1_loss", {"beta": 0.0}),
                                     ("huber_loss", {"delta": 0.7})])
def test_pointwise_losses(name, kw, reduction):
    check_op(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kw),
             lambda a, b: getattr(TF(), name)(a, b, reduction=reduction, **kw),
             shapes=[(3, 4), (3, 4)], seed=12)


@pytest.mark.parametrize("reduction", RED)
def test_soft_margin_loss(reduction):
    x, y = make_inputs([(3, 4), (3, 4)], seed=25)
    check_op(lambda a, b: F.soft_margin_loss(a, b, reduction=reduction),
             lambda a, b: TF().soft_margin_loss(a, b, reduction=reduction),
             inputs=[x * 3, np.sign(y)], nondiff=(1,))


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    x = np.random.default_rng(13).uniform(0.05, 0.95, (3, 4))
    y = np.random.default_rng(14).random((3, 4))

    def fn(lib):
        def f(x, y):
            w = _tw(x, _w(4)) if weighted else None
            return lib.nn.functional.binary_cross_entropy(x, y, w, reduction=reduction)
        return f
    check_op(fn(ember), fn(torch), inputs=[x, y])


def test_binary_cross_entropy_clamps_log():
    x = ember.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = ember.tensor([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weighted,pos", [(False, False), (True, False), (False, True),
                                          (True, True)])
def test_binary_cross_entropy_with_logits(reduction, weighted, pos):
    x, y = make_inputs([(3, 4), (3, 4)], seed=15)
    y = 1 / (1 + np.exp(-y))

    def fn(lib):
        def f(x, y):
            w = _tw(x, _w(4)) if weighted else None
            pw = _tw(x, _w(4)[::-1].copy()) if pos else None
            return lib.nn.functional.binary_cross_entropy_with_logits(
                x, y, w, reduction=reduction, pos_weight=pw)
        return f
    check_op(fn(ember), fn(torch), inputs=[x * 3, y])


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.5, True),
                                               (1, 2.0, True)])
@pytest.mark.parametrize("xshape", [(5, 4), (4,)])
def test_multi_margin_loss(p, margin, weighted, reduction, xshape):
    C = xshape[-1]
    t = _targets(() if len(xshape) == 1 else (xshape[0],), C, seed=16)

    def fn(lib):
        def f(x, t):
            w = _tw(x, _w(C)) if weighted else None
            return lib.nn.functional.multi_margin_loss(x, t, p=p, margin=margin, weight=w,
                                                       reduction=reduction)
        return f
    check_op(fn(ember), fn(torch), inputs=[make_inputs([xshape], seed=17)[0], t])


@pytest.mark.filterwarnings("ignore:.*reduction.*mean")
@pytest.mark.parametrize("reduction", RED + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x, t = make_inputs([(3, 4), (3, 4)], seed=18)
    x = x - np.log(np.exp(x).sum(1, keepdims=True))
    if not log_target:
        t = np.exp(t) / np.exp(t).sum(1, keepdims=True)
    check_op(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
             lambda a, b: TF().kl_div(a, b, reduction=reduction, log_target=log_target),
             inputs=[x, t])


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("shape", [(4, 3), (3,)])
def test_cosine_embedding_and_margin_ranking(reduction, shape):
    # torch promotes the output to float64 for a float32 input and an int64/float64
    # target; ember keeps the input's dtype, so only float64 is compared here
    y = np.array([1, -1, 1, -1][:shape[0]]) if len(shape) == 2 else np.array(-1)
    check_op(lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.1, reduction=reduction),
             lambda a, b, y: TF().cosine_embedding_loss(a, b, y, margin=0.1,
                                                         reduction=reduction),
             inputs=make_inputs([shape, shape], seed=19) + [y], dtypes=("float64",))
    y = np.array([1.0, -1, 1, -1, 1])
    check_op(lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.2, reduction=reduction),
             lambda a, b, y: TF().margin_ranking_loss(a, b, y, margin=0.2,
                                                       reduction=reduction),
             inputs=make_inputs([(5,), (5,)], seed=20) + [y], nondiff=(2,),
             dtypes=("float64",))   # float32 with a float32 target: tests/nn/test_loss.py


@pytest.mark.parametrize("reduction", RED)
def test_poisson_and_triplet(reduction):
    t = np.random.default_rng(21).integers(0, 5, (3, 4)).astype(np.float64)
    check_op(lambda a, t: F.poisson_nll_loss(a, t, reduction=reduction),
             lambda a, t: TF().poisson_nll_loss(a, t, reduction=reduction),
             inputs=[make_inputs([(3, 4)], seed=22)[0], t], nondiff=(1,))
    check_op(lambda a, t: F.poisson_nll_loss(a, t, log_input=False, full=True,
                                             reduction=reduction),
             lambda a, t: TF().poisson_nll_loss(a, t, log_input=False, full=True,
                                                reduction=reduction),
             inputs=[make_inputs([(3, 4)], seed=23, domain="positive")[0], t], nondiff=(1,))
    for kw in ({}, {"p": 1, "swap": True, "margin": 3.0}):
        check_op(lambda a, p, n: F.triplet_margin_loss(a, p, n, reduction=reduction, **kw),
                 lambda a, p, n: TF().triplet_margin_loss(a, p, n, reduction=reduction, **kw),
                 shapes=[(4, 3), (4, 3), (4, 3)], seed=24)


# ----------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------
def test_cross_entropy_errors():
    x = ember.zeros(3, 10)
    with pytest.raises(IndexError, match="cross_entropy: target 10 is out of bounds for 10 "
                                         "classes"):
        F.cross_entropy(x, ember.tensor([1, 10, 2]))
    with pytest.raises(IndexError, match="target -3 is out of bounds"):
        F.cross_entropy(x, ember.tensor([1, -3, 2]))
    with pytest.raises(ValueError, match=r"batch_size \(3\) to match target batch_size \(4\)"):
        F.cross_entropy(x, ember.tensor([1, 2, 3, 4]))
    with pytest.raises(RuntimeError, match=r"batch_size \(3\)"):  # also a RuntimeError
        F.cross_entropy(x, ember.tensor([1, 2, 3, 4]))
    with pytest.raises(TypeError, match=r"integer dtype.*\(3, 10\).*\(3,\).*float32"):
        F.cross_entropy(x, ember.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=r"expected target of shape \(2, 4\).*\(2, 3\)"):
        F.cross_entropy(ember.zeros(2, 5, 4), ember.tensor([[0, 1, 2], [0, 1, 2]]))
    with pytest.raises(RuntimeError, match=r"weight tensor.*10 classes.*\(5,\)"):
        F.cross_entropy(x, ember.tensor([1, 2, 3]), weight=ember.ones(5))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, ember.tensor([1, 2, 3]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, ember.tensor([1, 2, 3]), reduction="avg")
    # ignore_index is exempt from the range check
    loss = F.cross_entropy(x, ember.tensor([1, -100, 2]))
    assert np.isfinite(loss.item())


def test_other_loss_errors():
    with pytest.raises(IndexError, match="nll_loss: target 4 is out of bounds for 4 classes"):
        F.nll_loss(ember.zeros(2, 4), ember.tensor([0, 4]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5, 0.2]), ember.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"target size \(2,\).*input size \(2, 1\)"):
        F.binary_cross_entropy_with_logits(ember.zeros(2, 1), ember.zeros(2))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(ember.zeros(2, 3), ember.tensor([0, 1]), p=3)
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(ember.zeros(3, 1), ember.zeros(3))


def test_all_ignored_mean_is_nan_like_torch():
    loss = F.cross_entropy(ember.zeros(2, 3), ember.tensor([-100, -100]))
    assert np.isnan(loss.item())
