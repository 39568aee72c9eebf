"""``python -m benchmarks [names...] [--json FILE] [--threads N] [--memory] [--list]``

Times each workload in ember and PyTorch (if installed) interleaved in one process and
prints medians, min-max and the ratio ember/PyTorch (lower is better for ember).
"""
import argparse
import json
import os
import platform
import sys

from .harness import compare, peak_memory, pin_threads, print_table
from .workloads import DEFAULT, SETTINGS, WORKLOADS


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help=f"workloads (default: all): {', '.join(WORKLOADS)}")
    p.add_argument("--json", help="write the results to this JSON file")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads for both libraries")
    p.add_argument("--repeats", type=int, help="override the number of timed repeats")
    p.add_argument("--memory", action="store_true", help="also measure peak memory (subprocess per library)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--keep-openblas-env", action="store_true",
                   help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE if set (they force a slower, older "
                        "kernel on current NumPy; by default the benchmark re-runs itself without them)")
    a = p.parse_args(argv)
    forced = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    if forced and not a.keep_openblas_env and argv is None:
        print(f"note: re-running without {', '.join(forced)} (set on this machine; they pin NumPy's "
              "OpenBLAS to an older kernel)", file=sys.stderr)
        env = {k: v for k, v in os.environ.items() if k not in forced}
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks"] + sys.argv[1:], env)
    if a.list:
        for n in WORKLOADS:
            print(f"{n:<12} {(WORKLOADS[n].__doc__ or '').strip().splitlines()[0]}")
        return 0
    names = a.names or DEFAULT
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s): {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch not installed: printing ember's absolute timings only", file=sys.stderr)
    info = pin_threads(a.threads)
    import numpy
    print(f"python {platform.python_version()}, numpy {numpy.__version__}"
          + (f", torch {__import__('torch').__version__}" if have_torch else "") + f", threads {info}")
    results = []
    for n in names:
        st = dict(SETTINGS.get(n, {}))
        if a.repeats:
            st["repeats"] = a.repeats
        try:
            e = WORKLOADS[n]("ember")
        except NotImplementedError as err:
            print(f"{n}: skipped ({err})")
            continue
        t = WORKLOADS[n]("torch") if have_torch else None
        r = compare(n, e, t, **st)
        if a.memory:
            r["ember_peak_mb"] = peak_memory(n, "ember", a.threads)
            if have_torch and t is not None:
                r["torch_peak_mb"] = peak_memory(n, "torch", a.threads)
        results.append(r)
        print_table([r])
        sys.stdout.flush()
    print()
    print_table(results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": info, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
