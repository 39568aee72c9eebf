"""The ``ember`` command (also ``python -m ember``).

    ember train [RECIPE] [--epochs N] [--steps N] [--batch-size N] [--lr LR] [--optimizer NAME]
                [--scheduler NAME] [--seed N] [--data-dir DIR] [--workers N]
                [--out DIR] [--resume [RUN_DIR_OR_CHECKPOINT]] [--quiet] [--nproc N]
    ember run -n N SCRIPT [ARGS...]     (python -m ember.distributed.run: N MPI ranks)
    ember recipes
    ember eval RUN_DIR_OR_CHECKPOINT [--best] [--data-dir DIR] [--batch-size N]
    ember bench [ARGS...]

Plain ``ember train`` trains the ``mnist-cnn`` recipe on the MNIST sample shipped with
ember; the last line of a training run is ``test accuracy: NN.NN%``. Bad input (an
unknown recipe or flag, a missing or corrupt data file or checkpoint, a checkpoint of
another model) gets one line on stderr and exit status 2.
"""
import argparse
import math
import os
import subprocess
import sys

from ._cli_train import _Diverged, _UsageError, _os_reason, _train

__all__ = ["main"]

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit status 2) rather than a usage
    block followed by the error."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _number(kind, ok, what):
    """An argparse type: ``kind(text)`` accepted when ``ok(value)``, else a clear error."""
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            v = None
        if v is None or not ok(v):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v
    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_nonneg_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: 0 < v < math.inf, "a positive finite number")


def _parser():
    from .recipes import DEFAULT_RECIPE, OPTIMIZERS, SCHEDULERS
    import ember
    p = _Parser(prog="ember", description="ember: a define-by-run deep learning framework "
                "on NumPy with PyTorch's API.")
    p.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a recipe (default: mnist-cnn on the embedded "
                       "MNIST sample)", description="Train a recipe; the last output line "
                       "is 'test accuracy: NN.NN%'.")
    t.add_argument("recipe", nargs="?", help=f"the recipe (default {DEFAULT_RECIPE}; "
                   "'ember recipes' lists them)")
    t.add_argument("--epochs", type=_positive_int, help="number of epochs")
    t.add_argument("--steps", type=_positive_int, help="stop after N optimizer steps in all "
                   "(a smoke run; the run is saved there and --resume continues it exactly; "
                   "also after --resume: the total to stop at)")
    t.add_argument("--batch-size", type=_positive_int, help="training batch size")
    t.add_argument("--lr", type=_positive_float, help="learning rate (peak for onecycle)")
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--scheduler", choices=SCHEDULERS)
    t.add_argument("--seed", type=int, help="random seed (model init, shuffling, dropout)")
    t.add_argument("--data-dir", help="data root (default $EMBER_DATA or "
                   "~/.cache/ember/data); for the MNIST recipes, use full MNIST from there "
                   "instead of the embedded sample")
    t.add_argument("--workers", type=_nonneg_int, help="DataLoader worker processes")
    t.add_argument("--threads", type=_positive_int, help="threads for ember's parallel work "
                   "(ember.set_num_threads; default: the cores, at most 4); DataLoader "
                   "workers always use 1")
    t.add_argument("--out", help="run directory (default runs/RECIPE, runs/RECIPE-2, ...)")
    t.add_argument("--resume", nargs="?", const=True, metavar="RUN_DIR_OR_CHECKPOINT",
                   help="continue a run from its last checkpoint (default: --out, else the "
                   "latest run of the recipe)")
    t.add_argument("-q", "--quiet", action="store_true",
                   help="print only the final 'test accuracy' line")
    t.add_argument("--nproc", type=_positive_int, help="train data-parallel on N processes "
                   "(MPI ranks; --batch-size stays the global batch; needs ember[dist])")
    t.add_argument("--profile", nargs="?", const=3, type=_positive_int, metavar="STEPS",
                   help="profile STEPS training steps (default 3, after one warm-up step): "
                   "the table and a Chrome trace go to the run directory")
    t.add_argument("--limit-train", type=_positive_int, help=argparse.SUPPRESS)
    t.add_argument("--limit-test", type=_positive_int, help=argparse.SUPPRESS)

    from ._cli_inspect import add_graph_parser
    add_graph_parser(sub, _positive_int)
    sub.add_parser("recipes", help="list the recipes", description="List the recipes.")
    sub.add_parser("run", help="start N processes of a script over MPI, like torchrun "
                   "('ember run -n 2 train.py'; needs ember[dist])", add_help=False)

    e = sub.add_parser("eval", help="evaluate a run's checkpoint on its test set",
                       description="Evaluate a checkpoint written by 'ember train' on its "
                       "recipe's test set.")
    e.add_argument("path", metavar="RUN_DIR_OR_CHECKPOINT")
    e.add_argument("--best", action="store_true",
                   help="in a run directory, use best.safetensors (default: the last "
                   "checkpoint)")
    e.add_argument("--data-dir", help="data root (default: the run's)")
    e.add_argument("--batch-size", type=_positive_int, help="evaluation batch size")
    e.add_argument("-q", "--quiet", action="store_true")
    e.add_argument("--limit-test", type=_positive_int, help=argparse.SUPPRESS)

    b = sub.add_parser("bench", help="run the benchmarks against PyTorch (python -m "
                       "benchmarks, from a source checkout)", add_help=False)
    b.add_argument("args", nargs=argparse.REMAINDER)
    return p


