"""The ``ember`` command (also ``python -m ember``).

    ember train [RECIPE] [--epochs N] [--batch-size N] [--lr LR] [--optimizer NAME]
                [--scheduler NAME] [--seed N] [--data-dir DIR] [--workers N]
                [--out DIR] [--resume [RUN_DIR_OR_CHECKPOINT]] [--quiet]
    ember recipes
    ember eval RUN_DIR_OR_CHECKPOINT [--best] [--data-dir DIR] [--batch-size N]
    ember bench [ARGS...]

Plain ``ember train`` trains the ``mnist-cnn`` recipe on the MNIST sample shipped with
ember; the last line of a training run is ``test accuracy: NN.NN%``. Bad input (an
unknown recipe or flag, a missing or corrupt data file or checkpoint, a checkpoint of
another model) gets one line on stderr and exit status 2.
"""
import argparse
import errno
import importlib.util
import math
import os
import shutil
import subprocess
import sys

__all__ = ["main"]

EXIT_BAD_INPUT = 2


class _UsageError(Exception):
    pass


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
    t.add_argument("--batch-size", type=_positive_int, help="training batch size")
    t.add_argument("--lr", type=_positive_float, help="learning rate (peak for onecycle)")
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--scheduler", choices=SCHEDULERS)
    t.add_argument("--seed", type=int, help="random seed (model init, shuffling, dropout)")
    t.add_argument("--data-dir", help="data root (default $EMBER_DATA or "
                   "~/.cache/ember/data); for the MNIST recipes, use full MNIST from there "
                   "instead of the embedded sample")
    t.add_argument("--workers", type=_nonneg_int, help="DataLoader worker processes")
    t.add_argument("--out", help="run directory (default runs/RECIPE, runs/RECIPE-2, ...)")
    t.add_argument("--resume", nargs="?", const=True, metavar="RUN_DIR_OR_CHECKPOINT",
                   help="continue a run from its last checkpoint (default: --out, else the "
                   "latest run of the recipe)")
    t.add_argument("-q", "--quiet", action="store_true",
                   help="print only the final 'test accuracy' line")
    t.add_argument("--limit-train", type=_positive_int, help=argparse.SUPPRESS)
    t.add_argument("--limit-test", type=_positive_int, help=argparse.SUPPRESS)

    sub.add_parser("recipes", help="list the recipes", description="List the recipes.")

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


# ----------------------------------------------------------------------------- train
def _default_out(recipe):
    base = os.path.join("runs", recipe)
    if not os.path.exists(base):
        return base
    n = 2
    while os.path.exists(f"{base}-{n}"):
        n += 1
    return f"{base}-{n}"


def _latest_run(recipe):
    from .train import CHECKPOINT_NAME
    runs = []
    if os.path.isdir("runs"):
        for name in os.listdir("runs"):
            if name == recipe or (name.startswith(recipe + "-") and
                                  name[len(recipe) + 1:].isdigit()):
                ck = os.path.join("runs", name, CHECKPOINT_NAME)
                if os.path.isfile(ck):
                    runs.append((os.path.getmtime(ck), os.path.join("runs", name)))
    if not runs:
        raise _UsageError(f"ember train --resume: no run of {recipe} with a checkpoint "
                          "under runs/; give the run directory: --resume DIR (or --out DIR)")
    return max(runs)[1]


def _resume_paths(args):
    """(checkpoint file, run directory) for --resume."""
    from .recipes import DEFAULT_RECIPE
    from .train import CHECKPOINT_NAME
    if isinstance(args.resume, str):
        target = args.resume
    elif args.out:
        target = args.out
    else:
        target = _latest_run(args.recipe or DEFAULT_RECIPE)
    if os.path.isdir(target):
        ckpt, out = os.path.join(target, CHECKPOINT_NAME), target
    else:
        ckpt, out = target, os.path.dirname(target) or "."
    if not os.path.isfile(ckpt):
        raise _UsageError(f"ember train --resume: nothing to resume, {ckpt} does not exist; "
                          "start a new run without --resume")
    return ckpt, (args.out if args.out and isinstance(args.resume, str) else out)


_KEEP_ON_RESUME = ("batch_size", "lr", "optimizer", "scheduler", "seed", "limit_train",
                   "limit_test")


