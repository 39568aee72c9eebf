"""``python -m benchmarks.layers [MODEL] [--threads N] [--batch B]``: one network's layers
timed one by one, each library alone in its own process (PyTorch's weights loaded into
ember): forward, and forward + backward with a random upstream gradient, on the
activations the network gives each layer; then the loss and an Adam step. With one thread
it reports process CPU time (steadier on a shared machine), else wall time; the minimum of
5 runs of 5 calls. MODEL is a ``Sequential`` of ``benchmarks/models.py`` taking 28x28
images: fashion_cnn (default), fashion_mlp, cnn, mlp.

    python -m benchmarks.layers fashion_cnn --threads 1
"""
import argparse
import json
import subprocess
import sys
import time

import numpy as np


def _time(fn, clock, k=5):
    for _ in range(2):
        fn()
    best = []
    for _ in range(5):
        c = clock()
        for _ in range(k):
            fn()
        best.append((clock() - c) / k * 1e3)
    return min(best)


def measure(model, lib, threads, batch):
    """{layer name: (forward ms, forward+backward ms)} for ``lib`` in this process."""
    from . import models
    from .harness import pin_threads
    from .workloads import _model
    net = _model(lib, getattr(models, model))
    pin_threads(threads, lib)
    L = __import__(lib)
    net.train()
    clock = time.process_time if threads == 1 else time.perf_counter
    r = np.random.default_rng(0)
    shape = (batch, 784) if model == "mlp" else (batch, 1, 28, 28)
    x = L.from_numpy(r.standard_normal(shape, dtype=np.float32))
    res = {}
    for name, layer in net.named_children():
        xin = x.detach().requires_grad_()
        with L.no_grad():
            y = layer(xin)
        g = L.from_numpy(r.standard_normal(tuple(y.shape), dtype=np.float32))

        def fb():
            xin.grad = None
            layer(xin).backward(g)
        res[name] = (_time(lambda: layer(xin), clock), _time(fb, clock))
        x = y
    target = L.from_numpy(r.integers(0, 10, batch))
    logits = x.detach().requires_grad_()
    loss = L.nn.CrossEntropyLoss()
    res["loss"] = (_time(lambda: loss(logits, target), clock),
                   _time(lambda: loss(logits, target).backward(), clock))
    opt = L.optim.Adam(net.parameters(), lr=1e-3)
    for p in net.parameters():
        p.grad = L.from_numpy(r.standard_normal(tuple(p.shape), dtype=np.float32))
    res["adam step"] = (float("nan"), _time(opt.step, clock))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.layers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", default="fashion_cnn")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lib", help=argparse.SUPPRESS)  # the child process: one library
    a = p.parse_args(argv)
    if a.lib:
        print(json.dumps(measure(a.model, a.lib, a.threads, a.batch)))
        return 0
    out = {}
    for lib in ("ember", "torch"):
        cmd = [sys.executable, "-m", "benchmarks.layers", a.model, "--threads", str(a.threads),
               "--batch", str(a.batch), "--lib", lib]
        out[lib] = json.loads(subprocess.run(cmd, capture_output=True, text=True,
                                             check=True).stdout.strip().splitlines()[-1])
    what = "CPU" if a.threads == 1 else "wall"
    print(f"{a.model}, batch {a.batch}, {a.threads} thread(s), {what} ms")
    print(f"{'layer':<12} {'ember fwd':>9} {'torch fwd':>9} {'ember f+b':>9} {'torch f+b':>9} {'ratio':>6}")
    te = tt = 0.0
    for name, (ef, eb) in out["ember"].items():
        tf, tb = out["torch"][name]
        te, tt = te + eb, tt + tb
        print(f"{name:<12} {ef:9.2f} {tf:9.2f} {eb:9.2f} {tb:9.2f} {eb / tb:6.2f}")
    print(f"{'sum':<12} {'':9} {'':9} {te:9.2f} {tt:9.2f} {te / tt:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
