"""Side-by-side timings of ember's convolution and pooling against PyTorch CPU.

Cases (forward + backward, float32, input, weight and bias gradients):
  * conv2d  batch 128, 64 -> 64 channels, 16x16, kernel 3, padding 1;
  * conv2d  batch 128, 1 -> 32 channels, 28x28, kernel 5 (MNIST first layer);
  * conv2d  batch 128, 32 -> 64 channels, 14x14, kernel 3, stride 2, padding 1;
  * conv_transpose2d batch 64, 64 -> 32 channels, 8x8 -> 16x16 (kernel 4, stride 2, pad 1);
  * max_pool2d 2x2 on 128 x 32 x 28 x 28; max_pool2d 3x3 stride 2 pad 1 on 64 x 64 x 32 x 32.

ember and torch run interleaved (one ember step, one torch step, repeated) in one process
with the same thread count; the reported ratio is the median over repeats of
ember_time / torch_time (> 1 means ember is slower).

Usage:
    python benchmarks/bench_conv.py [--repeats 20] [--threads N] [--json out.json]
"""
import argparse
import contextlib
import json
import statistics
import time

import numpy as np


def _limit_threads(threads):
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=threads)
    except ImportError:   # pragma: no cover - optional
        return contextlib.nullcontext()


def _cases():
    import ember
    import ember.nn.functional as F
    import torch
    TF = torch.nn.functional
    rng = np.random.default_rng(0)

    def arrays(*shapes, scale=1.0):
        return [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]

    def conv_case(n, cin, cout, size, k, stride=1, padding=0):
        x, w, b = arrays((n, cin, size, size), (cout, cin, k, k), (cout,), scale=0.1)
        out = (size + 2 * padding - k) // stride + 1
        (g,) = arrays((n, cout, out, out))
        e = [ember.from_numpy(a).requires_grad_() for a in (x, w, b)]
        t = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        eg, tg = ember.from_numpy(g), torch.tensor(g)

        def e_step():
            for a in e:
                a.grad = None
            F.conv2d(*e, stride=stride, padding=padding).backward(eg)

        def t_step():
            for a in t:
                a.grad = None
            TF.conv2d(*t, stride=stride, padding=padding).backward(tg)
        return e_step, t_step

    def convt_case():
        x, w, b = arrays((64, 64, 8, 8), (64, 32, 4, 4), (32,), scale=0.1)
        (g,) = arrays((64, 32, 16, 16))
        e = [ember.from_numpy(a).requires_grad_() for a in (x, w, b)]
        t = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        eg, tg = ember.from_numpy(g), torch.tensor(g)

        def e_step():
            for a in e:
                a.grad = None
            F.conv_transpose2d(*e, stride=2, padding=1).backward(eg)

        def t_step():
            for a in t:
                a.grad = None
            TF.conv_transpose2d(*t, stride=2, padding=1).backward(tg)
        return e_step, t_step

    def pool_case(shape, k, stride, padding):
        (x,) = arrays(shape)
        ex, tx = ember.from_numpy(x).requires_grad_(), torch.tensor(x, requires_grad=True)
        out = TF.max_pool2d(tx, k, stride, padding)
        (g,) = arrays(tuple(out.shape))
        eg, tg = ember.from_numpy(g), torch.tensor(g)

        def e_step():
            ex.grad = None
            F.max_pool2d(ex, k, stride, padding).backward(eg)

        def t_step():
            tx.grad = None
            TF.max_pool2d(tx, k, stride, padding).backward(tg)
        return e_step, t_step

    return {
        "conv2d_b128_64x64_16x16_k3": lambda: conv_case(128, 64, 64, 16, 3, 1, 1),
        "conv2d_b128_1x32_28x28_k5": lambda: conv_case(128, 1, 32, 28, 5),
        "conv2d_b128_32x64_14x14_k3_s2": lambda: conv_case(128, 32, 64, 14, 3, 2, 1),
        "conv_transpose2d_b64_64x32_8to16_k4_s2": convt_case,
        "max_pool2d_b128_32x28x28_k2": lambda: pool_case((128, 32, 28, 28), 2, 2, 0),
        "max_pool2d_b64_64x32x32_k3_s2_p1": lambda: pool_case((64, 64, 32, 32), 3, 2, 1),
    }


def _time(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(repeats=20, threads=None, warmup=2):
    """Time every case; returns {case: {"ember_ms", "torch_ms", "ratio"}} (medians)."""
    import torch
    from ember.ops import _im2col
    old, old_e = torch.get_num_threads(), _im2col._THREADS
    if threads is not None:
        torch.set_num_threads(threads)
        _im2col._THREADS = threads    # ember's own copy threads (im2col/col2im/pool windows)
    results = {}
    try:
        with _limit_threads(threads):
            for name, make in _cases().items():
                e_step, t_step = make()
                for _ in range(warmup):
                    e_step()
                    t_step()
                te, tt, ratios = [], [], []
                for _ in range(repeats):
                    a = _time(e_step)
                    b = _time(t_step)
                    te.append(a)
                    tt.append(b)
                    ratios.append(a / b)
                results[name] = {"ember_ms": round(statistics.median(te) * 1e3, 2),
                                 "torch_ms": round(statistics.median(tt) * 1e3, 2),
                                 "ratio": round(statistics.median(ratios), 2)}
    finally:
        torch.set_num_threads(old)
        _im2col._THREADS = old_e
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--threads", type=int, default=None,
                   help="thread count for both libraries (default: their defaults)")
    p.add_argument("--json", default=None, help="also write the results to this file")
    args = p.parse_args(argv)
    res = run(args.repeats, args.threads)
    width = max(len(k) for k in res)
    print(f"{'case':<{width}}  {'ember ms':>9}  {'torch ms':>9}  {'ratio':>6}")
    for k, v in res.items():
        print(f"{k:<{width}}  {v['ember_ms']:>9.2f}  {v['torch_ms']:>9.2f}  {v['ratio']:>6.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
