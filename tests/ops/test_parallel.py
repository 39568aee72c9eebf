"""ember's own parallel work (ember/ops/_im2col.py: run_shared, parallel_matmul) and the
thread policy (ember/threads.py): same results as serial code, errors propagate."""
import threading

import numpy as np
import pytest

import ember
from ember.ops._im2col import parallel_matmul, run_concurrently, run_shared, split_over_threads


@pytest.fixture
def four_threads():
    old = ember.get_num_threads()
    ember.set_num_threads(4)
    yield
    ember.set_num_threads(old)


def test_run_shared_returns_results_in_order(four_threads):
    assert run_shared(list(range(23)), lambda i: i * i) == [i * i for i in range(23)]


def test_run_shared_caller_finishes_when_helpers_never_start(four_threads, monkeypatch):
    """A busy machine: the pool's threads are not scheduled; the caller does all parts."""
    import ember.ops._im2col as im

    class Stalled:
        def submit(self, fn):      # a worker that starts only after the caller is done
            self.late = fn
    stalled = Stalled()
    monkeypatch.setattr(im, "_pool", lambda t: stalled)
    seen = []
    out = run_shared(list(range(6)), lambda i: seen.append(threading.get_ident()) or i + 1)
    assert out == [1, 2, 3, 4, 5, 6] and set(seen) == {threading.get_ident()}
    stalled.late()                 # starting late finds nothing to do and returns


def test_run_shared_reraises_the_first_error(four_threads):
    def fn(i):
        if i == 3:
            raise ValueError("part 3 failed")
        return i
    with pytest.raises(ValueError, match="part 3 failed"):
        run_shared(list(range(8)), fn)


def test_run_concurrently_runs_each_task_single_threaded(four_threads):
    """Tasks side by side: results in order, ember's kernels inside a task see one thread,
    the calling thread gets its threads back afterwards, even when a task raises."""
    import ember.ops._im2col as im
    seen = []

    def task(i):
        def run():
            seen.append(im._threads())
            return run_shared(list(range(5)), lambda k: k + i)
        return run
    assert run_concurrently(np, [task(0), task(10), task(20)]) == [
        [0, 1, 2, 3, 4], [10, 11, 12, 13, 14], [20, 21, 22, 23, 24]]
    assert seen == [1, 1, 1] and im._threads() == 4

    def fails():
        raise ValueError("task failed")
    with pytest.raises(ValueError, match="task failed"):
        run_concurrently(np, [fails, task(0)])
    assert im._threads() == 4


def test_run_concurrently_on_one_thread_runs_the_tasks_in_turn():
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert run_concurrently(np, [lambda: 1, lambda: 2]) == [1, 2]
    finally:
        ember.set_num_threads(old)


@pytest.mark.parametrize("shape_a,shape_b", [((300, 200), (200, 150)), ((3, 120, 90), (3, 90, 110)),
                                             ((5, 7), (7, 3)), ((200, 300), (300,)),
                                             ((64, 200), (200, 300)),    # split by columns
                                             ((500, 300), (300, 700)), ((700, 300), (300, 500))])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parallel_matmul_equals_matmul(shape_a, shape_b, dtype, monkeypatch):
    """Parts by rows or by columns: the product, and the same bits for any thread count
    (BLAS may round a part differently from the whole GEMM, never differently by threads)."""
    import ember.ops._im2col as im
    monkeypatch.setattr(im, "_GEMM_PAR_MIN_MACS", 1)     # split even small products
    r = np.random.default_rng(0)
    a, b = r.standard_normal(shape_a).astype(dtype), r.standard_normal(shape_b).astype(dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    results = []
    old = ember.get_num_threads()
    try:
        for t in (1, 2, 4):
            ember.set_num_threads(t)
            results.append(parallel_matmul(np, a, b))
    finally:
        ember.set_num_threads(old)
    np.testing.assert_allclose(results[0], a @ b, rtol=tol, atol=tol)
    assert all(np.array_equal(results[0], r_) for r_ in results[1:])
    out = np.empty((a @ b).shape, dtype=dtype)
    assert parallel_matmul(np, a, b, out=out) is out
    assert np.array_equal(out, results[0])


def test_split_over_threads_covers_every_item_once(four_threads):
    parts = split_over_threads(np, list(range(37)), lambda part: list(part))
    assert sorted(i for p in parts for i in p) == list(range(37))


def test_set_num_threads_validates_and_reports():
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(3)
        assert ember.get_num_threads() == 3
        with pytest.raises(ValueError, match="positive number of threads"):
            ember.set_num_threads(0)
    finally:
        ember.set_num_threads(old)


def test_numpy_blas_is_single_threaded_after_import():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)


