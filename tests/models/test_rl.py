"""The deep-RL recipes' pieces (ember.models.rl): the replay buffer, DQN's update, and
runs cut short by ``steps`` that resume exactly (the DQN's checkpoint holds its buffer)."""
import json

import numpy as np
import pytest

import ember
from ember.cli import main

pytest.importorskip("gymnasium", reason="the [rl] extra (installed by [test])")
from ember.models import rl  # noqa: E402

TINY_DQN = {"recipe": "cartpole-dqn", "seed": 3, "lr": 1e-3, "batch_size": 8, "buffer": 64,
            "warmup": 16, "eps_steps": 50, "eps_end": 0.05, "tau": 0.05, "clip": 10.0,
            "gamma": 0.99, "epochs": 4, "save_every": 50}
TINY_PG = {"recipe": "cartpole-reinforce", "seed": 2, "lr": 1e-2, "gamma": 0.99, "epochs": 3, "save_every": 50}


def test_replay_buffer_keeps_the_last_transitions_and_round_trips():
    buf = rl.ReplayBuffer(3)
    for i in range(5):  # 0 and 1 are overwritten by 3 and 4
        buf.add(np.full(4, i), i % 2, float(i), np.full(4, i + 1), i == 4)
    assert len(buf) == 3 and buf.n == 5
    assert sorted(buf.arrays["r"].tolist()) == [2.0, 3.0, 4.0]
    s, a, r, s2, term = buf.sample(np.random.default_rng(0), 6)
    assert s.shape == (6, 4) and s.dtype == ember.float32 and a.dtype == ember.int64
    np.testing.assert_array_equal(s2.numpy(), s.numpy() + 1)  # rows stay transitions
    np.testing.assert_array_equal(term.numpy(), (r.numpy() == 4).astype(np.float32))
    copy = rl.ReplayBuffer(3)
    copy.load_state_dict(buf.state_dict())
    assert copy.n == 5
    for k in buf.arrays:
        np.testing.assert_array_equal(copy.arrays[k], buf.arrays[k])


def test_epsilon_decays_linearly_to_its_floor():
    cfg = {"eps_steps": 100, "eps_end": 0.05}
    assert rl._epsilon(0, cfg) == 1.0
    assert rl._epsilon(50, cfg) == pytest.approx(0.525)
    assert rl._epsilon(100, cfg) == pytest.approx(0.05) == rl._epsilon(10 ** 6, cfg)


@pytest.mark.parametrize("double", [True, False])
def test_dqn_step_moves_q_toward_the_target(double):
    ember.manual_seed(0)
    q, target = rl.QNet(hidden=8), rl.QNet(hidden=8)
    opt = ember.optim.SGD(q.parameters(), lr=0.05)
    rng = np.random.default_rng(0)
    s, s2 = (ember.from_numpy(rng.standard_normal((16, 4)).astype(np.float32)) for _ in "ab")
    a = ember.from_numpy(rng.integers(0, 2, 16))
    r, term = ember.ones(16), ember.from_numpy((rng.random(16) < 0.3).astype(np.float32))
    with ember.no_grad():
        nxt = (target(s2).gather(1, q(s2).argmax(1).reshape(-1, 1)).reshape(-1) if double
               else target(s2).max(1)[0])
        y = r + 0.9 * nxt * (1 - term)

    def err():
        with ember.no_grad():
            return float(((q(s).gather(1, a.reshape(-1, 1)).reshape(-1) - y) ** 2).mean())
    before = err()
    rl._dqn_step(q, target, opt, (s, a, r, s2, term), 0.9, 10.0, double)
    assert err() < before


def test_soft_update_mixes_the_weights():
    ember.manual_seed(0)
    q, target = rl.QNet(hidden=4), rl.QNet(hidden=4)
    w_q, w_t = q.net[0].weight.detach().clone(), target.net[0].weight.detach().clone()
    rl._soft_update(target, q, 0.25)
    np.testing.assert_allclose(target.net[0].weight.detach().numpy(),
                               (0.75 * w_t + 0.25 * w_q).numpy(), rtol=1e-6)


@pytest.mark.parametrize("train, cfg, limit", [
    (rl.train_dqn, TINY_DQN, 20), (rl.train_reinforce, TINY_PG, 1), (rl.train_a2c, TINY_PG, 2)])
def test_steps_stop_a_run_that_resumes_as_if_never_stopped(tmp_path, train, cfg, limit):
    quiet = lambda *a: None  # noqa: E731
    straight = train(dict(cfg), out=str(tmp_path / "a"), log=quiet)
    assert not straight["stopped"] and straight["episodes"] == cfg["epochs"]
    cut = train(dict(cfg, steps=limit), out=str(tmp_path / "b"), log=quiet)
    assert cut["stopped"] and limit <= cut["steps"] < straight["steps"]
    assert cut["episodes"] < cfg["epochs"]
    done = train(dict(cfg), out=str(tmp_path / "b"), resume=str(tmp_path / "b"), log=quiet)
    assert done["rewards"] == straight["rewards"] and done["steps"] == straight["steps"]
    a, b = (ember.load(str(tmp_path / d / "checkpoint.safetensors"))["model"] for d in "ab")
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())


def test_cli_steps_and_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "cartpole-reinforce", "--epochs", "3", "--steps", "1", "--out",
                 str(out)]) == 0
    assert capsys.readouterr()[0].strip().splitlines()[-1].startswith("stopped after 1 step")
    assert len(json.loads((out / "results.json").read_text())["rewards"]) == 1
    assert main(["train", "--resume", str(out)]) == 0
    assert capsys.readouterr()[0].strip().splitlines()[-1].startswith("not solved in 3")
