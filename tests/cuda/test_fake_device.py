"""Ops and modules on "cuda" (the fake device of fake_cupy.py) against ember on the CPU.

Each case runs forward and backward on both devices from the same inputs and compares
outputs and gradients (no finite differences, no torch: the CPU results are checked
elsewhere). A NumPy call on "cuda" data fails here with TypeError, as it would on a GPU.
"""
import copy

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

TOL = dict(rtol=1e-5, atol=1e-6)


def _inputs(shapes, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if isinstance(s, tuple) and s and s[0] == "int":
            out.append(ember.tensor(rng.integers(0, s[1], size=s[2])))
            continue
        a = rng.standard_normal(s).astype(np.float32)
        out.append(ember.tensor(np.abs(a) + 0.5 if positive else a))
    return out


def _host(x):
    return x.detach().cpu().numpy() if isinstance(x, ember.Tensor) else np.asarray(x)


def _run(fn, tensors, device):
    xs = [t.detach().clone().to(device) for t in tensors]
    for x in xs:
        if x.is_floating_point():
            x.requires_grad_(True)
    out = fn(*xs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if isinstance(o, ember.Tensor)]
    for o in outs:
        assert o.device.type == device, f"output on {o.device}, expected {device}"
    loss = sum((o * ember.linspace(-1, 1, o.numel(), device=device).reshape(o.shape)).sum()
               for o in outs if o.is_floating_point() and o.requires_grad)
    if isinstance(loss, ember.Tensor):
        loss.backward()
    grads = [x.grad for x in xs if x.is_floating_point()]
    for g in grads:
        assert g is None or g.device.type == device
    return [_host(o) for o in outs], [None if g is None else _host(g) for g in grads]


def _compare(fn, shapes, positive=False, seed=0):
    ts = _inputs(shapes, seed, positive)
    ember.manual_seed(0)
    cpu = _run(fn, ts, "cpu")
    ember.manual_seed(0)
    ember.cuda.manual_seed(0)
    gpu = _run(fn, ts, "cuda")
    for a, b in zip(cpu[0] + cpu[1], gpu[0] + gpu[1]):
        if a is None:
            assert b is None
        else:
            np.testing.assert_allclose(b, a, **TOL)


def _setitem_case(x):
    y = x * 1
    y[0] = 0.0
    y[1, [0, 2]] = ember.tensor([5.0, 6.0], device=x.device)
    return y


OPS = {
    # elementwise and broadcasting
    "add": (lambda a, b: a + b, [(3, 4), (4,)]),
    "sub_scalar": (lambda a: 2.0 - a, [(3, 4)]),
    "mul": (lambda a, b: a * b, [(3, 4), (3, 1)]),
    "div": (lambda a, b: a / b, [(3, 4), (4,)], True),
    "pow": (lambda a: a ** 3, [(3, 4)]),
    "exp_log": (lambda a: a.exp() + a.log(), [(5,)], True),
    "sqrt_rsqrt": (lambda a: a.sqrt() * a.rsqrt(), [(5,)], True),
    "sin_cos_tanh": (lambda a: a.sin() + a.cos() * a.tanh(), [(2, 3)]),
    "sigmoid": (lambda a: ember.sigmoid(a), [(2, 3)]),
    "abs_clamp": (lambda a: a.abs() + a.clamp(-0.5, 0.5), [(4, 4)]),
    "where_maximum": (lambda a, b: ember.where(a > b, a, b) + ember.maximum(a, b), [(3, 3), (3, 3)]),
    "erf": (lambda a: ember.erf(a), [(6,)]),
    # reductions
    "sum_mean": (lambda a: a.sum(1) + a.mean(1), [(3, 5)]),
    "var_std": (lambda a: a.var(0) + a.std(0), [(4, 3)]),
    "max_min": (lambda a: a.max(1)[0] - a.min(0, keepdim=True)[0].sum(), [(3, 4)]),
    "argmax": (lambda a: a.argmax(1), [(3, 4)]),
    "logsumexp": (lambda a: a.logsumexp(1), [(3, 4)]),
    "norm": (lambda a: a.norm(), [(3, 4)]),
    "cumsum": (lambda a: a.cumsum(1), [(3, 4)]),
    "prod": (lambda a: a.prod(1), [(3, 4)]),
    "sort_topk": (lambda a: a.sort(1)[0] + a.topk(4, 1)[0], [(3, 4)]),
    # shape and indexing
    "reshape_permute": (lambda a: a.reshape(4, 6).t().permute(1, 0).contiguous(), [(2, 3, 4)]),
    "cat_stack": (lambda a, b: ember.cat([a, b], 1).sum() + ember.stack([a, b]), [(2, 3), (2, 3)]),
    "index_slice": (lambda a: a[1:, ::2] * 2, [(4, 5)]),
    "index_tensor": (lambda a, i: a[i], [(5, 3), ("int", 5, (4,))]),
    "gather_scatter": (lambda a, i: a.gather(1, i) + ember.zeros(3, 4, device=a.device).scatter(1, i, a[:, :2]).sum(),
                       [(3, 4), ("int", 4, (3, 2))]),
    "masked_fill": (lambda a: a.masked_fill(a > 0, 0.0), [(3, 4)]),
    "expand_repeat": (lambda a: a.expand(3, 4) + a.repeat(3, 1), [(1, 4)]),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(0).squeeze(0).flip(0), [(3, 4)]),
    "pad": (lambda a: F.pad(a, (1, 2)), [(2, 3)]),
    "chunk_split": (lambda a: a.chunk(2, 1)[1] + a.split(2, 1)[0], [(3, 4)]),
    "tril_triu": (lambda a: a.tril() + a.triu(1), [(4, 4)]),
    # linear algebra
    "matmul": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "bmm": (lambda a, b: ember.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    "einsum": (lambda a, b: ember.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(5, 4), (3, 4), (3,)]),
    # activations and nn functions
    "relu_family": (lambda a: F.relu(a) + F.leaky_relu(a, 0.1) + F.elu(a) + F.gelu(a) + F.silu(a), [(3, 4)]),
    "softplus_mish": (lambda a: F.softplus(a) + F.mish(a) + F.hardswish(a), [(3, 4)]),
    "softmax": (lambda a: F.softmax(a, 1) + F.log_softmax(a, 0), [(3, 4)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3, 2, 2), (3,), (3,)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, padding=1), [(2, 3, 7), (4, 3, 3), (4,)]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
    "conv2d_groups": (lambda x, w: F.conv2d(x, w, groups=2, dilation=2), [(1, 4, 7, 7), (4, 2, 3, 3)]),
    # big enough for the grid stride-1 kernel (ember/ops/_conv_grid.py)
    "conv2d_stacked": (lambda x, w: F.conv2d(x, w, padding=1), [(2, 32, 12, 12), (3, 32, 3, 3)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2), [(1, 3, 4, 4), (3, 2, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(2, 3, 4, 4)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=1, padding=1), [(2, 3, 4, 4)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, 1), [(2, 3, 4, 4)]),
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), [(1, 2, 3, 3)]),
    "embedding": (lambda i, w: F.embedding(i, w), [("int", 6, (2, 3)), (6, 4)]),
    "dropout": (lambda x: F.dropout(x, 0.5, training=True), [(4, 5)]),
    # losses
    "mse_l1": (lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b) + F.smooth_l1_loss(a, b), [(3, 4), (3, 4)]),
    "cross_entropy": (lambda x, t: F.cross_entropy(x, t), [(4, 5), ("int", 5, (4,))]),
    "nll_loss": (lambda x, t: F.nll_loss(F.log_softmax(x, 1), t), [(4, 5), ("int", 5, (4,))]),
    "bce_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()), [(3, 4), (3, 4)]),
    "bce": (lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()), [(3, 4), (3, 4)]),
    "kl_div": (lambda x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"), [(3, 4), (3, 4)]),
    # less common paths
    "interpolate_nearest": (lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), [(1, 2, 3, 3)]),
    "interpolate_bicubic": (lambda x: F.interpolate(x, size=(5, 4), mode="bicubic"), [(1, 2, 3, 3)]),
    "pad_reflect": (lambda x: F.pad(x, (2, 1), mode="reflect"), [(1, 2, 5)]),
    "unfold_fold": (lambda x: F.fold(F.unfold(x, 2), (4, 4), 2), [(1, 2, 4, 4)]),
    "median_mode": (lambda x: x.median(1)[0] + x.round().mode(1)[0], [(3, 5)]),
    "cumprod": (lambda x: x.cumprod(1), [(2, 4)]),
    "nonzero_masked_select": (lambda x: x.masked_select(x > 0).sum() + (x > 0).nonzero().sum(), [(3, 4)]),
    "where_scalar": (lambda x: ember.where(x > 0, x, 0.0), [(3, 4)]),
    "one_hot": (lambda i: F.one_hot(i, 5), [("int", 5, (4,))]),
    "instance_norm": (lambda x: F.instance_norm(x), [(2, 3, 4)]),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), [(1, 4, 2, 2)]),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (2, 3)), [(1, 2, 5, 6)]),
    "max_pool_unpool": (lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), [(1, 2, 4, 4)]),
    "embedding_bag": (lambda i, w: F.embedding_bag(i, w, mode="mean"), [("int", 6, (2, 3)), (6, 4)]),
    "cosine_pdist": (lambda a, b: F.cosine_similarity(a, b) + F.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    "triplet_margin": (lambda a, b, c: F.triplet_margin_loss(a, b, c), [(3, 4), (3, 4), (3, 4)]),
    "huber_ce_smoothing": (lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1) + F.huber_loss(x, x * 0.5),
                           [(4, 5), ("int", 5, (4,))]),
    "ctc_free_losses": (lambda x, y: F.soft_margin_loss(x, y.sign()) + F.hinge_embedding_loss(x, y.sign())
                        + F.poisson_nll_loss(x, y.abs()), [(3, 4), (3, 4)]),
    "clamp_tensor_bounds": (lambda x, lo: x.clamp(min=lo), [(3, 4), (4,)]),
    "std_mean_var_mean": (lambda x: ember.std_mean(x, 1)[0] + ember.var_mean(x, 0)[1].sum(), [(3, 4)]),
    "amax_aminmax": (lambda x: x.amax(1) + x.amin(1), [(3, 4)]),
    "diag_diagonal": (lambda x: ember.diag(x).sum() + ember.diagonal(x).sum(), [(4, 4)]),
    "roll_rot90": (lambda x: x.roll(1, 0) + x.rot90(2, (0, 1)), [(3, 3)]),
    "index_list_and_cpu_index": (lambda x: x[[0, 2]] + x[ember.tensor([1, 1])], [(3, 4)]),
    "setitem": (lambda x: _setitem_case(x), [(3, 4)]),
    "pdist_gumbel_hard": (lambda x: F.pdist(x).sum() + F.gumbel_softmax(x, hard=True).sum(), [(3, 4)]),
    "lbfgs_free_norms": (lambda x: ember.nn.utils.clip_grad_norm_([x], 1.0) * x, [(3, 4)]),
    "multilabel_margin": (lambda x, t: F.multilabel_margin_loss(x, t - 1), [(3, 4), ("int", 4, (3, 4))]),
    "pack_pad_roundtrip": (lambda x: nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.pack_padded_sequence(
        x, [3, 2], batch_first=True, enforce_sorted=False), batch_first=True)[0], [(2, 3, 4)]),
    "special_gamma_family": (lambda x: ember.special.gammaln(x) + ember.special.digamma(x)
                             + ember.special.log_ndtr(x - 2) + ember.special.erfcx(x), [(3, 4)], True),
    "linalg": (lambda a: ember.linalg.inv(a @ a.mT + ember.eye(3, device=a.device)).sum()
               + ember.linalg.det(a[:, :3]) + ember.linalg.svd(a, full_matrices=False)[1].sum()
               + ember.linalg.qr(a.mT)[1].abs().sum() + ember.linalg.cholesky(a @ a.mT + ember.eye(3, device=a.device)).sum()
               + ember.linalg.eigh(a @ a.mT)[0].sum() + ember.linalg.solve(a[:, :3] @ a[:, :3].mT
                                                                             + ember.eye(3, device=a.device), a).sum(),
               [(3, 4)]),
    "outer": (lambda a, b: ember.outer(a, b),
                    [(6,), (6,)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_on_cuda_matches_cpu(name):
    fn, shapes, *pos = OPS[name]
    _compare(fn, shapes, positive=bool(pos and pos[0]))


MODULES = {
    "mlp": (lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), (5, 4)),
    "cnn": (lambda: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3)), (2, 2, 4, 4)),
    "lstm": (lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3)),
    "gru": (lambda: nn.GRU(3, 4, bidirectional=True), (5, 2, 3)),
    "rnn": (lambda: nn.RNN(3, 4), (5, 2, 3)),
    "layernorm_gelu": (lambda: nn.Sequential(nn.LayerNorm(6), nn.GELU(), nn.Dropout(0.0)), (3, 6)),
    "attention": (lambda: nn.MultiheadAttention(8, 2, batch_first=True), (2, 3, 8)),
    "transformer_layer": (lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), (2, 3, 8)),
    "embedding_bag": (lambda: nn.Sequential(nn.Embedding(10, 4), nn.Flatten()), ("int", 10, (2, 3))),
    "groupnorm_convT": (lambda: nn.Sequential(nn.ConvTranspose2d(2, 4, 2, stride=2), nn.GroupNorm(2, 4)),
                        (1, 2, 3, 3)),
    "conv3d_pool3d": (lambda: nn.Sequential(nn.Conv3d(1, 2, 2), nn.MaxPool3d(2), nn.Flatten()), (1, 1, 5, 5, 5)),
    "conv1d_reflect_upsample": (lambda: nn.Sequential(nn.Conv1d(2, 3, 3, padding=1, padding_mode="reflect"),
                                                      nn.Upsample(scale_factor=2), nn.InstanceNorm1d(3)), (2, 2, 6)),
    "cells": (lambda: _Cells(), (2, 3)),
    "transformer_decoder": (lambda: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True), (2, 3, 8)),
    "residual_block": (lambda: _Residual(), (2, 4, 6, 6)),
    "prelu_local_response": (lambda: nn.Sequential(nn.PReLU(2), nn.LocalResponseNorm(2), nn.Softmax2d()),
                             (1, 2, 3, 3)),
}


