"""``ember train``: the training command of :mod:`ember.cli` (run directories, resuming,
and the one-line reports of a diverged run or an unwritable run directory)."""
import errno
import importlib.util
import os
import shutil
import sys


class _UsageError(Exception):
    """Bad input: one line on stderr, exit status 2."""


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
        if cfg["scheduler"] in ("onecycle", "cosine") or cfg.get("decay_epochs"):
            what = (f"the {cfg['scheduler']} scheduler" if cfg["scheduler"] != "none" else
                    f"a learning rate decaying over its last {cfg['decay_epochs']} epochs")
            raise _UsageError(f"--epochs cannot change when resuming a run with {what} (its "
                              f"schedule spans the {cfg['epochs']} epochs it started with; "
                              "--steps N pauses a run without changing it)")
        if args.epochs < int(ckpt.get("epoch", 0)):
            raise _UsageError(f"--epochs {args.epochs} is less than the {ckpt['epoch']} "
                              "epochs the run has already completed")
        cfg["epochs"] = args.epochs
    if args.workers is not None:
        cfg["workers"] = args.workers
    if args.data_dir is not None:
        check_data_dir(args.data_dir, file_ok=bool(cfg.get("data_file")))
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
    from .distributed import train as D
    if getattr(args, "threads", None):  # the one control (ember.set_num_threads)
        ember.set_num_threads(args.threads)
    if (args.nproc or 1) > 1 and D.launched_world_size() == 1:  # relaunch on N ranks
        out = args.out
        if out is None and not args.resume:   # decided once, so every rank uses it
            out = _default_out(get_recipe(args.recipe or DEFAULT_RECIPE).name)
        return D.launch(args.argv, args.nproc, out)
    rank, _ = D.init()
    args.quiet = args.quiet or rank != 0      # only rank 0 prints, logs and saves
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
    task = getattr(get_recipe(cfg["recipe"]), "run", None)
    if task is not None:  # a task recipe (transfer, GAN, VAE, RL): its own training function
        os.makedirs(out, exist_ok=True)
        # --steps is this invocation's stopping point, not a setting of the run: passed in
        # the configuration, never kept (a resumed run gets the new value or none)
        cfg["steps"] = args.steps
        print(task(cfg, out, resume=ckpt_path, quiet=args.quiet), flush=True)
        return 0
    missing = _missing_extras(args.quiet)
    run = D.data_parallel(build(cfg), cfg)
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
    if rank != 0:
        callbacks = []
    callbacks += run["callbacks"]
    if getattr(args, "profile", None) and rank == 0:  # ember train --profile [STEPS]
        from ._cli_inspect import ProfileSteps
        callbacks.append(ProfileSteps(out, args.profile, args.quiet))
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
                            resume=ckpt_path, meta=meta, val_name="test",
                            max_steps=args.steps)
    except T.TrainingDiverged as e:
        raise _Diverged(_diverged_message(e, out, created)) from None
    except OSError as e:
        raise _UsageError(f"cannot write the run's files in {out}: {_os_reason(e)}") from None
    stopped = bool(args.steps) and len(history) < epochs  # inside an epoch, by --steps
    if stopped and not args.quiet:
        print(f"stopped after {_plural(args.steps, 'step')} (--steps); 'ember train --resume "
              f"{out}' continues the run", flush=True)
    if history and not stopped:
        acc = history[-1]["test_accuracy"]
    else:
        acc = T.evaluate(run["model"], run["test_loader"], run["loss_fn"])["accuracy"]
    if rank == 0:
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
