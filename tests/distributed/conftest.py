"""Multi-process tests: ``@pytest.mark.mpi`` tests launch programs under ``mpiexec``.

They form their own phase, run after the main suite (MPI ranks poll while they wait, so
they should not share the cores with the parallel main suite)::

    python -m pytest -q -m mpi tests/distributed

The main suite (no ``-m mpi``) deselects them. They need the ``[dist]`` extra (mpi4py and
the mpich wheel's ``mpiexec``); without it they skip, except under ``CI=true``, where
they fail.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "mpi: launches processes under mpiexec (run with -m mpi)")


def pytest_collection_modifyitems(config, items):
    if "mpi" in (config.option.markexpr or ""):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("mpi") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def mpiexec():
    """The mpiexec next to this Python (the mpich wheel's), else one on PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but mpi4py/mpiexec are missing: pip install '.[dist]'")
        pytest.skip("mpi4py and mpiexec not installed (pip install 'ember[dist]')")
    return found


def run_mpi(program, n=2, args=(), timeout=120, env=None, expect_ok=True):
    """Run ``programs/<program>`` (or a path) on ``n`` ranks; returns the CompletedProcess.

    The whole job is bounded by ``timeout`` seconds (a hang fails the test, never blocks
    the suite). Each rank gets one BLAS thread so the ranks don't oversubscribe the cores.
    """
    path = Path(program) if os.path.isabs(str(program)) else PROGRAMS / program
    e = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
             PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(env or {})
    cmd = [mpiexec(), "-n", str(n), sys.executable, str(path), *map(str, args)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e,
                              cwd=str(REPO))
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"{path.name} on {n} ranks did not finish in {timeout} s (hang)\n"
                    f"stdout: {err.stdout}\nstderr: {err.stderr}")
    if expect_ok and proc.returncode != 0:
        pytest.fail(f"{path.name} on {n} ranks failed (exit {proc.returncode})\n"
                    f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


@pytest.fixture
def mpi_run():
    return run_mpi


@pytest.fixture
def world1():
    """A one-process group in this process (MPI without mpiexec), destroyed afterwards."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but mpi4py is missing: pip install '.[dist]'")
        pytest.skip("mpi4py not installed (pip install 'ember[dist]')")
    import ember.distributed as dist
    for var in ("RANK", "WORLD_SIZE"):
        if os.environ.get(var) not in (None, "0" if var == "RANK" else "1"):
            pytest.skip(f"{var} is set in the environment")
    dist.init_process_group("mpi")
    yield dist
    dist.destroy_process_group()
