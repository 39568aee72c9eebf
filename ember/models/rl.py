"""Deep reinforcement learning on gymnasium's CartPole-v1 (the ``cartpole-dqn``,
``cartpole-reinforce`` and ``cartpole-a2c`` recipes; ``pip install 'ember[rl]'``).

- :func:`train_dqn`: Q-learning with a network: replay buffer, target network synced
  every ``target_sync`` steps, linearly decaying epsilon-greedy exploration, Huber loss.
- :func:`train_reinforce`: Monte-Carlo policy gradient with normalised returns.
- :func:`train_a2c`: advantage actor-critic (shared body, policy and value heads,
  advantage ``G_t - V(s_t)``, entropy bonus), updated after each episode.

Every random choice (environment seeds, exploration, action sampling, replay batches)
comes from NumPy generators seeded by ``(seed, episode)``, so the ember run and its
PyTorch twin (the same file run with torch) see the same randomness, and a resumed run
continues exactly (DQN's replay buffer excepted: it restarts empty).
Each returns ``{"rewards": [...], "solved_at": episode or None, "threshold": 475}``:
``solved_at`` is the first episode whose running reward (``0.05 * reward + 0.95 *
running``, from 10) reaches the environment's ``spec.reward_threshold``.
"""
import os

import numpy as np

import ember as torch
from ember import nn
from ember.nn import functional as F
from ember.models._course import load_state, save_state, write_json

__all__ = ["QNet", "PolicyNet", "ActorCritic", "train_dqn", "train_reinforce", "train_a2c",
           "make_env"]


def make_env():
    """gymnasium's CartPole-v1 (a clear error without the ``[rl]`` extra)."""
    try:
        import gymnasium as gym
    except ImportError:
        raise ImportError("the CartPole recipes need gymnasium: pip install 'ember[rl]'") from None
    return gym.make("CartPole-v1")


class QNet(nn.Module):
    """State ``(N, 4)`` -> action values ``(N, 2)``: 4-128-128-2 with ReLU."""

    def __init__(self, obs=4, actions=2, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, actions))

    def forward(self, s):
        return self.net(s)


class PolicyNet(nn.Module):
    """State ``(N, 4)`` -> action logits ``(N, 2)``: 4-128-2 with ReLU."""

    def __init__(self, obs=4, actions=2, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs, hidden), nn.ReLU(), nn.Linear(hidden, actions))

    def forward(self, s):
        return self.net(s)


class ActorCritic(nn.Module):
    """State ``(N, 4)`` -> ``(logits (N, 2), value (N,))`` from a shared 128-unit body."""

    def __init__(self, obs=4, actions=2, hidden=128):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs, hidden), nn.ReLU())
        self.policy = nn.Linear(hidden, actions)
        self.value = nn.Linear(hidden, 1)

    def forward(self, s):
        h = self.body(s)
        return self.policy(h), self.value(h).reshape(-1)


def _state(obs):
    return torch.from_numpy(np.asarray(obs, np.float32).reshape(1, -1))


def _sample(logits, rng):
    """An action drawn from softmax(logits) with the NumPy generator."""
    p = F.softmax(logits.detach(), dim=-1).numpy().reshape(-1).astype(np.float64)
    return int(min(np.searchsorted(np.cumsum(p), rng.random() * p.sum()), len(p) - 1))


def _returns(rewards, gamma):
    out, g = np.zeros(len(rewards), np.float32), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


class _Run:
    """Episode bookkeeping shared by the three algorithms: running reward, solved
    episode, checkpoints every ``save_every`` episodes, the reward-curve PNG."""

    def __init__(self, cfg, out, resume, modules, log):
        self.cfg, self.out, self.log, self.modules = cfg, out, log, modules
        self.env = make_env()
        self.threshold = float(self.env.spec.reward_threshold)
        done, states = load_state(torch, resume)
        self.start = done + 1
        self.rewards = list(states.get("rewards", []))
        for name, m in modules.items():
            if name in states:
                m.load_state_dict(states[name])
        self.running = float(states.get("running", 10.0))
        self.solved_at = states.get("solved_at")

    def episodes(self):
        for ep in range(self.start, int(self.cfg["epochs"]) + 1):
            rng = np.random.default_rng([int(self.cfg["seed"]), ep])
            obs, _ = self.env.reset(seed=int(rng.integers(2 ** 31)))
            yield ep, rng, obs
            if self.solved_at is not None and self.cfg.get("stop_when_solved", True):
                break

    def end_episode(self, ep, reward):
        self.rewards.append(float(reward))
        self.running = 0.05 * reward + 0.95 * self.running
        if self.solved_at is None and self.running >= self.threshold:
            self.solved_at = ep
            self.log(f"solved at episode {ep}: running reward {self.running:.1f}")
        last = self.solved_at == ep or ep == int(self.cfg["epochs"])
        if ep % 20 == 0:
            self.log(f"episode {ep} | reward {reward:.0f} | running reward {self.running:.1f}")
        if ep % int(self.cfg.get("save_every", 50)) == 0 or last:
            state = {name: m.state_dict() for name, m in self.modules.items()}
            state.update(rewards=self.rewards, running=self.running, solved_at=self.solved_at)
            save_state(torch, self.out, ep, state, {"recipe": self.cfg["recipe"],
                                                     "config": self.cfg})

    def finish(self):
        self.env.close()
        result = {"rewards": self.rewards, "solved_at": self.solved_at,
                  "threshold": self.threshold, "episodes": len(self.rewards)}
        write_json(self.out, "results.json", result)
        if self.out is not None:
            _plot(self.rewards, self.threshold, os.path.join(self.out, "rewards.png"),
                  self.cfg["recipe"])
        return result


