"""Run unmodified PyTorch scripts on ember: ``python -m ember.compat script.py [args]``.

The script's ``import torch`` / ``import torch.nn as nn`` / ``from torchvision import
datasets`` get ember's modules: an import hook maps every module name under ``torch``
to the same name under ``ember`` (``torch.nn.functional`` -> ``ember.nn.functional``)
and ``torchvision`` to ``ember.vision``. Nothing is aliased unless you ask: only this
command (or an explicit ``ember.compat.install()``) installs the hook, and only for
that process.

    python -m ember.compat train.py --epochs 3      # train.py says `import torch`
    python -m ember.compat -m mypkg.train --lr 0.1  # a module, as `python -m`

A PyTorch name ember lacks fails where the script uses it, with the usual
``AttributeError`` / ``ModuleNotFoundError`` naming the ember module.
"""
import importlib
import importlib.abc
import importlib.util
import runpy
import sys

__all__ = ["install", "uninstall", "is_installed", "main", "ALIASES"]

# top-level package names replaced, and the ember package standing in for each
ALIASES = {"torch": "ember", "torchvision": "ember.vision"}
# torch sub-packages whose ember counterpart lives under another name
_RENAMES = {"torch.utils.data.dataloader": "ember.utils.data",
            "torch.utils.data.dataset": "ember.utils.data",
            "torch.utils.data.sampler": "ember.utils.data",
            "torch.optim.optimizer": "ember.optim"}


def _target(fullname):
    if fullname in _RENAMES:
        return _RENAMES[fullname]
    top, _, rest = fullname.partition(".")
    base = ALIASES.get(top)
    if base is None:
        return None
    return base + ("." + rest if rest else "")


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module  # the ember module itself: one module object, two names

    def exec_module(self, module):
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``torch[.x.y]`` / ``torchvision[.x]`` to the ember module of the mapped name."""

    def find_spec(self, fullname, path=None, target=None):
        real = _target(fullname)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as e:
            raise ModuleNotFoundError(f"No module named '{fullname}' under ember.compat "
                                      f"(ember has no '{real}': {e})", name=fullname) from None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module), origin=real)


_FINDER = _AliasFinder()


def is_installed():
    return _FINDER in sys.meta_path


def install():
    """Make ``import torch`` / ``import torchvision`` (and their submodules) give ember's.

    Raises:
        RuntimeError: the real torch (or torchvision) is already imported in this process.
    """
    for name in ALIASES:
        mod = sys.modules.get(name)
        if mod is not None and not getattr(mod, "__name__", "").startswith("ember"):
            raise RuntimeError(f"ember.compat: the real '{name}' is already imported in this "
                               "process; install the aliases before anything imports it")
    if not is_installed():
        sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Remove the hook and every ``torch``/``torchvision`` alias from ``sys.modules``."""
    if is_installed():
        sys.meta_path.remove(_FINDER)
    for name in list(sys.modules):
        if name.split(".")[0] in ALIASES and getattr(sys.modules[name], "__name__", "").startswith("ember"):
            del sys.modules[name]


_USAGE = "usage: python -m ember.compat SCRIPT.py [ARGS...] | -m MODULE [ARGS...]"


def main(argv=None):
    """Run a script (or ``-m module``) with ember standing in for torch and torchvision."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE + "\n\n" + __doc__.split("\n\n")[1])
        return 0 if argv else 2
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        sys.argv = [argv[1]] + argv[2:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        import os
        script = argv[0]
        if not os.path.isfile(script):
            print(f"ember.compat: no such script: {script}", file=sys.stderr)
            return 2
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py` does
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