# ----------------------------------------------------------------------------- others
def _recipes(args):
    from .recipes import DEFAULT_RECIPE, RECIPES
    width = max(len(n) for n in RECIPES)
    for name, r in RECIPES.items():
        d = r.defaults
        mark = " (default)" if name == DEFAULT_RECIPE else ""
        print(f"{name:<{width}}  {r.description}; {d['epochs']} epochs, {d['optimizer']} lr "
              f"{d['lr']:g}{mark}")
    return 0


def _eval(args):
    from . import train as T
    from .recipes import check_data_dir, get_recipe
    from .train.checkpoint import _check_model
    path = args.path
    if os.path.isdir(path):
        path = os.path.join(path, T.BEST_NAME if args.best else T.CHECKPOINT_NAME)
    ckpt = T.load_checkpoint(path)
    meta = ckpt.get("meta") or {}
    cfg = dict(meta.get("config") or {})
    if not meta.get("recipe") or not cfg:
        raise _UsageError(f"{path} was not written by 'ember train' (no recipe in it); "
                          "evaluate it from Python with ember.train.evaluate")
    recipe = get_recipe(meta["recipe"])
    if args.data_dir is not None:
        check_data_dir(args.data_dir)
    for key, value in (("data_dir", args.data_dir), ("eval_batch_size", args.batch_size),
                       ("limit_test", args.limit_test)):
        if value is not None:
            cfg[key] = value
    _, test_ds, info = recipe.data({**cfg, "limit_train": 1})
    from ember import nn
    from ember.utils.data import DataLoader
    model = recipe.model(cfg)
    _check_model(path, ckpt["model"], model.state_dict())
    model.load_state_dict(ckpt["model"])
    loader = DataLoader(test_ds, batch_size=int(cfg.get("eval_batch_size", 500)))
    res = T.evaluate(model, loader, nn.CrossEntropyLoss())
    if not args.quiet:
        print(f"ember eval {path}: recipe {recipe.name}, epoch {ckpt.get('epoch')}, "
              f"{res['samples']} test images ({info})")
        print(f"test loss: {res['loss']:.4f}")
    print(f"test accuracy: {100 * res['accuracy']:.2f}%")
    return 0


def _bench(args):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for root in (os.getcwd(), here):
        if os.path.isfile(os.path.join(root, "benchmarks", "__main__.py")):
            cmd = [sys.executable, "-m", "benchmarks", *args.args]
            return subprocess.call(cmd, cwd=root)
    raise _UsageError("ember bench runs the benchmarks/ folder of an ember source checkout, "
                      "which is not installed with the package: run it from a git checkout "
                      "of ember")


def _one_line(exc):
    text = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        text = str(exc.args[0])
    return " ".join(text.split())


def main(argv=None):
    """Run the ``ember`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit
    status (0 success, 2 bad input, 130 interrupted)."""
    from .recipes import RecipeError
    from .serialization import SerializationError
    from .train import CheckpointError
    from .vision.datasets import DatasetError
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:  # `ember run -n N script.py ...`: the distributed launcher
        from .distributed.run import main as run_main
        return run_main(argv[1:])
    if argv[:1] == ["bench"]:  # pass everything after `bench` through untouched
        args = argparse.Namespace(command="bench", args=argv[1:])
    else:
        try:
            args = _parser().parse_args(argv)
            args.argv = argv
        except _UsageError as e:
            print(f"ember: error: {_one_line(e)}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.command is None:
        print("ember: error: missing command: train, recipes, eval or bench (see 'ember "
              "--help'); plain 'ember train' trains mnist-cnn on the embedded MNIST sample",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    handler = {"train": _train, "recipes": _recipes, "eval": _eval, "bench": _bench,
               "graph": lambda a: __import__("ember._cli_inspect", fromlist=["x"]).graph_command(a)}
    try:
        return handler[args.command](args)
    except _Diverged as e:
        print(f"ember: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"ember: error: {_os_reason(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (_UsageError, RecipeError, CheckpointError, SerializationError, DatasetError) as e:
        print(f"ember: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ember: interrupted (a training run resumes with --resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
