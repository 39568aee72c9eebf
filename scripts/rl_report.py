"""The README's CartPole rows and reward-curve figure from the runs of
``scripts/course_results.py task cartpole-* --seed S --json DIR/RECIPE-sS.json``.

    python scripts/rl_report.py runs/rl5 --png docs/course_cartpole.png

For each recipe: the episode at which the running reward first reached 475, per seed
and its median (an unsolved run counts as "more than its episode budget"), in ember
and in PyTorch, and the wall time of all its runs; the figure plots every run's running
reward (ember solid, PyTorch dashed).
"""
import argparse
import glob
import json
import os
import re

import numpy as np

RECIPES = ("cartpole-dqn", "cartpole-reinforce", "cartpole-a2c")
LIBS = (("ember", "ember"), ("torch", "PyTorch"))


def load_runs(folder):
    """``{recipe: {seed: row}}`` of the JSON files in ``folder``: ``RECIPE-sSEED.json``
    (both libraries) or ``RECIPE-sSEED-LIB.json`` (one, from ``--skip-torch`` or
    ``--skip-ember``)."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(folder, "cartpole-*-s*.json"))):
        m = re.match(r"(cartpole-\w+)-s(\d+)(-\w+)?\.json$", os.path.basename(path))
        with open(path) as f:
            runs.setdefault(m.group(1), {}).setdefault(int(m.group(2)), {}).update(json.load(f))
    return runs


def running(rewards):
    out, r = [], 10.0
    for v in rewards:
        r = 0.05 * v + 0.95 * r
        out.append(r)
    return np.array(out)


def median_episodes(solved):
    """Median of per-seed episodes, ``None`` (unsolved) ranking above every number; a
    median between a number and an unsolved run is reported as unsolved."""
    ranked = sorted(solved, key=lambda v: float("inf") if v is None else v)
    n = len(ranked)
    if n % 2:
        return ranked[n // 2]
    lo, hi = ranked[n // 2 - 1], ranked[n // 2]
    return None if lo is None or hi is None else (lo + hi) / 2


def fmt(v):
    return "-" if v is None else f"{v:g}"


def rows(runs):
    lines = []
    for recipe in RECIPES:
        seeds = sorted(runs.get(recipe, {}))
        if not seeds:
            continue
        cells, times = [], []
        for lib, _ in LIBS:
            solved = [runs[recipe][s][lib]["solved_at"] for s in seeds if lib in runs[recipe][s]]
            secs = sum(runs[recipe][s][lib]["seconds"] for s in seeds if lib in runs[recipe][s])
            cells.append(f"{fmt(median_episodes(solved))} ({', '.join(map(fmt, solved))})"
                         if solved else "not run")
            times.append(f"{secs:.0f} s" if solved else "-")
        cfg = runs[recipe][seeds[0]]["config"]
        lines.append(f"| {recipe}: CartPole-v1, seeds {', '.join(map(str, seeds))}, at most "
                     f"{cfg['epochs']} episodes | episodes until running reward >= 475 "
                     f"(median; per seed) | {cells[0]} | {cells[1]} | "
                     f"{times[0]} / {times[1]} |")
    return lines


def plot(runs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(RECIPES), figsize=(12, 3.2), sharey=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, recipe in zip(axes, RECIPES):
        for seed, row in sorted(runs.get(recipe, {}).items()):
            for (lib, label), ls in zip(LIBS, ("-", "--")):
                if lib in row:
                    r = running(row[lib]["rewards"])
                    ax.plot(np.arange(1, len(r) + 1), r, ls=ls, lw=1, color=colors[seed % 10],
                            label=f"{label} seed {seed}" if recipe == RECIPES[0] else None)
        ax.axhline(475, color="k", lw=0.7, ls=":")
        ax.set_title(recipe, fontsize=10)
        ax.set_xlabel("episode")
    axes[0].set_ylabel("running reward")
    fig.legend(loc="center right", fontsize=7, ncol=1, title="solid ember, dashed PyTorch",
               title_fontsize=7)
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    fig.savefig(path, dpi=60)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", help="the folder of the runs' JSON files")
    p.add_argument("--png", help="write the running-reward figure here")
    args = p.parse_args(argv)
    runs = load_runs(args.folder)
    print("\n".join(rows(runs)))
    if args.png:
        plot(runs, args.png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
