"""``python -m benchmarks.alone WORKLOAD LIB [THREADS] [REPEATS]``: time one library's
workload alone in this process (the other library is not running beside it; ember's
workloads import PyTorch only to copy its initial weights); prints one JSON line with
the median, min and max of the wall time per step and of the process CPU time per step.
``python -m benchmarks`` runs it once per library and round, alternating.

On a shared, oversubscribed machine the wall time of a step swings with the load; the
CPU time (``time.process_time``: this process's own cycles, all its threads) moves much
less, so with one thread it is the steadier measure of the work each library does. By
hand, e.g. for the LSTM workload:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.alone lstm ember 1
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.alone lstm torch 1

``WORKLOAD@busyN`` times it while N CPU-bound processes run beside it.
"""
import json
import statistics
import sys
import time

from .busy import cpu_burners, split
from .harness import pin_threads
from .workloads import SETTINGS, WORKLOADS


def main():
    name, lib = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    base, busy = split(name)
    st = SETTINGS.get(base, {})
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else st.get("repeats", 10)
    if lib == "torch":
        pin_threads(threads, "torch")
    step = WORKLOADS[base](lib)
    if step is None:  # a workload one library does not have
        print(json.dumps({"workload": name, "lib": lib, "skipped": True}))
        return
    info = pin_threads(threads, lib)
    for _ in range(max(1, st.get("warmup", 3))):
        step()
    wall, cpu = [], []
    with cpu_burners(busy):
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            step()
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
    print(json.dumps({"workload": name, "lib": lib, "threads": info, "repeats": repeats,
                      "median_s": statistics.median(wall), "min_s": min(wall), "max_s": max(wall),
                      "cpu_median_s": statistics.median(cpu), "cpu_min_s": min(cpu), "cpu_max_s": max(cpu)}))


if __name__ == "__main__":
    main()
