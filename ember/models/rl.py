"""Deep reinforcement learning on gymnasium's CartPole-v1 (the ``cartpole-dqn``,
``cartpole-reinforce`` and ``cartpole-a2c`` recipes; ``pip install 'ember[rl]'``).

- :func:`train_dqn`: Q-learning with a network: a replay buffer, a target network that
  follows the Q network softly, linearly decaying epsilon-greedy exploration, Huber loss,
  gradient clipping, Double-DQN targets (the Q network picks ``a'``, the target network
  values it).
- :func:`train_reinforce`: Monte-Carlo policy gradient with normalised returns.
- :func:`train_a2c`: advantage actor-critic (shared body, policy and value heads,
  advantage ``G_t - V(s_t)``, entropy bonus), updated after each episode.

Every random choice (environment seeds, exploration, action sampling, replay batches)
comes from NumPy generators seeded by ``(seed, episode)``, so the ember run and its
PyTorch twin (the same file run with torch) see the same randomness, and a resumed run
continues exactly (DQN's checkpoint holds its replay buffer). ``cfg["epochs"]`` is the
most episodes; an optional ``cfg["steps"]`` (``ember train --steps``) stops the run after
the episode in which the optimizer's step count (over the whole run) reaches it.
Each returns ``{"rewards": [...], "solved_at": episode or None, "threshold": 475,
"episodes", "steps", "stopped"}``: ``solved_at`` is the first episode whose running
reward (``0.05 * reward + 0.95 * running``, from 10) reaches the environment's
``spec.reward_threshold``.
"""
import os

import numpy as np

import ember as torch
from ember import nn
from ember.nn import functional as F
from ember.models._course import load_state, numpy_of, save_state, write_json