def _plot(rewards, threshold, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    r, run, ema = np.asarray(rewards), [], 10.0
    for v in r:
        ema = 0.05 * v + 0.95 * ema
        run.append(ema)
    ax.plot(np.arange(1, len(r) + 1), r, lw=0.6, alpha=0.5, label="episode reward")
    ax.plot(np.arange(1, len(r) + 1), run, lw=1.5, label="running reward")
    ax.axhline(threshold, color="k", ls="--", lw=0.8, label=f"threshold {threshold:g}")
    ax.set_xlabel("episode"), ax.set_ylabel("reward"), ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def train_reinforce(cfg, out=None, resume=None, log=print):
    """REINFORCE: after each episode, ascend ``sum_t log pi(a_t|s_t) * G_t`` with the
    returns normalised (mean 0, std 1) as a baseline. cfg: ``seed``, ``lr``, ``gamma``,
    ``epochs`` (maximum episodes)."""
    torch.manual_seed(int(cfg["seed"]))
    policy = PolicyNet()
    opt = torch.optim.Adam(policy.parameters(), lr=float(cfg["lr"]))
    run = _Run(cfg, out, resume, {"model": policy, "optimizer": opt}, log)
    for ep, rng, obs in run.episodes():
        logps, rewards, done = [], [], False
        while not done:
            logits = policy(_state(obs))
            a = _sample(logits, rng)
            logps.append(F.log_softmax(logits, dim=-1)[0, a])
            obs, r, term, trunc, _ = run.env.step(a)
            rewards.append(r)
            done = term or trunc
        g = _returns(rewards, float(cfg["gamma"]))
        g = (g - g.mean()) / (g.std() + 1e-8)
        loss = -(torch.stack(logps) * torch.from_numpy(g)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.end_episode(ep, sum(rewards))
    return run.finish()


def train_a2c(cfg, out=None, resume=None, log=print):
    """Advantage actor-critic: after each episode, policy loss ``-log pi * (G - V)``
    (advantage detached), value loss ``smooth_l1(V, G)``, minus ``0.01 * entropy``."""
    torch.manual_seed(int(cfg["seed"]))
    net = ActorCritic()
    opt = torch.optim.Adam(net.parameters(), lr=float(cfg["lr"]))
    run = _Run(cfg, out, resume, {"model": net, "optimizer": opt}, log)
    for ep, rng, obs in run.episodes():
        logps, values, entropies, rewards, done = [], [], [], [], False
        while not done:
            logits, value = net(_state(obs))
            a = _sample(logits, rng)
            logp = F.log_softmax(logits, dim=-1)
            logps.append(logp[0, a])
            entropies.append(-(logp.exp() * logp).sum())
            values.append(value[0])
            obs, r, term, trunc, _ = run.env.step(a)
            rewards.append(r)
            done = term or trunc
        g = torch.from_numpy(_returns(rewards, float(cfg["gamma"])))
        v = torch.stack(values)
        adv = (g - v).detach()
        loss = (-(torch.stack(logps) * adv).sum() + F.smooth_l1_loss(v, g, reduction="sum")
                - 0.01 * torch.stack(entropies).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.end_episode(ep, sum(rewards))
    return run.finish()


def train_dqn(cfg, out=None, resume=None, log=print):
    """DQN: epsilon-greedy (1.0 -> 0.05 over ``eps_steps`` steps), a replay buffer of
    ``buffer`` transitions, one Adam step per environment step on a random batch once
    ``warmup`` transitions are stored, targets ``r + gamma * max_a Q_target(s', a)``
    from a target network copied every ``target_sync`` steps; Huber loss."""
    torch.manual_seed(int(cfg["seed"]))
    q, target = QNet(), QNet()
    target.load_state_dict(q.state_dict())
    opt = torch.optim.Adam(q.parameters(), lr=float(cfg["lr"]))
    run = _Run(cfg, out, resume, {"model": q, "target": target, "optimizer": opt}, log)
    size, bs, gamma = int(cfg["buffer"]), int(cfg["batch_size"]), float(cfg["gamma"])
    S, A = np.zeros((size, 4), np.float32), np.zeros(size, np.int64)
    R, S2 = np.zeros(size, np.float32), np.zeros((size, 4), np.float32)
    D = np.zeros(size, np.float32)
    n = 0
    steps = sum(int(r) for r in run.rewards)  # steps taken before a resume
    for ep, rng, obs in run.episodes():
        done, total = False, 0.0
        while not done:
            eps = max(0.05, 1.0 - 0.95 * steps / float(cfg["eps_steps"]))
            if rng.random() < eps:
                a = int(rng.integers(2))
            else:
                with torch.no_grad():
                    a = int(q(_state(obs)).argmax(1).item())
            obs2, r, term, trunc, _ = run.env.step(a)
            i = n % size
            S[i], A[i], R[i], S2[i], D[i] = obs, a, r, obs2, float(term)
            n, steps, total, obs, done = n + 1, steps + 1, total + r, obs2, term or trunc
            if n >= int(cfg["warmup"]):
                idx = rng.integers(0, min(n, size), bs)
                with torch.no_grad():
                    best = target(torch.from_numpy(S2[idx])).max(1)[0]
                    y = torch.from_numpy(R[idx]) + gamma * best * torch.from_numpy(1 - D[idx])
                # Q(s, a) of the actions taken (a one-hot mask: the same as gather)
                mask = torch.from_numpy(np.eye(2, dtype=np.float32)[A[idx]])
                qa = (q(torch.from_numpy(S[idx])) * mask).sum(1)
                loss = F.smooth_l1_loss(qa, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            if steps % int(cfg["target_sync"]) == 0:
                target.load_state_dict(q.state_dict())
        run.end_episode(ep, total)
    return run.finish()
