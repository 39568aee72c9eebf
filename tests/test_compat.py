"""``python -m ember.compat``: unmodified PyTorch scripts (scripts/compat_corpus) run on ember,
and their results equal the same scripts run with PyTorch."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import require_torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "scripts", "compat_corpus")
SCRIPTS = sorted(f for f in os.listdir(CORPUS) if f.endswith(".py") and f != "run_all.py")


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def _run(args, timeout=300):
    return subprocess.run([sys.executable] + args, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=_env())


def _runs():
    """All corpus scripts under ember (through ember.compat) and under PyTorch: one process
    each, the two running at the same time."""
    procs = {name: subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env())
             for name, args in (("ember", ["-m", "ember.compat", os.path.join(CORPUS, "run_all.py")]),
                                ("torch", [os.path.join(CORPUS, "run_all.py")]))}
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name} run failed:\n{stderr[-3000:]}"
        out[name] = json.loads(stdout.strip().splitlines()[-1])
    return out


def _same(a, b):
    ta, tb = a.split(), b.split()
    if len(ta) != len(tb):
        return False
    for x, y in zip(ta, tb):
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            if x != y:
                return False
            continue
        if not np.isclose(fx, fy, rtol=1e-4, atol=1e-5):
            return False
    return True


def _problem(script, mine, ref):
    """None if ``script``'s ember run matches its PyTorch run, else what is wrong."""
    if mine["error"] and "needs mpi4py" in mine["error"]:
        import importlib.util
        return None if importlib.util.find_spec("mpi4py") is None else mine["error"]
    if mine["error"] is not None:
        return f"failed under ember.compat:\n{mine['error']}"
    if not mine["results"]:
        return "printed no RESULT lines"
    if ref["error"] is not None:
        # only torchvision may be missing beside torch (a multi-GB install, not a test dependency)
        return None if "torchvision" in ref["error"] else f"failed under PyTorch:\n{ref['error']}"
    if len(mine["results"]) != len(ref["results"]):
        return f"{len(mine['results'])} RESULT lines, PyTorch printed {len(ref['results'])}"
    for m, r in zip(mine["results"], ref["results"]):
        if not _same(m, r):
            return f"ember '{m}' != torch '{r}'"
    return None


def test_corpus_has_ten_scripts():
    assert len(SCRIPTS) >= 10


def test_scripts_match_pytorch():
    """Every corpus script runs unmodified on ember and prints PyTorch's numbers (one test,
    so the two corpus runs happen once even under pytest-xdist)."""
    require_torch()
    runs = _runs()
    problems = {s: _problem(s, runs["ember"][s], runs["torch"][s]) for s in SCRIPTS}
    bad = {s: p for s, p in problems.items() if p}
    assert not bad, "\n\n".join(f"{s}: {p}" for s, p in bad.items())


def test_command_line():
    proc = _run(["-m", "ember.compat", os.path.join(CORPUS, "mlp.py")])
    assert proc.returncode == 0, proc.stderr
    assert "RESULT accuracy" in proc.stdout
    proc = _run(["-m", "ember.compat", "-m", "json.tool", "--help"])
    assert proc.returncode == 0 and "usage" in proc.stdout.lower()
    proc = _run(["-m", "ember.compat", "missing_script.py"])
    assert proc.returncode == 2 and "no such script" in proc.stderr
    proc = _run(["-m", "ember.compat"])
    assert proc.returncode == 2 and "usage" in proc.stdout


def test_aliases_only_when_installed():
    code = ("import sys, ember.compat as c\n"
            "assert 'torch' not in sys.modules or not sys.modules['torch'].__name__.startswith('ember')\n"
            "c.install()\n"
            "import torch, torch.nn as nn, torch.nn.functional as F\n"
            "from torch.utils.data import DataLoader\n"
            "import torchvision.transforms as T\n"
            "from torchvision import datasets\n"
            "print(torch.__name__, nn.__name__, F.__name__, T.__name__, datasets.__name__, DataLoader.__module__)\n"
            "try:\n"
            "    import torch.no_such_module\n"
            "except ModuleNotFoundError as e:\n"
            "    print('missing', e.name)\n"
            "c.uninstall()\n"
            "print('torch' in sys.modules)\n")
    proc = _run(["-c", code])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[0].split()[:5] == ["ember", "ember.nn", "ember.nn.functional", "ember.vision.transforms",
                                    "ember.vision.datasets"]
    assert lines[1] == "missing torch.no_such_module" and lines[2] == "False"


def test_install_refuses_when_real_torch_loaded():
    torch = require_torch()
    import ember.compat as c
    assert torch.__name__ == "torch"
    with pytest.raises(RuntimeError, match="real 'torch' is already imported"):
        c.install()
    assert not c.is_installed()
