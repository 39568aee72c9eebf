"""``python -m benchmarks.memory WORKLOAD LIB THREADS``: peak memory of one library's
training steps, alone in this process; prints one JSON line."""
import json
import sys

from .harness import measure_peak, pin_threads
from .workloads import WORKLOADS


def main():
    name, lib, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    __import__(lib)  # import cost is not part of the workload's memory
    pin_threads(threads, lib)
    peak = measure_peak(lambda: WORKLOADS[name](lib), steps=3)
    print(json.dumps({"workload": name, "lib": lib, "peak_mb": peak}))


if __name__ == "__main__":
    main()
