"""Side-by-side timings of ember's fused normalization and loss ops against PyTorch CPU.

Cases (forward + backward, float32):
  * BatchNorm2d, batch 128, 64 channels, 16x16, training mode;
  * cross_entropy with class indices, batch 128, 10 classes and 1000 classes.

ember and torch run interleaved (one ember step, one torch step, repeated) in one
process with the same thread count; the reported ratio is the median over repeats of
ember_time / torch_time (> 1 means ember is slower).

Usage:
    python benchmarks/bench_norm_loss.py [--repeats 30] [--threads 1] [--json out.json]
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import numpy as np

if __name__ == "__main__":   # run as a script: import the ember of this checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _limit_threads(threads):
    """Context manager capping NumPy's BLAS threads (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=threads)
    except ImportError:   # pragma: no cover - optional
        return contextlib.nullcontext()


def _cases():
    import ember
    import ember.nn
    import ember.nn.functional
    import torch
    rng = np.random.default_rng(0)

    def bn_case():
        x = rng.standard_normal((128, 64, 16, 16)).astype(np.float32)
        g = rng.standard_normal(x.shape).astype(np.float32)
        ebn, tbn = ember.nn.BatchNorm2d(64), torch.nn.BatchNorm2d(64)
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        eg, tg = ember.tensor(g), torch.tensor(g)

        def e_step():
            ex.grad = None
            ebn.zero_grad()
            ebn(ex).backward(eg)

        def t_step():
            tx.grad = None
            tbn.zero_grad()
            tbn(tx).backward(tg)
        return e_step, t_step

    def ce_case(classes):
        x = (rng.standard_normal((128, classes)) * 3).astype(np.float32)
        y = rng.integers(0, classes, 128)
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ey, ty = ember.tensor(y), torch.tensor(y)

        def e_step():
            ex.grad = None
            ember.nn.functional.cross_entropy(ex, ey).backward()

        def t_step():
            tx.grad = None
            torch.nn.functional.cross_entropy(tx, ty).backward()
        return e_step, t_step

    return {
        "batchnorm2d_128x64x16x16_fwd_bwd": bn_case(),
        "cross_entropy_128x10_fwd_bwd": ce_case(10),
        "cross_entropy_128x1000_fwd_bwd": ce_case(1000),
    }


def _time(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def run(repeats=30, threads=1):
    """Time every case; returns ``{case: {ember_ms, torch_ms, ratio}}`` (medians;
    ratio = median of per-repeat ember/torch ratios)."""
    import torch
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    with _limit_threads(threads):
        results = {}
        for name, (e_step, t_step) in _cases().items():
            for _ in range(3):          # warm up both
                e_step()
                t_step()
            # aim for >= ~5 ms per sample to keep timer noise down
            one = max(_time(e_step, 1), _time(t_step, 1), 1e-6)
            inner = max(1, int(0.005 / one))
            e_ts, t_ts = [], []
            for _ in range(repeats):
                e_ts.append(_time(e_step, inner))
                t_ts.append(_time(t_step, inner))
            results[name] = {
                "ember_ms": statistics.median(e_ts) * 1e3,
                "torch_ms": statistics.median(t_ts) * 1e3,
                "ratio": statistics.median(e / t for e, t in zip(e_ts, t_ts)),
                "repeats": repeats,
                "threads": threads,
            }
    torch.set_num_threads(prev_threads)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    res = run(args.repeats, args.threads)
    print(f"{'case':40s} {'ember ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name, r in res.items():
        print(f"{name:40s} {r['ember_ms']:10.3f} {r['torch_ms']:10.3f} {r['ratio']:7.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    main()
