"""``python -m benchmarks.alone WORKLOAD LIB [THREADS] [REPEATS]``: time one library's
workload alone in this process (no other library imported or warmed beside it); prints
the median, min and max step time as one JSON line. ``python -m benchmarks`` runs this
once per library and round, alternating, and takes the ratio of medians; by hand:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.alone lstm ember
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.alone lstm torch

``WORKLOAD@busyN`` times it while N CPU-bound processes run beside it.
"""
import json
import sys

from .busy import cpu_burners, split
from .harness import compare, pin_threads
from .workloads import SETTINGS, WORKLOADS


def main():
    name, lib = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    base, busy = split(name)
    if lib == "torch":
        pin_threads(threads)
    step = WORKLOADS[base](lib)  # builds with torch's init, then (ember) drops torch's threads
    if step is None:
        print(json.dumps({"workload": name, "lib": lib, "skipped": True}))
        return
    info = pin_threads(threads, lib)
    st = dict(SETTINGS.get(base, {}))
    if len(sys.argv) > 4:
        st["repeats"] = int(sys.argv[4])
    with cpu_burners(busy):
        r = compare(name, step, None, **st)
    print(json.dumps({"workload": name, "lib": lib, "threads": info, "median_s": r["ember_median_s"],
                      "min_s": r["ember_min_s"], "max_s": r["ember_max_s"], "repeats": r["repeats"]}))


if __name__ == "__main__":
    main()
