"""``ember.multiprocessing.spawn`` for distributed scripts: ``mp.spawn(fn, nprocs=N)``.

PyTorch scripts often start their ranks with ``torch.multiprocessing.spawn(train,
args=(world_size,), nprocs=world_size)`` and call ``init_process_group(rank=rank,
world_size=world_size)`` in ``train``. ember's ranks are MPI processes, so ``spawn``
re-runs the script under ``python -m ember.distributed.run -n N`` and, in each rank,
calls ``fn(rank, *args)`` with the MPI rank. Code after ``spawn`` runs once (on rank 0,
the other ranks exit after ``fn``), and the launching process exits with the job's
status when it ends, as if it had joined its children. The script itself is run again
from the top in every rank, so keep the ``if __name__ == "__main__":`` guard.
"""
import os
import subprocess
import sys

__all__ = ["spawn", "start_processes", "ProcessRaisedException", "ProcessExitedException"]

_ENV = "EMBER_SPAWN_NPROCS"


class ProcessRaisedException(Exception):
    """A spawned rank failed (PyTorch's name)."""


class ProcessExitedException(ProcessRaisedException):
    """A spawned rank exited with a non-zero status (PyTorch's name)."""


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(rank, *args)`` on ``nprocs`` MPI ranks (see the module docstring).

    Args:
        fn (callable): the per-rank function, called as ``fn(rank, *args)``.
        args (tuple): its other arguments (each rank builds its own, since every rank
            runs the script).
        nprocs (int): number of ranks.
        join, daemon, start_method: accepted for compatibility (always joined).

    Example:
        >>> def train(rank, world_size):
        ...     dist.init_process_group("gloo", rank=rank, world_size=world_size)
        ...     ...
        >>> if __name__ == "__main__":
        ...     mp.spawn(train, args=(2,), nprocs=2)
    """
    nprocs = int(nprocs)
    if nprocs < 1:
        raise ValueError(f"spawn: nprocs must be at least 1, got {nprocs}")
    if os.environ.get(_ENV) == str(nprocs):        # inside the job: this is one rank
        rank = int(os.environ.get("RANK", "0"))
        fn(rank, *args)
        if rank != 0:
            sys.exit(0)
        return None
    script = sys.argv[0] if sys.argv else ""
    if not script or script == "-c" or not os.path.isfile(script):
        raise RuntimeError("spawn: ember starts ranks as MPI processes by re-running the "
                           "script, so spawn() must be called from a script file (not "
                           "python -c or a notebook); or start the ranks with "
                           f"`ember run -n {nprocs} script.py`")
    env = dict(os.environ)
    env[_ENV] = str(nprocs)
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(nprocs), script,
           *sys.argv[1:]]
    status = subprocess.call(cmd, env=env)
    sys.exit(status)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Same as :func:`spawn` (PyTorch's general form)."""
    return spawn(fn, args, nprocs, join, daemon, start_method)
