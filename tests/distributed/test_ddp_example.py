"""examples/ddp_mnist.py: DDP on 2 ranks ends with the single-process weights."""
import re

import pytest

from .conftest import REPO


@pytest.mark.mpi
def test_ddp_example_matches_single_process_training(mpi_run):
    proc = mpi_run(REPO / "examples" / "ddp_mnist.py", n=2, args=["--check", "--limit", "640"],
                   timeout=180)
    assert "2 rank(s)" in proc.stdout and proc.stdout.count("epoch 1") == 1, proc.stdout
    diff = float(re.search(r"single-process weight\| = (\S+)", proc.stdout).group(1))
    assert diff < 1e-5, proc.stdout