def test_training_results_do_not_depend_on_the_thread_count(monkeypatch):
    import ember.ops._im2col as im
    monkeypatch.setattr(im, "_GEMM_PAR_MIN_MACS", 1)

    def run(threads):
        ember.set_num_threads(threads)
        ember.manual_seed(0)
        net = ember.nn.Sequential(ember.nn.Conv2d(2, 4, 3, padding=1), ember.nn.ReLU(),
                                  ember.nn.Flatten(), ember.nn.Linear(4 * 8 * 8, 5))
        x = ember.randn(6, 2, 8, 8)
        net(x).sum().backward()
        return [p.grad.numpy().copy() for p in net.parameters()]
    old = ember.get_num_threads()
    try:
        for a, b in zip(run(1), run(4)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    finally:
        ember.set_num_threads(old)


def test_conv_weight_gradient_is_bitwise_the_same_for_any_thread_count():
    """The machine's load may drop ember to one thread: results must not change with it."""
    r = np.random.default_rng(3)
    x = r.standard_normal((16, 16, 32, 32)).astype(np.float32)   # several column chunks
    w = r.standard_normal((8, 16, 3, 3)).astype(np.float32)
    old = ember.get_num_threads()
    grads = []
    try:
        for threads in (1, 2, 4):
            ember.set_num_threads(threads)
            xt, wt = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
            (ember.nn.functional.conv2d(xt, wt, padding=1) ** 2).sum().backward()
            grads.append((wt.grad.numpy().copy(), xt.grad.numpy().copy()))
    finally:
        ember.set_num_threads(old)
    for g in grads[1:]:
        np.testing.assert_array_equal(g[0], grads[0][0])
        np.testing.assert_array_equal(g[1], grads[0][1])


# ---------------------------------------------------------------- memory-bound ops in parts
@pytest.fixture
def tiny_parts(monkeypatch):
    """Split batch norm, relu and max pooling into parts even on test-sized tensors."""
    import ember.ops._im2col as im
    monkeypatch.setattr(im, "PART_ELEMENTS", 16)


PARTED_OPS = {
    "batch_norm": (lambda F: (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
                   [(4, 5, 3, 3), (5,), (5,)]),
    "relu": (lambda F: F.relu, [(4, 5, 3, 3)]),
    "max_pool2d": (lambda F: (lambda x: F.max_pool2d(x, 2)), [(5, 3, 4, 6)]),
    "max_pool2d_overlap": (lambda F: (lambda x: F.max_pool2d(x, 3, 2, 1)), [(5, 3, 5, 6)]),
}


@pytest.mark.parametrize("name", sorted(PARTED_OPS))
def test_ops_split_in_parts_match_torch(name, tiny_parts, four_threads):
    from tests.helpers import check_op, torch
    import ember.nn.functional as F
    make, shapes = PARTED_OPS[name]
    check_op(make(F), torch is not None and make(torch.nn.functional), shapes)


@pytest.mark.parametrize("name", sorted(PARTED_OPS))
def test_ops_split_in_parts_are_bitwise_the_same_for_any_thread_count(name, tiny_parts):
    import ember.nn.functional as F
    make, shapes = PARTED_OPS[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    results = []
    old = ember.get_num_threads()
    try:
        for t in (1, 3):
            ember.set_num_threads(t)
            ts = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
            y = make(F)(*ts)
            y.backward(ember.from_numpy(np.cos(np.arange(y.numel(), dtype=np.float32))
                                        .reshape(tuple(y.shape))))
            results.append([y.detach().numpy()] + [t_.grad.numpy() for t_ in ts])
    finally:
        ember.set_num_threads(old)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_default_thread_count_follows_omp_num_threads():
    """As PyTorch: a launcher's OMP_NUM_THREADS sets ember's default thread count."""
    import os
    import subprocess
    import sys
    code = "import ember; print(ember.get_num_threads())"
    for value, want in (("3", "3"), ("junk", None)):
        env = dict(os.environ, OMP_NUM_THREADS=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        if want is not None:
            assert out == want
        else:
            assert int(out) >= 1


def test_back_off_to_one_thread_after_repeated_stalls(four_threads, monkeypatch):
    """Busy cores: when the caller keeps waiting on a helper thread far longer than it
    worked itself, ember runs on one thread for a while; a single stall does not count."""
    import time
    import ember.ops._im2col as im
    monkeypatch.setattr(im, "_WARMUP_RUNS", 0)
    monkeypatch.setattr(im, "_stalls", [])
    monkeypatch.setattr(im, "_contended_until", 0.0)
    main = threading.get_ident()

    def slow_elsewhere(i):
        # the caller's part takes 2 ms (so the helper claims the other one); the helper's
        # 30 ms: a thread the OS let run late
        time.sleep(0.002 if threading.get_ident() == main else 0.03)
    for k in range(im._STALLS):
        assert im._threads() == 4
        for _ in range(50):             # until the helper really took a part and stalled us
            before = len(im._stalls)
            run_shared([0, 1], slow_elsewhere)
            if len(im._stalls) > before or im._contended_until:
                break
    assert im._threads() == 1
