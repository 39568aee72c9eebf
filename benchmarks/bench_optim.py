"""Optimizer step time, ember vs PyTorch (CPU), on a 10M-parameter "model" made of a
few large float32 tensors with fixed gradients.

Measures ``opt.step()`` alone (no forward/backward) for Adam and SGD with momentum,
interleaving ember and torch repetitions so that both see the same machine state, and
reports the median time of each and the median of the per-repetition ratios.

Run standalone: ``python benchmarks/bench_optim.py [--repeats N] [--json out.json]``;
or call ``run(repeats)`` which returns a dict.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

SHAPES = [(4096, 1024), (1024, 4096), (1024, 1024), (1024, 512), (512,), (1024,)]
# per-tensor overhead: 50 small tensors (a small MLP/CNN's worth)
SMALL_SHAPES = [(64, 64), (64,)] * 25


def _n_params(shapes=SHAPES):
    return sum(int(np.prod(s)) for s in shapes)


def _arrays(shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    ps = [rng.standard_normal(s, dtype=np.float32) * 0.02 for s in shapes]
    gs = [rng.standard_normal(s, dtype=np.float32) * 0.01 for s in shapes]
    return ps, gs


def _setup_ember(name, kw, ps, gs):
    import ember
    params = [ember.tensor(p.copy(), requires_grad=True) for p in ps]
    for p, g in zip(params, gs):
        p.grad = ember.tensor(g.copy())
    return getattr(ember.optim, name)(params, **kw)


def _setup_torch(name, kw, ps, gs):
    import torch
    params = [torch.tensor(p.copy(), requires_grad=True) for p in ps]
    for p, g in zip(params, gs):
        p.grad = torch.tensor(g.copy())
    return getattr(torch.optim, name)(params, **kw)


def _time_step(opt, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        opt.step()
    return (time.perf_counter() - t0) / inner


# name: (optimizer, kwargs, shapes, steps per timed repetition relative to ``inner``)
CONFIGS = {
    "adam": ("Adam", dict(lr=1e-3), SHAPES, 1),
    "sgd_momentum": ("SGD", dict(lr=0.01, momentum=0.9), SHAPES, 1),
    "adam_50_small": ("Adam", dict(lr=1e-3), SMALL_SHAPES, 30),
    "sgd_momentum_50_small": ("SGD", dict(lr=0.01, momentum=0.9), SMALL_SHAPES, 30),
}


def run(repeats=7, inner=3, warmup=2, torch_threads=None):
    """Time ``step()`` of each config; returns a dict of results.

    Args:
        repeats (int): interleaved ember/torch repetitions (medians are taken).
        inner (int): steps per timed repetition.
        warmup (int): untimed steps first (state allocation, scratch buffers).
        torch_threads (int, optional): ``torch.set_num_threads`` for the run (ember's
            NumPy update is single-threaded); default: leave torch's setting.

    Returns:
        dict: ``{"n_params": ..., "threads": ..., "results": {config: {"ember_ms",
        "torch_ms", "ratio"}}}`` where the times are medians over ``repeats`` and
        ``ratio`` is the median of ember/torch per repetition (> 1: ember slower).
    """
    out = {"n_params": _n_params(), "n_params_small": _n_params(SMALL_SHAPES),
           "repeats": repeats, "inner": inner, "results": {}}
    try:
        import torch
        old_threads = torch.get_num_threads()
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)
        out["torch_threads"] = torch.get_num_threads()
    except ImportError:
        torch = None
    for key, (name, kw, shapes, mult) in CONFIGS.items():
        ps, gs = _arrays(shapes)
        n_inner = inner * mult
        eopt = _setup_ember(name, kw, ps, gs)
        topt = _setup_torch(name, kw, ps, gs) if torch is not None else None
        for _ in range(warmup):
            eopt.step()
            if topt is not None:
                topt.step()
        et, tt, ratios = [], [], []
        for _ in range(repeats):
            e = _time_step(eopt, n_inner)
            et.append(e)
            if topt is not None:
                t = _time_step(topt, n_inner)
                tt.append(t)
                ratios.append(e / t)
        res = {"ember_ms": 1e3 * float(np.median(et))}
        if topt is not None:
            res["torch_ms"] = 1e3 * float(np.median(tt))
            res["ratio"] = float(np.median(ratios))
        out["results"][key] = res
        del eopt, topt
    if torch is not None:
        torch.set_num_threads(old_threads)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--inner", type=int, default=3)
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads for the run (default: torch's own)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    res = run(args.repeats, args.inner, torch_threads=args.torch_threads)
    print(f"optimizer step, {res['n_params'] / 1e6:.1f}M float32 parameters in "
          f"{len(SHAPES)} tensors, or {res['n_params_small']} in {len(SMALL_SHAPES)} small "
          f"ones (torch threads: {res.get('torch_threads')})")
    for key, r in res["results"].items():
        line = f"  {key:22s} ember {r['ember_ms']:8.3f} ms"
        if "torch_ms" in r:
            line += f"   torch {r['torch_ms']:8.3f} ms   ratio {r['ratio']:.2f}x"
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
