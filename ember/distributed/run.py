"""The launcher: ``python -m ember.distributed.run -n N script.py [args]`` (like ``torchrun``).

It starts ``N`` copies of the script with MPI's ``mpiexec`` (from the ``mpich`` wheel of
``pip install 'ember[dist]'``, or any MPI on PATH), so the same command works on a
laptop, on several machines (``--hosts``/``--hostfile``), and inside a cluster
allocation. Each rank gets the variables ``torchrun`` sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), so
``init_process_group("mpi")`` and code reading them work unchanged; and
``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/``MKL_NUM_THREADS`` default to the cores
divided among the local ranks, so N ranks don't oversubscribe the machine. An uncaught
exception on any rank aborts the whole job (never a hang).

Examples::

    python -m ember.distributed.run -n 2 train.py --epochs 3
    python -m ember.distributed.run --nproc-per-node 4 -m mypackage.train
    python -m ember.distributed.run -n 8 --hosts node1,node2 train.py     # 4 per node
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys

__all__ = ["main", "find_mpiexec"]

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def find_mpiexec():
    """The ``mpiexec`` beside this Python (the mpich wheel's) or on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        raise FileNotFoundError("ember.distributed.run: mpiexec not found; install MPI with "
                                "pip install 'ember[dist]' (mpi4py and the mpich wheel)")
    return found


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m ember.distributed.run",
        description="Start N processes of a training script over MPI (like torchrun).")
    p.add_argument("-n", "--nproc-per-node", "--nproc_per_node", "--np", dest="n", type=int,
                   default=None, help="number of processes (total, over all hosts)")
    p.add_argument("--nnodes", type=int, default=1,
                   help="accepted for torchrun compatibility; with --hosts, -n is the total")
    p.add_argument("--hosts", help="comma-separated hosts (mpiexec -hosts)")
    p.add_argument("--hostfile", help="a file listing hosts (mpiexec -f)")
    p.add_argument("--threads", type=int, help="BLAS/OpenMP threads per rank (default: the "
                   "cores divided by the local ranks)")
    p.add_argument("-m", "--module", action="store_true",
                   help="run a module (like python -m) instead of a script")
    p.add_argument("--mpiexec", help="the mpiexec to use (default: found automatically)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    return p


def _thread_env(n_local, threads):
    per = threads if threads else max(1, (os.cpu_count() or 1) // max(1, n_local))
    env = {}
    for var in _THREAD_VARS:
        if threads or not os.environ.get(var):
            env[var] = str(per)
    return env


def launch(args):
    """Run ``mpiexec`` with the worker command; returns its exit status."""
    n = args.n if args.n is not None else 1
    if n < 1:
        raise SystemExit(f"ember.distributed.run: -n must be at least 1, got {n}")
    mpiexec = args.mpiexec or find_mpiexec()
    hosts = [h for h in (args.hosts or "").split(",") if h]
    n_local = -(-n // len(hosts)) if hosts else n
    env = dict(os.environ, **_thread_env(n_local, args.threads))
    cmd = [mpiexec, "-n", str(n)]
    if hosts:
        cmd += ["-hosts", ",".join(hosts)]
    if args.hostfile:
        cmd += ["-f", args.hostfile]
    cmd += [sys.executable, "-m", "ember.distributed.run", "--worker"]
    if args.module:
        cmd.append("-m")
    cmd += [args.script, *args.args]
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


def _rank_env():
    """torchrun's variables for this rank, from what mpiexec (MPICH or Open MPI) set."""
    e = os.environ

    def first(*names, default="0"):
        for name in names:
            if e.get(name):
                return e[name]
        return default

    rank = first("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
    size = first("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", default="1")
    return {"RANK": rank, "WORLD_SIZE": size,
            "LOCAL_RANK": first("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", default=rank),
            "LOCAL_WORLD_SIZE": first("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE",
                                      default=size),
            "GROUP_RANK": "0", "ROLE_RANK": rank, "ROLE_WORLD_SIZE": size,
            "MASTER_ADDR": e.get("MASTER_ADDR") or socket.gethostname(),
            "MASTER_PORT": e.get("MASTER_PORT") or "29500",
            "TORCHELASTIC_RUN_ID": e.get("TORCHELASTIC_RUN_ID") or "ember-mpi"}


def worker(args):
    """Inside one rank: set the variables and run the script as ``__main__``."""
    import runpy
    import traceback
    os.environ.update(_rank_env())
    sys.argv = [args.script, *args.args]
    try:
        if args.module:
            runpy.run_module(args.script, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
            runpy.run_path(args.script, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            _abort(f"rank {os.environ['RANK']} exited with status {e.code}", e.code)
        raise
    except BaseException:  # noqa: BLE001 - any failure must end every rank
        traceback.print_exc()
        _abort(f"rank {os.environ['RANK']} failed", 1)
    return 0


def _abort(message, code):
    """End the whole MPI job (the other ranks may be waiting for this one)."""
    sys.stderr.write(f"ember.distributed.run: {message}; aborting all ranks\n")
    sys.stderr.flush()
    try:
        from mpi4py import MPI
        MPI.COMM_WORLD.Abort(code if isinstance(code, int) else 1)
    except ImportError:
        pass
    sys.exit(code if isinstance(code, int) else 1)


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.worker:
        return worker(args)
    try:
        return launch(args)
    except FileNotFoundError as e:
        sys.stderr.write(f"{e}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
