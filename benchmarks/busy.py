"""CPU-bound competitors for the "busy machine" variants: ``mlp@busy2`` times the MLP step
while two other processes spin on the CPU (as when a user's browser, a compile or a second
training run shares the laptop)."""
import contextlib
import multiprocessing as mp
import time


def _spin(stop):
    x = 0
    while not stop.is_set():
        for _ in range(100000):
            x += 1


@contextlib.contextmanager
def cpu_burners(n):
    """Run ``n`` processes that each keep one core busy, for the duration of the block."""
    if n <= 0:
        yield
        return
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    procs = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(0.5)  # let them reach full speed
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.terminate()


def split(name):
    """``"mlp@busy2"`` -> ``("mlp", 2)``; plain names -> ``(name, 0)``."""
    base, _, busy = name.partition("@busy")
    return base, int(busy) if busy else 0
