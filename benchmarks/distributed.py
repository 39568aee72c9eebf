"""Distributed benchmarks: all-reduce bandwidth and DDP throughput over MPI ranks.

    python -m benchmarks.distributed allreduce [-n 2]     # 1 KB .. 64 MB float32 messages
    python -m benchmarks.distributed ddp [-n 2]           # MLP and CNN recipes, 1 and n ranks

Each measurement runs under ``python -m ember.distributed.run`` (mpiexec) with the BLAS
threads split among the ranks (``cores // ranks`` each), without this machine's
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` (see benchmarks/README.md). Rank 0 prints a
Markdown table. Needs the ``[dist]`` extra.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

SIZES = [1 << k for k in range(10, 27, 2)]          # 1 KB .. 64 MB
MODELS = ("mlp", "cnn")
GLOBAL_BATCH = 64


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _launch(n, *args):
    threads = max(1, (os.cpu_count() or 1) // n)
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(n), "--threads",
           str(threads), os.path.abspath(__file__), "--worker", *args]
    out = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise SystemExit(f"benchmark on {n} ranks failed:\n{out.stderr}")
    return out.stdout


def _fmt_bytes(b):
    return f"{b >> 20} MB" if b >= 1 << 20 else f"{b >> 10} KB"


def memory_bandwidth():
    """One process copying 64 MB: (read + write bytes) / time, best of 7, in GB/s."""
    src = np.ones(SIZES[-1] // 4, dtype=np.float32)
    dst = np.empty_like(src)
    best = min(_timed(lambda: np.copyto(dst, src)) for _ in range(7))
    return 2 * src.nbytes / best / 1e9


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def worker_allreduce():
    import ember
    import ember.distributed as dist
    dist.init_process_group("mpi")
    n = dist.get_world_size()
    rows = []
    for size in SIZES:
        t = ember.ones(size // 4)
        reps = max(5, min(200, (1 << 24) // size))
        for _ in range(3):
            dist.all_reduce(t)
        times = []
        for _ in range(reps):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        worst = np.zeros(1)
        worst[0] = np.median(times)
        dist.all_reduce(ember.from_numpy(worst), op=dist.ReduceOp.MAX)
        rows.append((size, worst[0]))
    if dist.get_rank() == 0:
        for size, sec in rows:
            print(f"{size} {float(sec)!r} {n}")
    dist.destroy_process_group()


def _model(name):
    from ember.models import MLP, MnistCNN
    return MLP(784, (1024,), 10) if name == "mlp" else MnistCNN()


def worker_ddp(name, steps):
    import ember
    import ember.distributed as dist
    import ember.nn.functional as F
    from ember.nn.parallel import DistributedDataParallel as DDP
    from ember.vision import datasets
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    images, labels = datasets.load_mnist_sample("train")
    per = GLOBAL_BATCH // n
    x = ember.tensor(np.asarray(images[:GLOBAL_BATCH], dtype=np.float32).reshape(-1, 1, 28, 28)
                     / 255.0)[rank * per:(rank + 1) * per]
    y = ember.tensor(np.asarray(labels[:GLOBAL_BATCH], dtype=np.int64))[rank * per:(rank + 1) * per]
    ember.manual_seed(0)
    model = DDP(_model(name))
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    sec = time.perf_counter() - start
    if rank == 0:
        print(f"{name} {n} {steps * GLOBAL_BATCH / sec:.1f} {sec / steps * 1e3:.1f}")
    dist.destroy_process_group()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("allreduce", "ddp"))
    p.add_argument("-n", type=int, default=2, help="ranks (default 2)")
    p.add_argument("--steps", type=int, default=20, help="timed DDP steps (CNN: half)")
    p.add_argument("--repeats", type=int, default=3, help="runs per setting (DDP: alternating "
                   "1 and n ranks); the best is reported (the machine is shared)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        if a.what == "allreduce":
            worker_allreduce()
        else:
            worker_ddp(a.rest[0], int(a.rest[1]))
        return 0
    if a.what == "allreduce":
        print(f"memory bandwidth (one process, 64 MB copy): {memory_bandwidth():.1f} GB/s\n")
        best = {}
        for _ in range(a.repeats):
            for line in _launch(a.n, "allreduce").split("\n"):
                if line.strip():
                    size, sec, _n = line.split()
                    best[int(size)] = min(best.get(int(size), 1e9), float(sec))
        print(f"| message | all-reduce time ({a.n} ranks, best of {a.repeats} medians) | "
              "algorithm bandwidth | bus bandwidth |")
        print("|---|---|---|---|")
        for size, sec in sorted(best.items()):
            # bus bandwidth as NCCL reports it: each rank sends/receives 2(n-1)/n of the data
            bus = 2 * (a.n - 1) / a.n * size / sec / 1e9
            print(f"| {_fmt_bytes(size)} | {sec * 1e6:,.0f} us | {size / sec / 1e9:.2f} GB/s | "
                  f"{bus:.2f} GB/s |")
        return 0
    print(f"| model | ranks | threads/rank | samples/s (best of {a.repeats}) | "
          f"ms/step (global batch {GLOBAL_BATCH}) | speed-up |")
    print("|---|---|---|---|---|---|")
    for name in MODELS:
        steps = a.steps if name == "mlp" else max(2, a.steps // 2)
        best = {}
        for _ in range(a.repeats):          # alternate, so load changes hit both alike
            for n in sorted({1, a.n}):
                rate = float(_launch(n, "ddp", name, str(steps)).split()[2])
                best[n] = max(best.get(n, 0.0), rate)
        for n in sorted(best):
            threads = max(1, (os.cpu_count() or 1) // n)
            print(f"| {name} | {n} | {threads} | {best[n]:.0f} | "
                  f"{GLOBAL_BATCH / best[n] * 1e3:.1f} | {best[n] / best[1]:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
