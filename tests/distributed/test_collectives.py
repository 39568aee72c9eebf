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
@pytest.mark.parametrize("mode,message", [("raise", "rank 1 fails on purpose"),
                                          ("early", "rank 1 fails before init_process_group")])
def test_crashed_rank_ends_the_job_with_an_error(mpi_run, mode, message):
    proc = mpi_run("crash.py", n=2, args=[mode], timeout=60, expect_ok=False)
    assert proc.returncode != 0
    # (MPI_Abort may cut the launcher's output forwarding short: check only the error)
    assert message in proc.stderr


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


def test_every_collective_on_a_world_of_one():
    """The multi-rank program, run without mpiexec (MPI starts one process)."""
    pytest.importorskip("mpi4py")
    from .conftest import PROGRAMS, REPO
    import os
    proc = subprocess.run([sys.executable, str(PROGRAMS / "collectives.py")], capture_output=True,
                          text=True, timeout=60, cwd=str(REPO),
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    assert "OK rank 0" in proc.stdout


def test_in_place_on_non_contiguous_and_async_on_a_world_of_one(world1):
    import ember
    base = ember.arange(6.0).reshape(2, 3)
    view = base.t()
    work = world1.all_reduce(view, op=world1.ReduceOp.AVG, async_op=True)
    assert work.wait() and work.is_completed() and work.result()[0] is view
    assert base.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(ValueError, match="ReduceOp.AVG needs a floating-point"):
        world1.all_reduce(ember.tensor([1, 2]), op=world1.ReduceOp.AVG)
    with pytest.raises(ValueError, match="one tensor per rank"):
        world1.all_gather([], ember.ones(2))
    with pytest.raises(ValueError, match="global rank 3 is not part of the group"):
        world1.broadcast(ember.ones(2), src=3)
    with pytest.raises(TypeError, match="expected an ember Tensor"):
        world1.all_reduce([1.0])
