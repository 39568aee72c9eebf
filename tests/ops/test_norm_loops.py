"""Batch norm's compiled loops (ember/ops/_norm_loops.py, the ``numba`` extra) against
finite differences and PyTorch, on both paths (the loops and NumPy's passes) with rows long
enough for the loops; NaN and infinity propagate; the bits do not depend on the threads."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.backend import _jit
from ember.ops import norm
from tests.helpers import check_op, make_inputs, require_torch, torch
from tests.backend.test_jit import NUMBA_REQUIRED


@pytest.fixture(params=["loops", "numpy"])
def path(request, monkeypatch):
    """Run the test on the compiled loops, then with them switched off."""
    _jit.reset()
    if request.param == "numpy":
        monkeypatch.setenv("EMBER_NUMBA", "0")
    elif not _jit.available():
        if NUMBA_REQUIRED:
            pytest.fail("numba is part of the test extra but could not be imported")
        pytest.skip("the numba extra is not installed")
    yield request.param
    _jit.reset()


def _uses_loops(shape):
    return int(np.prod(shape[2:])) >= norm.MIN_LOOP_ROW


@pytest.mark.parametrize("shape", [(3, 2, 4, 5), (2, 3, 17), (2, 2, 2, 3, 4)])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_batch_norm_train_on_both_paths(path, shape, affine):
    assert _uses_loops(shape)
    C = shape[1]
    x, w, b = make_inputs([shape, (C,), (C,)], seed=3)
    args = {"both": lambda w, b: (w, b), "weight": lambda w, b: (w, None),
            "none": lambda w, b: (None, None)}[affine]
    n = {"both": 3, "weight": 2, "none": 1}[affine]

    def fn(mod):
        def run(x, *wb):
            wb = args(*(tuple(wb) + (None,) * (2 - len(wb))))
            return mod.batch_norm(x, None, None, *wb, training=True)
        return run
    check_op(fn(F), fn(torch.nn.functional) if torch is not None else None,
             inputs=[x * 2 + 1, w + 1.5, b][:n], noncontiguous=True)


def test_loops_and_numpy_agree_on_a_training_step(monkeypatch):
    if not _jit.available():
        pytest.skip("the numba extra is not installed")
    r = np.random.default_rng(0)
    x = r.standard_normal((8, 4, 6, 6)).astype(np.float32) * 3 + 2
    g = r.standard_normal(x.shape).astype(np.float32)
    results = []
    for env in ("1", "0"):
        monkeypatch.setenv("EMBER_NUMBA", env)
        _jit.reset()
        bn = ember.nn.BatchNorm2d(4)
        xt = ember.tensor(x, requires_grad=True)
        bn(xt).backward(ember.tensor(g))
        results.append([xt.grad.numpy(), bn.weight.grad.numpy(), bn.bias.grad.numpy(),
                        bn.running_mean.numpy(), bn.running_var.numpy()])
    _jit.reset()
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # NumPy's, on NaN
def test_nan_and_inf_propagate_as_in_pytorch(path):
    # the loops are compiled without numba's "no NaNs / no infinities" assumptions
    x = np.arange(64, dtype=np.float32).reshape(2, 2, 4, 4)
    x[0, 0, 1, 1] = np.nan
    g = np.ones_like(x)
    g[0, 1, 0, 0] = np.inf
    out = []
    for lib in (ember, require_torch()):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.batch_norm(xt, None, None, training=True)
        y.backward(lib.tensor(g))
        out.append([y.detach().numpy(), xt.grad.numpy()])
    for a, b in zip(*out):
        assert np.array_equal(np.isnan(a), np.isnan(b))
        assert np.array_equal(np.isposinf(a), np.isposinf(b))
        assert np.array_equal(np.isneginf(a), np.isneginf(b))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_bits_on_any_thread_count(path, dtype):
    # 2**20 elements: two parts (ember/ops/_im2col.py fixed_parts), so threads share them
    r = np.random.default_rng(1)
    x = r.standard_normal((16, 4, 128, 128)).astype(dtype)
    g = r.standard_normal(x.shape).astype(dtype)
    w = ember.tensor(r.standard_normal(4).astype(dtype), requires_grad=True)
    old = ember.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            ember.set_num_threads(threads)
            w.grad = None
            xt = ember.tensor(x, requires_grad=True)
            y = F.batch_norm(xt, None, None, w, None, training=True)
            y.backward(ember.tensor(g))
            results.append([y.detach().numpy(), xt.grad.numpy(), w.grad.numpy()])
    finally:
        ember.set_num_threads(old)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)
