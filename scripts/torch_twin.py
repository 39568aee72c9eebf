"""Load one of ember's course-model modules as its PyTorch twin: the same source file,
executed with ``torch`` in place of ``ember``, so the PyTorch run of a recipe uses the
very same model and training code.

    from torch_twin import load_twin
    vae = load_twin("ember.models.vae")        # vae.VAE is a torch.nn.Module
    res = load_twin("ember.models.resnet_cifar")

Only the import lines are rewritten (``import ember as torch`` -> ``import torch``,
``from ember import nn`` -> ``from torch import nn``, ...); ember modules imported by
the file (``ember.models.*``, ``ember.vision.models.*``) are twinned the same way; other
ember imports (private helpers such as ``ember.models._course``, whose names start with ``_``)
are kept.
"""
import importlib.util
import os
import re
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CACHE = {}
_IMPORT = re.compile(r"^(\s*)(from|import)\s+(ember[\w.]*)(.*)$")


def _source_path(name):
    spec = importlib.util.find_spec(name)
    return spec.origin


_TORCH = ("ember", "ember.nn", "ember.optim", "ember.utils.data", "ember.distributions")
_TWINNED = ("ember.models", "ember.vision.models")


def _rewrite(line, twins):
    m = _IMPORT.match(line)
    if not m:
        return line
    indent, kw, mod, rest = m.groups()
    if mod == "ember" or any(mod == t or mod.startswith(t + ".") for t in _TORCH[1:]):
        return f"{indent}{kw} {'torch' + mod[len('ember'):]}{rest}"
    if not mod.rsplit(".", 1)[-1].startswith("_") and any(mod == t or mod.startswith(t + ".")
                                             for t in _TWINNED):
        twins.append(mod)  # model code: import its twin
        return f"{indent}{kw} _twin_{mod.replace('.', '_')}{rest}"
    return line  # private helpers (ember.models._course, ...) stay ember's


def load_twin(name):
    """The PyTorch twin of the ember module ``name`` (cached)."""
    if name in _CACHE:
        return _CACHE[name]
    with open(_source_path(name)) as f:
        lines = f.read().splitlines()
    twins = []
    out = [_rewrite(ln, twins) for ln in lines]
    for dep in twins:
        sys.modules[f"_twin_{dep.replace('.', '_')}"] = load_twin(dep)
    mod = types.ModuleType(f"_twin_{name.replace('.', '_')}")
    mod.__file__ = _source_path(name)
    exec(compile("\n".join(out) + "\n", f"<torch twin of {name}>", "exec"), mod.__dict__)
    _CACHE[name] = mod
    return mod
