"""``python -m benchmarks.alone WORKLOAD LIB [THREADS] [REPEATS]``: time one library's
workload alone in this process (no other library imported or warmed beside it); prints
the median, min and max step time as one JSON line. Run it once per library and take
the ratio of medians, e.g. for the LSTM workload:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.alone lstm ember
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.alone lstm torch
"""
import json
import sys

from .harness import compare, pin_threads
from .workloads import SETTINGS, WORKLOADS


def main():
    name, lib = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    info = pin_threads(threads) if lib == "torch" else None
    step = WORKLOADS[name](lib)  # builds with torch's init, then (ember) drops torch's threads
    info = pin_threads(threads)
    st = dict(SETTINGS.get(name, {}))
    if len(sys.argv) > 4:
        st["repeats"] = int(sys.argv[4])
    r = compare(name, step, None, **st)
    print(json.dumps({"workload": name, "lib": lib, "threads": info, "median_s": r["ember_median_s"],
                      "min_s": r["ember_min_s"], "max_s": r["ember_max_s"], "repeats": r["repeats"]}))


if __name__ == "__main__":
    main()
