"""Fashion-MNIST results for the README: the fashion-cnn and fashion-mlp recipes trained on
the full data set with ember, and the same recipes (same network, data preprocessing,
optimizer, learning-rate schedule, batch size, epochs) with PyTorch, side by side.

    python scripts/fashion_mnist_results.py                  # both recipes, both frameworks
    python scripts/fashion_mnist_results.py --recipes fashion-cnn --skip-torch
    python scripts/fashion_mnist_results.py --json results.json

Data: ``--data-dir`` / ``$EMBER_DATA`` / ``~/.cache/ember/data`` (downloaded if missing),
or Debian's ``dataset-fashion-mnist`` package. Prints each epoch, then a table of test
accuracy and wall time (training + the per-epoch test evaluation) per framework.
"""
import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember import models, recipes  # noqa: E402
from ember.train import EpochPrinter, fit  # noqa: E402

# The PyTorch twin of each recipe's network, from the same layer functions.
TWINS = {
    "fashion-mlp": lambda nn: models.mlp_layers(784, (512, 256), 10, dropout=0.2, nn=nn),
    "fashion-cnn": lambda nn: models.fashion_cnn_layers(nn=nn),
}


def run_ember(cfg, data):
    run = recipes.build(cfg, data)
    t0 = time.perf_counter()
    hist = fit(run["model"], run["train_loader"], run["optimizer"], run["loss_fn"],
               int(cfg["epochs"]), val_loader=run["test_loader"], scheduler=run["scheduler"],
               callbacks=[EpochPrinter()], val_name="test")
    return {"accuracy": hist[-1]["test_accuracy"], "seconds": time.perf_counter() - t0,
            "history": list(hist), "params": sum(p.numel() for p in run["model"].parameters())}


def run_torch(cfg, data):
    import torch
    from torch import nn
    train_ds, test_ds, _ = data
    xtr, ytr = (torch.from_numpy(t.numpy().copy()) for t in train_ds.tensors)
    xte, yte = (torch.from_numpy(t.numpy().copy()) for t in test_ds.tensors)
    torch.manual_seed(int(cfg["seed"]))
    model = nn.Sequential(TWINS[cfg["recipe"]](nn))
    gen = torch.Generator().manual_seed(int(cfg["seed"]) + 1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr),
                                         batch_size=int(cfg["batch_size"]), shuffle=True,
                                         generator=gen)
    lr, wd = float(cfg["lr"]), float(cfg["weight_decay"])
    opt = {"adam": lambda: torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd),
           "adamw": lambda: torch.optim.AdamW(model.parameters(), lr=lr,
                                              weight_decay=wd or 1e-2),
           "sgd": lambda: torch.optim.SGD(model.parameters(), lr=lr,
                                          momentum=float(cfg["momentum"]), weight_decay=wd),
           "rmsprop": lambda: torch.optim.RMSprop(model.parameters(), lr=lr,
                                                  momentum=float(cfg["momentum"]),
                                                  weight_decay=wd)}[cfg["optimizer"]]()
    epochs, per_batch = int(cfg["epochs"]), cfg["scheduler"] == "onecycle"
    S = torch.optim.lr_scheduler
    sched = {"none": lambda: None,
             "step": lambda: S.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.1),
             "cosine": lambda: S.CosineAnnealingLR(opt, T_max=epochs),
             "onecycle": lambda: S.OneCycleLR(opt, max_lr=lr,
                                              total_steps=epochs * len(loader))}[
        cfg["scheduler"]]()
    loss_fn = nn.CrossEntropyLoss()
    hist = []
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        te = time.perf_counter()
        model.train()
        total, n = 0.0, 0
        for x, y in loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if per_batch:
                sched.step()
            total += loss.item() * len(y)
            n += len(y)
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum())
                          for i in range(0, len(yte), 500))
        if sched is not None and not per_batch:
            sched.step()
        acc = correct / len(yte)
        hist.append({"epoch": epoch, "train_loss": total / n, "test_accuracy": acc,
                     "seconds": time.perf_counter() - te})
        print(f"torch epoch {epoch}/{epochs} | train loss {total / n:.4f} | test acc "
              f"{100 * acc:.2f}% | {hist[-1]['seconds']:.1f}s", flush=True)
    return {"accuracy": hist[-1]["test_accuracy"], "seconds": time.perf_counter() - t0,
            "history": hist, "params": sum(p.numel() for p in model.parameters()),
            "torch_threads": torch.get_num_threads(), "torch_version": torch.__version__}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipes", nargs="+", default=["fashion-cnn", "fashion-mlp"],
                   choices=sorted(TWINS))
    p.add_argument("--epochs", type=int, help="override the recipes' epochs")
    p.add_argument("--data-dir")
    p.add_argument("--seed", type=int)
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--skip-ember", action="store_true")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.add_argument("--threads", type=int, help="BLAS/OpenMP threads for both frameworks "
                   "(ember.set_num_threads and torch.set_num_threads)")
    args = p.parse_args(argv)
    if args.threads:
        ember.set_num_threads(args.threads)
        try:
            import torch
            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    results = []
    for name in args.recipes:
        recipe = recipes.get_recipe(name)
        cfg = recipes.make_config(recipe, epochs=args.epochs, data_dir=args.data_dir,
                                  seed=args.seed)
        data = recipe.data(cfg)
        print(f"== {name}: {len(data[0])} train / {len(data[1])} test, {cfg['epochs']} "
              f"epochs, batch {cfg['batch_size']}, {cfg['optimizer']} lr {cfg['lr']:g}, "
              f"{cfg['scheduler']}", flush=True)
        row = {"recipe": name, "config": cfg}
        if not args.skip_ember:
            row["ember"] = run_ember(cfg, data)
        if not args.skip_torch:
            row["torch"] = run_torch(cfg, data)
            if "ember" in row and row["ember"]["params"] != row["torch"]["params"]:
                raise SystemExit(f"{name}: the PyTorch twin has {row['torch']['params']} "
                                 f"parameters, ember's model {row['ember']['params']}")
        results.append(row)
    print()
    cpu = platform.processor() or platform.machine()
    print(f"Fashion-MNIST test accuracy and wall time ({cpu}, {os.cpu_count()} cores, "
          f"ember {ember.__version__})")
    print("| recipe | epochs | ember acc | ember time | torch acc | torch time | ratio |")
    print("|---|---|---|---|---|---|---|")
    for row in results:
        e, t = row.get("ember"), row.get("torch")
        cell = (lambda r: (f"{100 * r['accuracy']:.2f}%", f"{r['seconds']:.0f} s")
                if r else ("-", "-"))
        ratio = f"{e['seconds'] / t['seconds']:.1f}x" if e and t else "-"
        print(f"| {row['recipe']} | {row['config']['epochs']} | {' | '.join(cell(e))} | "
              f"{' | '.join(cell(t))} | {ratio} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