def _resumed_config(args, ckpt, ckpt_path):
    from .recipes import check_data_dir, get_recipe
    meta = ckpt.get("meta") or {}
    cfg = dict(meta.get("config") or {})
    name = meta.get("recipe") or cfg.get("recipe")
    if not name:
        raise _UsageError(f"{ckpt_path} was not written by 'ember train' (no recipe in it); "
                          "resume it from Python with ember.train.fit(..., resume=...)")
    if args.recipe and args.recipe != name:
        raise _UsageError(f"{ckpt_path} is a checkpoint of recipe {name!r}, not "
                          f"{args.recipe!r} (a different model): resume it with 'ember train "
                          f"{name} --resume ...', or start a new run with another --out")
    get_recipe(name)
    for key in _KEEP_ON_RESUME:
        value = getattr(args, key)
        if value is not None and value != cfg.get(key):
            flag = "--" + key.replace("_", "-")
            raise _UsageError(f"{flag} {value} differs from the resumed run's "
                              f"{cfg.get(key)}: a resumed run keeps its settings; start a new "
                              "run (another --out) to change them")
    if args.epochs is not None and args.epochs != cfg["epochs"]:
        if cfg["scheduler"] in ("onecycle", "cosine"):
            raise _UsageError(f"--epochs cannot change when resuming a run with the "
                              f"{cfg['scheduler']} scheduler (its schedule spans the "
                              f"{cfg['epochs']} epochs it started with)")
        if args.epochs < int(ckpt.get("epoch", 0)):
            raise _UsageError(f"--epochs {args.epochs} is less than the {ckpt['epoch']} "
                              "epochs the run has already completed")
        cfg["epochs"] = args.epochs
    if args.workers is not None:
        cfg["workers"] = args.workers
    if args.data_dir is not None:
        check_data_dir(args.data_dir)
        cfg["data_dir"] = args.data_dir
    return cfg


def _missing_extras(quiet):
    missing = [m for m in ("matplotlib", "tensorboardX")
               if importlib.util.find_spec(m) is None]
    if missing and not quiet:
        what = {"matplotlib": "curves.png", "tensorboardX": "TensorBoard logs"}
        print(f"ember: note: {' and '.join(missing)} not installed, so no "
              f"{' or '.join(what[m] for m in missing)} (pip install 'ember[train]')",
              file=sys.stderr)
    return set(missing)


