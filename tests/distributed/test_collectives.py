"""ember.distributed collectives: multi-rank runs (``-m mpi``) and world-size-1 checks."""
import subprocess
import sys

import pytest

import ember.distributed as dist


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 3])
def test_every_collective_matches_numpy(mpi_run, n):
    out = mpi_run("collectives.py", n=n).stdout
    assert all(f"OK rank {r}" in out for r in range(n)), out


@pytest.mark.mpi
def test_crashed_rank_ends_the_job_with_an_error(mpi_run):
    proc = mpi_run("crash.py", n=2, args=["raise"], timeout=60, expect_ok=False)
    assert proc.returncode != 0
    # (MPI_Abort may cut the launcher's output forwarding short: check only the error)
    assert "rank 1 fails on purpose" in proc.stderr


@pytest.mark.mpi
def test_rank_skipping_a_collective_times_out_with_a_clear_error(mpi_run):
    proc = mpi_run("crash.py", n=2, args=["skip"], timeout=60, expect_ok=False)
    assert proc.returncode != 0
    assert "DistBackendError" in proc.stderr and "all_reduce on rank 0 timed out" in proc.stderr


def test_not_initialized_errors():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="init_process_group"):
        dist.all_reduce(None)


def test_reduce_op_names():
    assert dist.ReduceOp.SUM != dist.ReduceOp.AVG
    assert {dist.ReduceOp.MAX, dist.ReduceOp.MAX} == {dist.ReduceOp.MAX}


def test_world_size_one_in_a_subprocess():
    """Without mpiexec MPI starts one process: every collective is the identity."""
    pytest.importorskip("mpi4py")
    code = (
        "import ember, ember.distributed as dist\n"
        "dist.init_process_group('gloo')\n"
        "assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1\n"
        "t = ember.tensor([1.0, 2.0]); dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
        "assert t.tolist() == [1.0, 2.0]\n"
        "out = [None]; dist.all_gather_object(out, 'x'); assert out == ['x']\n"
        "try:\n"
        "    dist.init_process_group('mpi')\n"
        "except ValueError as e:\n"
        "    assert 'twice' in str(e)\n"
        "dist.destroy_process_group(); assert not dist.is_initialized()\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_world_size_mismatch_names_the_launcher():
    pytest.importorskip("mpi4py")
    code = "import ember.distributed as dist\ndist.init_process_group('mpi')\n"
    import os
    env = dict(os.environ, WORLD_SIZE="2", RANK="0")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode != 0
    assert "not started by mpiexec" in proc.stderr and "ember.distributed.run -n 2" in proc.stderr