__all__ = ["QNet", "PolicyNet", "ActorCritic", "ReplayBuffer", "train_dqn", "train_reinforce",
           "train_a2c", "make_env"]


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
    episode, optimizer steps (``steps``, counted by the algorithm), checkpoints every
    ``save_every`` episodes and where ``cfg["steps"]`` stops the run, the reward-curve
    PNG."""

    def __init__(self, cfg, out, resume, modules, log):
        self.cfg, self.out, self.log, self.modules = cfg, out, log, modules
        if out is not None:
            os.makedirs(out, exist_ok=True)
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
        self.steps, self.stopped = int(states.get("steps", 0)), False

    def _limit_reached(self):
        limit = self.cfg.get("steps")
        return limit is not None and self.steps >= int(limit)

    def episodes(self):
        for ep in range(self.start, int(self.cfg["epochs"]) + 1):
            if self._limit_reached():  # --steps: the checkpoint of the last episode resumes
                self.stopped = True
                break
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
        if ep % int(self.cfg.get("save_every", 50)) == 0 or last or self._limit_reached():
            state = {name: m.state_dict() for name, m in self.modules.items()}
            state.update(rewards=self.rewards, running=self.running, solved_at=self.solved_at,
                         steps=self.steps)
            save_state(torch, self.out, ep, state, {"recipe": self.cfg["recipe"],
                                                     "config": self.cfg})

    def finish(self):
        self.env.close()
        if self.stopped:
            self.log(f"stopped after {self.steps} steps, episode {len(self.rewards)} "
                     f"(steps={self.cfg['steps']})")
        result = {"rewards": self.rewards, "solved_at": self.solved_at,
                  "threshold": self.threshold, "episodes": len(self.rewards),
                  "steps": self.steps, "stopped": self.stopped}
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
        run.steps += 1
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
        run.steps += 1
        run.end_episode(ep, sum(rewards))
    return run.finish()


class ReplayBuffer:
    """The last ``capacity`` transitions ``(s, a, r, s', terminal)`` in NumPy arrays (a
    ring buffer); :meth:`sample` draws a batch of them uniformly with a NumPy generator.

    Args:
        capacity (int): transitions kept; the oldest is overwritten first.
        obs (int): size of a state.

    Example:
        >>> buf = ReplayBuffer(10000)
        >>> buf.add(s, a, r, s2, terminal)
        >>> s, a, r, s2, term = buf.sample(np.random.default_rng(0), 64)
    """

    def __init__(self, capacity, obs=4):
        self.capacity, self.n = int(capacity), 0   # n: transitions ever added
        self.arrays = {"s": np.zeros((self.capacity, obs), np.float32),
                       "a": np.zeros(self.capacity, np.int64),
                       "r": np.zeros(self.capacity, np.float32),
                       "s2": np.zeros((self.capacity, obs), np.float32),
                       "term": np.zeros(self.capacity, np.float32)}

    def __len__(self):
        return min(self.n, self.capacity)

    def add(self, s, a, r, s2, terminal):
        i = self.n % self.capacity
        for key, value in zip(("s", "a", "r", "s2", "term"), (s, a, r, s2, float(terminal))):
            self.arrays[key][i] = value
        self.n += 1

    def sample(self, rng, batch):
        """``batch`` random transitions as tensors ``(s, a, r, s2, terminal)``."""
        idx = rng.integers(0, len(self), batch)
        return tuple(torch.from_numpy(self.arrays[k][idx]) for k in ("s", "a", "r", "s2", "term"))

    # saved in the checkpoint (as tensors), so that a resumed run goes on exactly
    def state_dict(self):
        return {"n": torch.tensor(self.n), **{k: torch.from_numpy(v.copy())
                                              for k, v in self.arrays.items()}}

    def load_state_dict(self, state):
        self.n = int(state["n"])
        for k in self.arrays:
            self.arrays[k][...] = numpy_of(state[k])


def _epsilon(step, cfg):
    """Exploration rate: 1.0 decaying linearly to ``eps_end`` over ``eps_steps`` steps."""
    end = float(cfg["eps_end"])
    return max(end, 1.0 - (1.0 - end) * step / float(cfg["eps_steps"]))


def _dqn_step(q, target, opt, batch, gamma, clip, double=True):
    """One gradient step on the Huber loss between ``Q(s, a)`` and the target
    ``r + gamma * Q_target(s', a')`` (just ``r`` from a terminal state), ``a'`` the best
    action by the Q network: Double DQN, which overestimates less than plain DQN's
    ``max_a' Q_target(s', a')`` (``double=False``) and on CartPole drops less often from
    a good policy back to a poor one."""
    s, a, r, s2, term = batch
    with torch.no_grad():
        if double:
            best = target(s2).gather(1, q(s2).argmax(1).reshape(-1, 1)).reshape(-1)
        else:
            best = target(s2).max(1)[0]
        y = r + gamma * best * (1 - term)
    qa = q(s).gather(1, a.reshape(-1, 1)).reshape(-1)   # Q(s, a) of the actions taken
    loss = F.smooth_l1_loss(qa, y)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q.parameters(), clip)
    opt.step()


def _soft_update(target, q, tau):
    """``target <- (1 - tau) * target + tau * q``, parameter by parameter."""
    with torch.no_grad():
        for pt, p in zip(target.parameters(), q.parameters()):
            pt.mul_(1 - tau).add_(p, alpha=tau)


def train_dqn(cfg, out=None, resume=None, log=print):
    """DQN: epsilon-greedy (1.0 -> ``eps_end`` over ``eps_steps`` steps), a replay buffer
    of ``buffer`` transitions, one Adam step per environment step on a random batch of
    ``batch_size`` once ``warmup`` transitions are stored, Huber loss, gradient norm
    clipped to ``clip``; Double-DQN targets (``double``) from a target network that
    follows the Q network softly (``target <- (1 - tau) target + tau q`` after each step).

    Example:
        >>> from ember.recipes import get_recipe, make_config
        >>> cfg = make_config(get_recipe("cartpole-dqn"), epochs=5)
        >>> train_dqn(cfg, log=lambda *a: None)["episodes"]
        5
    """
    torch.manual_seed(int(cfg["seed"]))
    q, target = QNet(), QNet()
    target.load_state_dict(q.state_dict())
    opt = torch.optim.Adam(q.parameters(), lr=float(cfg["lr"]))
    buf = ReplayBuffer(int(cfg["buffer"]))
    run = _Run(cfg, out, resume, {"model": q, "target": target, "optimizer": opt,
                                  "buffer": buf}, log)
    bs, gamma, tau = int(cfg["batch_size"]), float(cfg["gamma"]), float(cfg["tau"])
    clip, warmup = float(cfg["clip"]), int(cfg["warmup"])
    double = bool(cfg.get("double", True))
    t = sum(int(r) for r in run.rewards)  # environment steps before a resume (reward 1 each)
    for ep, rng, obs in run.episodes():
        done, total = False, 0.0
        while not done:
            if rng.random() < _epsilon(t, cfg):
                a = int(rng.integers(2))
            else:
                with torch.no_grad():
                    a = int(q(_state(obs)).argmax(1).item())
            obs2, r, term, trunc, _ = run.env.step(a)
            # a truncated episode (500 steps) is not terminal: its last state bootstraps
            buf.add(obs, a, r, obs2, term)
            t, total, obs, done = t + 1, total + r, obs2, term or trunc
            if len(buf) >= warmup:
                _dqn_step(q, target, opt, buf.sample(rng, bs), gamma, clip, double)
                run.steps += 1
                _soft_update(target, q, tau)
        run.end_episode(ep, total)
    return run.finish()