class _Residual(nn.Module):
    """A ResNet basic block with a strided 1x1 downsample (ResNet-18's building block)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(4, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                                  nn.Conv2d(8, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8))
        self.down = nn.Sequential(nn.Conv2d(4, 8, 1, 2, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        return self.head((self.body(x) + self.down(x)).relu())


class _Cells(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.LSTMCell(3, 4), nn.GRUCell(4, 4), nn.RNNCell(4, 3)

    def forward(self, x):
        h, _ = self.a(x)
        return self.c(self.b(h))


def _module_run(make, shape, device, opt_cls=None):
    ember.manual_seed(0)
    m = make()
    m.to(device)
    for p in m.parameters():
        assert p.device.type == device
    (x,) = _inputs([shape])
    x = x.to(device)
    if isinstance(m, nn.MultiheadAttention):
        out = m(x, x, x)[0]
    elif isinstance(m, nn.TransformerDecoderLayer):
        out = m(x, x * 0.5)
    else:
        out = m(x)
    if isinstance(out, tuple):
        out = out[0]
    out.pow(2).mean().backward()
    res = [_host(out)] + [_host(p.grad) for p in m.parameters()]
    if opt_cls is not None:
        opt = opt_cls(m.parameters(), lr=0.01)
        sched = ember.optim.lr_scheduler.StepLR(opt, 1, 0.5)

        def closure():
            opt.zero_grad()
            loss = m(x).pow(2).mean()
            loss.backward()
            return loss
        for _ in range(2):
            opt.step(closure)
            sched.step()
        res += [_host(p) for p in m.parameters()]
        for state in opt.state.values():
            for v in state.values():
                if isinstance(v, ember.Tensor) and v.dim() > 0:
                    assert v.device.type == device, "optimizer state on the wrong device"
    return res


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_on_cuda_matches_cpu(name):
    make, shape = MODULES[name]
    for a, b in zip(_module_run(make, shape, "cpu"), _module_run(make, shape, "cuda")):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
              "ASGD", "Rprop", "LBFGS"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_on_cuda_matches_cpu(name):
    cls = getattr(ember.optim, name)
    make, shape = MODULES["mlp"]
    for a, b in zip(_module_run(make, shape, "cpu", cls), _module_run(make, shape, "cuda", cls)):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