def _train(args):
    import numpy as np

    import ember
    from . import train as T
    from .recipes import DEFAULT_RECIPE, build, get_recipe, make_config
    ckpt_path = None
    ckpt = {}
    if args.resume:
        ckpt_path, out = _resume_paths(args)
        ckpt = T.load_checkpoint(ckpt_path)
        cfg = _resumed_config(args, ckpt, ckpt_path)
    else:
        recipe = get_recipe(args.recipe or DEFAULT_RECIPE)
        cfg = make_config(recipe, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                          optimizer=args.optimizer, scheduler=args.scheduler, seed=args.seed,
                          data_dir=args.data_dir, workers=args.workers,
                          limit_train=args.limit_train, limit_test=args.limit_test)
        out = args.out or _default_out(recipe.name)
        if os.path.exists(os.path.join(out, T.CHECKPOINT_NAME)):
            raise _UsageError(f"{out} already holds a training run ({T.CHECKPOINT_NAME}): pass "
                              "--resume to continue it, or choose another --out")
        if os.path.exists(out) and not os.path.isdir(out):
            raise _UsageError(f"--out {out} exists and is not a directory")
    missing = _missing_extras(args.quiet)
    run = build(cfg)
    created, folder = [], os.path.abspath(out)
    while not os.path.exists(folder):  # the folders this run makes, deepest first
        created.append(folder)
        folder = os.path.dirname(folder)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise _UsageError(f"cannot create the run directory {out}: {_os_reason(e)}") from None
    callbacks = [T.CSVLogger(os.path.join(out, "metrics.csv")),
                 T.JSONLogger(os.path.join(out, "metrics.json")),
                 T.CheckpointCallback(out)]
    if "matplotlib" not in missing:
        callbacks.append(T.CurvePlotter(os.path.join(out, "curves.png"), cfg["recipe"]))
    if "tensorboardX" not in missing:
        callbacks.append(T.TensorBoardLogger(out))
    epochs = int(cfg["epochs"])
    done = int(ckpt.get("epoch", 0)) if ckpt_path else 0
    if not args.quiet:
        callbacks += [T.ProgressBar(), T.EpochPrinter()]
        what = "resuming" if ckpt_path else "training"
        print(f"ember train {cfg['recipe']}: {what} on {run['info']} ({run['train_size']} "
              f"train / {run['test_size']} test), {_plural(epochs, 'epoch')}, batch "
              f"{cfg['batch_size']}, {cfg['optimizer']} lr {cfg['lr']:g}, scheduler "
              f"{cfg['scheduler']}, seed {cfg['seed']} -> {out}", flush=True)
        if ckpt_path and done >= epochs:
            print(f"the run already finished its {_plural(epochs, 'epoch')}; pass --epochs N "
                  "to train it further", flush=True)
    meta = {"recipe": cfg["recipe"], "config": cfg, "ember_version": ember.__version__}
    try:
        # a diverging loss is detected and reported below: no NumPy overflow warnings
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            history = T.fit(run["model"], run["train_loader"], run["optimizer"],
                            run["loss_fn"], epochs, val_loader=run["test_loader"],
                            scheduler=run["scheduler"], callbacks=callbacks,
                            resume=ckpt_path, meta=meta, val_name="test")
    except T.TrainingDiverged as e:
        raise _Diverged(_diverged_message(e, out, created)) from None
    except OSError as e:
        raise _UsageError(f"cannot write the run's files in {out}: {_os_reason(e)}") from None
    if history:
        acc = history[-1]["test_accuracy"]
    else:
        acc = T.evaluate(run["model"], run["test_loader"], run["loss_fn"])["accuracy"]
    print(f"test accuracy: {100 * acc:.2f}%", flush=True)
    return 0


class _Diverged(Exception):
    """Training diverged: one line on stderr, exit status 1."""


def _plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


_OWN_FILES = ("metrics.csv", "metrics.json", "curves.png")


def _diverged_message(e, out, created):
    """The one line for a diverged run; removes a run directory this call created when
    it holds nothing worth keeping (no checkpoint)."""
    from .train import CHECKPOINT_NAME
    head = (f"training diverged: the loss became {e.value} at epoch {e.epoch}, step "
            f"{e.step} (lr {e.lr:g})")
    if os.path.isfile(os.path.join(out, CHECKPOINT_NAME)):
        kept = (f"the last good checkpoint ({_plural(e.completed_epochs, 'epoch')}) is kept "
                f"in {out} (--resume continues from it)")
    else:
        if created and all(n in _OWN_FILES or n.startswith("events.out.tfevents.")
                           for n in os.listdir(out)):
            shutil.rmtree(out, ignore_errors=True)
            for folder in created[1:]:  # and the parents this run made, if empty
                try:
                    os.rmdir(folder)
                except OSError:
                    break
        kept = "it diverged before its first epoch ended, so nothing was saved"
    return f"{head}; {kept}; try a lower --lr (e.g. {e.lr / 10:g}) in a new run"


_ERRNO_HINTS = {errno.ENOSPC: "the disk is full", errno.EROFS: "read-only file system",
                errno.EACCES: "permission denied", errno.EDQUOT: "disk quota exceeded"}


def _os_reason(e):
    """An OSError in words: what failed on which path, without the raw errno tuple."""
    reason = _ERRNO_HINTS.get(e.errno) or (e.strerror or str(e)).lower()
    where = f" ({e.filename})" if e.filename else ""
    return reason + where


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
    if argv[:1] == ["bench"]:  # pass everything after `bench` through untouched
        args = argparse.Namespace(command="bench", args=argv[1:])
    else:
        try:
            args = _parser().parse_args(argv)
        except _UsageError as e:
            print(f"ember: error: {_one_line(e)}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.command is None:
        print("ember: error: missing command: train, recipes, eval or bench (see 'ember "
              "--help'); plain 'ember train' trains mnist-cnn on the embedded MNIST sample",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    handler = {"train": _train, "recipes": _recipes, "eval": _eval, "bench": _bench}
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
