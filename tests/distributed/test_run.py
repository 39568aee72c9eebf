"""The launcher ``python -m ember.distributed.run``."""
import os
import subprocess
import sys

import pytest

from ember.distributed import run as launcher

from .conftest import PROGRAMS, REPO, mpiexec


def launch(*args, env=None, timeout=60):
    mpiexec()   # skips (or fails under CI) without MPI
    e = dict(os.environ, PYTHONPATH=str(REPO))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        e.pop(var, None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "ember.distributed.run", *args],
                          capture_output=True, text=True, timeout=timeout, env=e, cwd=str(REPO))


@pytest.mark.mpi
def test_launches_ranks_with_torchrun_variables_and_split_threads():
    proc = launch("-n", "2", str(PROGRAMS / "launched.py"), "--lr", "0.1", "-n", "3")
    assert proc.returncode == 0, proc.stderr
    per = str(max(1, (os.cpu_count() or 1) // 2))
    for r in (0, 1):
        assert f"rank {r} argv ['--lr', '0.1', '-n', '3'] threads {per} name __main__" \
            in proc.stdout, proc.stdout


@pytest.mark.mpi
def test_explicit_threads_and_nproc_per_node_spelling():
    proc = launch("--nproc_per_node", "2", "--threads", "1", str(PROGRAMS / "launched.py"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("threads 1") == 2


@pytest.mark.mpi
def test_a_rank_failing_before_init_ends_the_job():
    proc = launch("-n", "2", str(PROGRAMS / "launched.py"), "fail-before-init", "1")
    assert proc.returncode != 0
    assert "rank 1 fails before init_process_group" in proc.stderr


def test_thread_split():
    env = launcher._thread_env(n_local=2, threads=None)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert var not in env or int(env[var]) == max(1, (os.cpu_count() or 1) // 2)
    assert launcher._thread_env(2, threads=3)["OMP_NUM_THREADS"] == "3"


def test_rank_env_from_mpich_variables(monkeypatch):
    monkeypatch.setenv("PMI_RANK", "3")
    monkeypatch.setenv("PMI_SIZE", "4")
    monkeypatch.setenv("MPI_LOCALRANKID", "1")
    monkeypatch.setenv("MPI_LOCALNRANKS", "2")
    env = launcher._rank_env()
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"]) == \
        ("3", "4", "1", "2")


def test_usage_errors():
    with pytest.raises(SystemExit):
        launcher.main(["-n", "0", "x.py"])
    with pytest.raises(SystemExit):
        launcher.main([])


def test_multi_host_command(monkeypatch):
    seen = {}

    class FakePopen:
        def __init__(self, cmd, env):
            seen["cmd"], seen["env"] = cmd, env

        def wait(self):
            return 0

    monkeypatch.setattr(launcher.subprocess, "Popen", FakePopen)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert launcher.main(["-n", "8", "--hosts", "a,b", "--mpiexec", "/x/mpiexec", "-m",
                          "pkg.train", "--lr", "1"]) == 0
    cmd = seen["cmd"]
    assert cmd[:5] == ["/x/mpiexec", "-n", "8", "-hosts", "a,b"]
    assert cmd[5:] == [sys.executable, "-m", "ember.distributed.run", "--worker", "-m",
                       "pkg.train", "--lr", "1"]
    # 4 ranks per host share the host's cores
    assert seen["env"]["OMP_NUM_THREADS"] == str(max(1, (os.cpu_count() or 1) // 4))


@pytest.mark.mpi
def test_multiprocessing_spawn_runs_fn_on_mpi_ranks():
    mpiexec()
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.pop("EMBER_SPAWN_NPROCS", None)
    proc = subprocess.run([sys.executable, str(PROGRAMS / "spawned.py")], capture_output=True,
                          text=True, timeout=60, env=e, cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr
    assert "spawned rank 0 of 2: 3" in proc.stdout and "spawned rank 1 of 2: 3" in proc.stdout
    assert proc.stdout.count("after spawn") == 1


def test_spawn_needs_a_script_file(monkeypatch):
    import ember.multiprocessing as mp
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.delenv("EMBER_SPAWN_NPROCS", raising=False)
    with pytest.raises(RuntimeError, match="script file"):
        mp.spawn(print, nprocs=2)
    with pytest.raises(ValueError, match="nprocs"):
        mp.spawn(print, nprocs=0)
    assert mp.get_context("spawn") is not None


def test_elastic_record_decorator_passes_results_and_errors(capsys):
    from ember.distributed.elastic.multiprocessing.errors import record

    @record
    def ok():
        return 3

    @record()
    def bad():
        raise ValueError("boom")

    assert ok() == 3
    with pytest.raises(ValueError, match="boom"):
        bad()
    assert "bad failed on rank" in capsys.readouterr().err
