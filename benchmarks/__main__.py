"""``python -m benchmarks [names...] [--rounds N] [--threads N] [--one-process] [--json FILE]``

Times each workload in ember and PyTorch, by default each library ALONE in its own
process (how people run them: a library's idle threads slow another one in the same
process), the processes alternating ember/torch for ``--rounds`` rounds (3: at least three
processes each); warm-up is excluded. Prints the machine (CPU model, NumPy's BLAS kernel,
threads), per-workload medians, min-max over the processes and the ratio ember/PyTorch
(lower is better for ember). ``--one-process`` keeps the older interleaved mode.
``NAME@busyK`` times a workload while K CPU-bound processes run beside it.
"""
import argparse
import json
import os
import sys

from .busy import split
from .harness import (compare, compare_processes, machine_info, peak_memory, pin_threads,
                      print_table)
from .workloads import DEFAULT, SETTINGS, WORKLOADS


def _parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help=f"workloads (default: {' '.join(DEFAULT)}); all: "
                   f"{', '.join(WORKLOADS)}; add @busy1 or @busy2 for the busy-machine variant")
    p.add_argument("--json", help="write the results to this JSON file")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads for both libraries")
    p.add_argument("--rounds", type=int, default=3, help="processes per library (alternating)")
    p.add_argument("--repeats", type=int, help="override the number of timed repeats per process")
    p.add_argument("--one-process", action="store_true",
                   help="time both libraries interleaved in this one process (older mode)")
    p.add_argument("--samples", type=int, help="the fashion epoch workloads: train on the first N "
                   "of the 60,000 images (a measurement in minutes; sets $EMBER_BENCH_EPOCH_SAMPLES)")
    p.add_argument("--memory", action="store_true", help="also measure peak memory (subprocess per library)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--keep-openblas-env", action="store_true",
                   help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE if set (they force a slower, older "
                        "kernel on current NumPy; by default the benchmark re-runs itself without them)")
    return p


def main(argv=None):
    a = _parser().parse_args(argv)
    forced = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    if forced and not a.keep_openblas_env and argv is None:
        print(f"note: re-running without {', '.join(forced)} (set on this machine; they pin NumPy's "
              "OpenBLAS to an older kernel)", file=sys.stderr)
        env = {k: v for k, v in os.environ.items() if k not in forced}
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks"] + sys.argv[1:], env)
    if a.list:
        for n in WORKLOADS:
            print(f"{n:<18} {(WORKLOADS[n].__doc__ or '').strip().splitlines()[0]}")
        return 0
    names = a.names or DEFAULT
    if a.samples:  # read by the workload in every process started from here
        from .workloads import EPOCH_SAMPLES_ENV
        os.environ[EPOCH_SAMPLES_ENV] = str(a.samples)
    unknown = [n for n in names if split(n)[0] not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s): {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}",
              file=sys.stderr)
        return 2
    try:
        import torch
        have_torch = True
    except ImportError:
        torch = None
        have_torch = False
        print("PyTorch not installed: printing ember's absolute timings only", file=sys.stderr)
    info = pin_threads(a.threads) if a.one_process else {"threads": a.threads}
    mach = machine_info()
    print(f"{mach['cpu']} ({mach['cores']} cores); python {mach['python']}, numpy {mach['numpy']} "
          f"[{mach['blas']}]; ember's GEMMs: {mach['ember_gemm']}"
          + (f", torch {torch.__version__}" if have_torch else "")
          + f"; threads {a.threads}; mode: "
          + ("one process, interleaved" if a.one_process else
             f"each library alone in its own process, {a.rounds} alternating rounds"))
    results = []
    for n in names:
        if a.one_process:
            base, busy = split(n)
            st = dict(SETTINGS.get(base, {}))
            if a.repeats:
                st["repeats"] = a.repeats
            if busy:
                print(f"{n}: the busy variants run in separate processes only", file=sys.stderr)
                continue
            e = WORKLOADS[base]("ember")
            t = WORKLOADS[base]("torch") if have_torch else None
            r = compare(n, e, t, **st)
        else:
            r = compare_processes(n, a.rounds, a.threads, a.repeats, have_torch)
            if r is None:
                print(f"{n}: skipped (failed or not available)")
                continue
        if a.memory:
            base = split(n)[0]
            r["ember_peak_mb"] = peak_memory(base, "ember", a.threads)
            if have_torch:
                r["torch_peak_mb"] = peak_memory(base, "torch", a.threads)
        results.append(r)
        print_table([r])
        sys.stdout.flush()
    print()
    print_table(results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": mach, "threads": info, "rounds": a.rounds,
                       "mode": "one-process" if a.one_process else "separate-processes",
                       "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
