"""Timing harness: both libraries built with the same model, data and initial weights,
warmed up, then timed. By default each library runs alone in its own process
(``benchmarks.alone``), the processes alternating ember, torch, ember, torch, ...; the
one-process mode times them interleaved (A B A B ...) in one process. Medians, min-max and
the ratio ember/PyTorch. Peak memory is measured in a fresh subprocess per library."""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def pin_threads(n, lib=None):
    """Give ``lib`` ("ember", "torch", or None for both in one process) ``n`` threads.
    ember: ``ember.set_num_threads(n)`` (its policy keeps NumPy's BLAS single-threaded and
    splits big work over its own threads); PyTorch: ``torch.set_num_threads(n)``, and for a
    PyTorch-only process NumPy's BLAS pinned to ``n`` too. In an ember process PyTorch (if a
    workload imported it to build the initial weights) is left at one idle thread."""
    info = {"threads": n}
    if lib in ("ember", None):
        import ember
        ember.set_num_threads(n)
        info["ember_threads"] = ember.get_num_threads()
    try:
        from threadpoolctl import threadpool_limits, threadpool_info
        if lib == "torch":
            threadpool_limits(limits=n)
        info["numpy_blas"] = [f"{i['internal_api']}({i['num_threads']}, {i.get('architecture', '?')})"
                              for i in threadpool_info() if i["user_api"] == "blas"]
    except ImportError:
        info["numpy_blas"] = "threadpoolctl missing: not pinned"
    if lib == "ember":
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(1)
        return info
    try:
        import torch
        torch.set_num_threads(n)
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def machine_info():
    """The CPU model, NumPy's BLAS (library, version, kernel) and the library versions."""
    import platform
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "?"
    blas = "?"
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{i['internal_api']} {i.get('version', '?')} kernel {i.get('architecture', '?')}"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        pass
    try:    # ember's matrix products: MKL with the mkl extra (EMBER_MKL=0: off), else NumPy's
        from ember.backend import _mkl
        gemm = "MKL (ember[mkl])" if _mkl.available() else "NumPy's matmul"
    except ImportError:
        gemm = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas, "ember_gemm": gemm}


def _time(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def compare(name, ember_step, torch_step=None, repeats=15, warmup=3, inner=1, min_time=0.0):
    """Time ``ember_step`` and ``torch_step`` interleaved; returns a result dict."""
    for _ in range(warmup):
        ember_step()
        if torch_step is not None:
            torch_step()
    if min_time and inner == 1:  # pick an inner loop so one sample lasts >= min_time
        t = _time(ember_step, 1)
        inner = max(1, int(min_time / max(t, 1e-9)))
    e_times, t_times = [], []
    for _ in range(repeats):
        e_times.append(_time(ember_step, inner))
        if torch_step is not None:
            t_times.append(_time(torch_step, inner))
    res = {"name": name, "repeats": repeats, "inner": inner,
           "ember_median_s": statistics.median(e_times), "ember_min_s": min(e_times), "ember_max_s": max(e_times)}
    if t_times:
        res.update({"torch_median_s": statistics.median(t_times), "torch_min_s": min(t_times),
                    "torch_max_s": max(t_times)})
        res["ratio"] = res["ember_median_s"] / res["torch_median_s"]
    return res


def fmt_time(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def print_table(results, file=sys.stdout):
    head = f"{'workload':<22} {'ember median (min-max)':<30} {'torch median (min-max)':<30} {'ratio':>6}"
    print(head, file=file)
    print("-" * len(head), file=file)
    for r in results:
        e = f"{fmt_time(r['ember_median_s'])} ({fmt_time(r['ember_min_s'])}-{fmt_time(r['ember_max_s'])})"
        if "torch_median_s" in r:
            t = f"{fmt_time(r['torch_median_s'])} ({fmt_time(r['torch_min_s'])}-{fmt_time(r['torch_max_s'])})"
            ratio = f"{r['ratio']:.2f}"
        else:
            t, ratio = "-", "-"
        mem = ""
        if "ember_peak_mb" in r:
            mem = f"  peak MB ember {r['ember_peak_mb']:.0f}"
            if r.get("torch_peak_mb"):
                mem += f" / torch {r['torch_peak_mb']:.0f} = {r['ember_peak_mb'] / r['torch_peak_mb']:.2f}x"
        print(f"{r['name']:<22} {e:<30} {t:<30} {ratio:>6}{mem}", file=file)


# -- each library alone in its own process ------------------------------------------

def _root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_alone(name, lib, threads, repeats=None, timeout=3600):
    """One ``python -m benchmarks.alone`` process: its JSON result (or None on failure)."""
    cmd = [sys.executable, "-m", "benchmarks.alone", name, lib, str(threads)]
    if repeats:
        cmd.append(str(repeats))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=_root())
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        sys.stderr.write(f"{name} ({lib}) failed:\n{out.stderr[-2000:]}\n")
        return None
    return json.loads(lines[-1])


def compare_processes(name, rounds=3, threads=2, repeats=None, have_torch=True):
    """Alternate ``rounds`` ember and torch processes (the first library alternates too);
    each reports the median of its timed repeats. Result: the median over the processes'
    medians per library, their min-max, and the ratio."""
    libs = ["ember", "torch"] if have_torch else ["ember"]
    per = {lib: [] for lib in libs}
    for r in range(rounds):
        for lib in (libs if r % 2 == 0 else libs[::-1]):
            res = run_alone(name, lib, threads, repeats)
            if res is None or res.get("skipped"):
                continue
            per[lib].append(res["median_s"])
    if not per["ember"]:
        return None
    res = {"name": name, "repeats": rounds, "mode": "separate processes",
           "ember_median_s": statistics.median(per["ember"]), "ember_min_s": min(per["ember"]),
           "ember_max_s": max(per["ember"]), "ember_runs": per["ember"]}
    if have_torch and per["torch"]:
        res.update({"torch_median_s": statistics.median(per["torch"]), "torch_min_s": min(per["torch"]),
                    "torch_max_s": max(per["torch"]), "torch_runs": per["torch"]})
        res["ratio"] = res["ember_median_s"] / res["torch_median_s"]
    return res


# -- peak memory, one subprocess per library ----------------------------------------

def _read_status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0  # MB
    return float("nan")


def reset_peak():
    """Reset the kernel's peak-RSS counter (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_peak(build, steps=3):
    """Peak RSS growth (MB) from just before ``build()`` (model, optimizer, data) through
    ``steps`` training steps, read from the kernel's high-water mark."""
    base = _read_status("VmRSS")
    reset_peak()
    step = build()
    for _ in range(steps):
        step()
    return max(0.0, _read_status("VmHWM") - base)


def peak_memory(workload, lib, threads):
    """Run ``python -m benchmarks.memory WORKLOAD LIB`` and return its peak MB (or None)."""
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks.memory", workload, lib, str(threads)],
                             capture_output=True, text=True, timeout=600,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]
    except Exception:
        return None
