"""``python -m benchmarks.memory WORKLOAD LIB THREADS``: peak memory of one library's
training steps, alone in this process; prints one JSON line. For the epoch workloads the
data set is read before the measurement (its arrays are the same in both libraries)."""
import json
import sys

from .harness import measure_peak, pin_threads
from .workloads import WORKLOADS


def main():
    name, lib, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    __import__(lib)  # import cost is not part of the workload's memory
    if lib == "ember":  # nor PyTorch's, imported by ember's workloads to copy the initial weights
        try:
            import torch  # noqa: F401
        except ImportError:
            pass
    pin_threads(threads, lib)
    steps = 3
    if name.endswith("epoch"):  # a whole epoch per step; the data are read (and cached) first
        from .workloads import fashion_train_arrays
        fashion_train_arrays()
        steps = 1
    peak = measure_peak(lambda: WORKLOADS[name](lib), steps=steps)
    print(json.dumps({"workload": name, "lib": lib, "peak_mb": peak}))


if __name__ == "__main__":
    main()
