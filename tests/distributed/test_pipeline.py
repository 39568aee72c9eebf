"""Pipeline parallelism: multi-rank equality with one process (``-m mpi``), schedules,
and argument checks on a world of one process."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.distributed.pipeline import Pipe, _schedule


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 3])
def test_pipeline_training_equals_single_process(mpi_run, n):
    out = mpi_run("pipeline.py", n=n).stdout
    assert all(f"OK rank {r}" in out for r in range(n)), out


@pytest.mark.parametrize("S,n", [(2, 4), (3, 2), (4, 6)])
def test_1f1b_order(S, n):
    for s in range(S):
        order = _schedule("1f1b", s, S, n)
        assert sorted(order) == sorted([("F", m) for m in range(n)] + [("B", m) for m in range(n)])
        assert all(order.index(("F", m)) < order.index(("B", m)) for m in range(n))
        # at most S - s micro-batches in flight on stage s
        live = peak = 0
        for kind, _ in order:
            live += 1 if kind == "F" else -1
            peak = max(peak, live)
        assert peak <= min(S - s, n)
    assert _schedule("gpipe", 0, 2, 2) == [("F", 0), ("F", 1), ("B", 0), ("B", 1)]


def test_one_stage_equals_the_model(world1):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    ref = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    ref.load_state_dict(model.state_dict())
    pipe = Pipe(model, chunks=3, schedule="1f1b")
    x, y = ember.randn(7, 3), ember.randint(0, 2, (7,))
    loss = pipe.step(x, y, F.cross_entropy)
    ref_loss = F.cross_entropy(ref(x), y)
    ref_loss.backward()
    assert abs(loss - float(ref_loss)) < 1e-6
    for p, q in zip(pipe.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pipe(x).numpy(), ref(x).detach().numpy(), rtol=1e-6)


def test_argument_errors(world1):
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with pytest.raises(TypeError, match="nn.Sequential"):
        Pipe(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="schedule"):
        Pipe(seq, schedule="zigzag")
    with pytest.raises(ValueError, match="balance"):
        Pipe(seq, balance=[1])
    with pytest.raises(ValueError, match="chunks"):
        Pipe(seq, chunks=0)
