"""Real runs of the course recipes (issue 12) in ember and, with the same code, in
PyTorch, for the README's results table.

    python scripts/course_results.py classify fashion-resnet18 --limit-train 1024 \
        --limit-test 1000 --epochs 2 --batch-size 64 --lr 0.05 --json out.json
    python scripts/course_results.py task mnist-vae --epochs 3 --json out.json
    python scripts/course_results.py time cifar10-resnet18 --batch-size 128 --steps 3

``classify``: a classification recipe (fashion-resnet18, moving-mnist-c3d, ...). Both
frameworks read the very same batches (one ember DataLoader, its batches copied into
torch tensors), the PyTorch model is the same model file executed with torch (see
scripts/torch_twin.py), and the optimizer/scheduler are PyTorch's of the same names.

``task``: a task recipe (transfer, VAE, GANs, RL): its training function (see
ember.recipes_course.TASKS) run with ember, then the same file run with torch.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember import recipes  # noqa: E402
from ember.train import EpochPrinter, fit  # noqa: E402

# recipe -> (module, builder name, kwargs) of its model, for the torch twin
TWIN_MODELS = {
    "fashion-resnet18": ("ember.models.resnet_cifar", "cifar_resnet18",
                         dict(num_classes=10, in_channels=1)),
    "cifar10-resnet18": ("ember.models.resnet_cifar", "cifar_resnet18", dict(num_classes=10)),
    "cifar100-resnet18": ("ember.models.resnet_cifar", "cifar_resnet18",
                          dict(num_classes=100)),
    "moving-mnist-c3d": ("ember.models.c3d", "C3D", dict(num_classes=4, width=8)),
}


def run_ember(cfg, data):
    run = recipes.build(cfg, data)
    t0 = time.perf_counter()
    hist = fit(run["model"], run["train_loader"], run["optimizer"], run["loss_fn"],
               int(cfg["epochs"]), val_loader=run["test_loader"], scheduler=run["scheduler"],
               callbacks=[EpochPrinter()], val_name="test")
    return {"accuracy": hist[-1]["test_accuracy"], "seconds": time.perf_counter() - t0,
            "history": [dict(h) for h in hist]}


def _torch(t):
    import torch
    return torch.from_numpy(np.ascontiguousarray(t.numpy()))


def run_torch(cfg, data):
    import torch
    from torch_twin import load_twin
    run = recipes.build(cfg, data)  # the same loaders (and their seeds) as ember's run
    mod, fn, kw = TWIN_MODELS[cfg["recipe"]]
    torch.manual_seed(int(cfg["seed"]))
    model = getattr(load_twin(mod), fn)(**kw)
    lr, wd, mom = float(cfg["lr"]), float(cfg["weight_decay"]), float(cfg["momentum"])
    opt = {"sgd": lambda: torch.optim.SGD(model.parameters(), lr=lr, momentum=mom,
                                          weight_decay=wd),
           "adam": lambda: torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)}[
        cfg["optimizer"]]()
    epochs = int(cfg["epochs"])
    sched = {"cosine": lambda: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs),
             "none": lambda: None}[cfg["scheduler"]]()
    loss_fn = torch.nn.CrossEntropyLoss()
    hist, t0 = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        te = time.perf_counter()
        model.train()
        total, n = 0.0, 0
        for x, y in run["train_loader"]:
            x, y = _torch(x), _torch(y)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            n += len(y)
        train_s = time.perf_counter() - te
        model.eval()
        correct = m = 0
        with torch.no_grad():
            for x, y in run["test_loader"]:
                correct += int((model(_torch(x)).argmax(1) == _torch(y)).sum())
                m += len(y)
        if sched is not None:
            sched.step()
        hist.append({"epoch": epoch, "train_loss": total / n, "test_accuracy": correct / m,
                     "train_seconds": train_s, "seconds": time.perf_counter() - te})
        print(f"torch epoch {epoch}/{epochs} | train loss {total / n:.4f} | test acc "
              f"{100 * correct / m:.2f}% | {hist[-1]['seconds']:.1f}s", flush=True)
    return {"accuracy": hist[-1]["test_accuracy"], "seconds": time.perf_counter() - t0,
            "history": hist, "torch_version": torch.__version__}


def classify(args):
    recipe = recipes.get_recipe(args.recipe)
    cfg = recipes.make_config(recipe, epochs=args.epochs, batch_size=args.batch_size,
                              lr=args.lr, seed=args.seed, limit_train=args.limit_train,
                              limit_test=args.limit_test)
    data = recipe.data(cfg)
    print(f"== {args.recipe}: {len(data[0])} train / {len(data[1])} test ({data[2]}), "
          f"{cfg['epochs']} epochs, batch {cfg['batch_size']}, {cfg['optimizer']} lr "
          f"{cfg['lr']:g}, {cfg['scheduler']}", flush=True)
    row = {"recipe": args.recipe, "config": cfg, "data": data[2]}
    if not args.skip_ember:
        row["ember"] = run_ember(cfg, data)
    if not args.skip_torch:
        row["torch"] = run_torch(cfg, data)
    return row


def _settings(pairs):
    out = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def task(args):
    import importlib

    from ember.recipes_course import TASKS
    from torch_twin import load_twin
    module, function = TASKS[args.recipe]
    recipe = recipes.get_recipe(args.recipe)
    cfg = recipes.make_config(recipe, epochs=args.epochs, seed=args.seed, lr=args.lr,
                              batch_size=args.batch_size, limit_train=args.limit_train,
                              limit_test=args.limit_test, **_settings(args.set))
    row = {"recipe": args.recipe, "config": cfg}
    for name, load in (("ember", importlib.import_module), ("torch", load_twin)):
        if getattr(args, f"skip_{name}"):
            continue
        out = os.path.join(args.out, f"{args.recipe}-{name}")
        os.makedirs(out, exist_ok=True)
        fn = getattr(load(module), function)
        print(f"== {args.recipe} with {name} -> {out}", flush=True)
        t0, c0 = time.perf_counter(), time.process_time()
        row[name] = fn(cfg, out=out, log=lambda *a: print(f"[{name}]", *a, flush=True))
        row[name]["seconds"] = time.perf_counter() - t0
        row[name]["cpu_seconds"] = time.process_time() - c0  # all threads (busy machine)
    return row


def time_steps(args):
    """Seconds per training step (SGD momentum, cross-entropy) of a recipe's model on
    random CIFAR-sized batches, after one warm-up step, in both frameworks; and the
    implied time of one CIFAR epoch (50,000 images)."""
    import torch
    from torch_twin import load_twin
    mod, fn, kw = TWIN_MODELS[args.recipe]
    bs, steps = args.batch_size or 128, args.steps
    shape = (bs, kw.get("in_channels", 3), 32, 32)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = np.random.default_rng(1).integers(0, kw.get("num_classes", 10), bs)
    row = {"recipe": args.recipe, "batch_size": bs, "steps": steps}
    for name, lib, build in (("ember", ember, getattr(__import__(mod, fromlist=[fn]), fn)),
                             ("torch", torch, getattr(load_twin(mod), fn))):
        lib.manual_seed(0)
        model = build(**kw)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        xb, yb = lib.from_numpy(x), lib.from_numpy(y)
        times = []
        for i in range(steps + 1):
            t0 = time.perf_counter()
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        per_step = float(np.median(times[1:]))
        row[name] = {"step_seconds": per_step, "epoch_seconds": per_step * 50000 / bs}
        print(f"{name}: {per_step:.2f} s per step of {bs} -> {per_step * 50000 / bs / 60:.0f} "
              f"min per 50,000-image epoch", flush=True)
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("classify", "task", "time"))
    p.add_argument("recipe")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--steps", type=int, default=3, help="time: steps measured")
    p.add_argument("--limit-train", type=int)
    p.add_argument("--limit-test", type=int)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="other settings of the recipe (e.g. classifier=runs/mnist-cnn)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--skip-ember", action="store_true")
    p.add_argument("--out", default="runs/course", help="folder for the task runs' files")
    p.add_argument("--json", help="write the results to this JSON file")
    args = p.parse_args(argv)
    ember.set_num_threads(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    row = {"classify": classify, "task": task, "time": time_steps}[args.mode](args)
    row["machine"] = {"cpus": os.cpu_count(), "threads": args.threads}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(row, f, indent=1, default=float)
    for name in ("ember", "torch"):
        if name in row and "accuracy" in row[name]:
            print(f"{name}: test accuracy {100 * row[name]['accuracy']:.2f}% in "
                  f"{row[name]['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
