"""The CLI's looks inside a training step: ``ember graph RECIPE`` (a picture of the
autograd graph of one step) and ``ember train --profile [N]`` (the profiler's table and
Chrome trace of N steps)."""
import os
import sys

from .train.callbacks import Callback

__all__ = ["add_graph_parser", "graph_command", "ProfileSteps"]


def add_graph_parser(sub, positive_int):
    g = sub.add_parser("graph", help="draw the autograd graph of one training step of a recipe",
                       description="Draw the autograd graph of one training step (forward and "
                       "loss) of a recipe: always a .dot file; also a picture when Graphviz's "
                       "'dot' program is installed.")
    g.add_argument("recipe", nargs="?", help="the recipe (default mnist-cnn)")
    g.add_argument("--out", help="output path without extension (default graph-RECIPE)")
    g.add_argument("--format", default="svg", choices=("svg", "png", "pdf", "dot"),
                   help="picture format (default svg; 'dot' writes only the DOT text)")
    g.add_argument("--batch-size", type=positive_int, default=4, help="batch size of the step (4)")
    g.add_argument("--show-saved", action="store_true", help="draw the tensors saved for backward")
    g.add_argument("--show-attrs", action="store_true", help="list each op's parameters")
    g.add_argument("--data-dir", help="data root (as for 'ember train')")
    return g


def graph_command(args):
    from .recipes import DEFAULT_RECIPE, build, get_recipe, make_config
    from .utils.viz import dot_available, make_dot
    recipe = get_recipe(args.recipe or DEFAULT_RECIPE)
    cfg = make_config(recipe, batch_size=args.batch_size, data_dir=args.data_dir,
                      limit_train=args.batch_size, limit_test=1, workers=0)
    try:
        run = build(cfg)
    except NotImplementedError as e:  # recipes of several networks (GAN, VAE, transfer)
        from .recipes import RecipeError
        raise RecipeError(f"ember graph {recipe.name}: {e}") from None
    model = run["model"]
    model.train()
    x, y = next(iter(run["train_loader"]))
    loss = run["loss_fn"](model(x), y)
    dot = make_dot(loss, params=dict(model.named_parameters()), show_attrs=args.show_attrs,
                   show_saved=args.show_saved)
    base = args.out or f"graph-{recipe.name}"
    folder = os.path.dirname(base)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(base + ".dot", "w") as f:
        f.write(dot.source)
    nodes = sum(1 for line in dot.source.splitlines() if "[label=" in line)
    print(f"ember graph {recipe.name}: {nodes} nodes (one step, batch {args.batch_size}, loss "
          f"{loss.item():.4f}) -> {base}.dot")
    if args.format != "dot":
        if dot_available():
            path = base + "." + args.format
            with open(path, "wb") as f:
                f.write(dot.pipe(format=args.format))
            print(f"picture: {path}")
        else:
            print("ember graph: Graphviz's 'dot' program is not installed, so only the DOT text "
                  f"was written (apt-get install graphviz, then: dot -T{args.format} {base}.dot "
                  f"-o {base}.{args.format})", file=sys.stderr)
    return 0


class ProfileSteps(Callback):
    """A training callback: profiles training steps ``2 .. n+1`` (the first step warms
    up), then writes ``profile.txt`` (the table, by self CPU time) and ``trace.json``
    (Chrome trace) into the run directory and prints the table."""
    order = 0

    def __init__(self, out, steps=3, quiet=False):
        from .profiler import ProfilerActivity, profile, schedule
        self.out, self.quiet = out, quiet
        self.prof = profile(activities=[ProfilerActivity.CPU], record_shapes=True,
                            profile_memory=True,
                            schedule=schedule(wait=1, warmup=0, active=steps, repeat=1),
                            on_trace_ready=self._write)
        self.done = False

    def _write(self, prof):
        table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25)
        with open(os.path.join(self.out, "profile.txt"), "w") as f:
            f.write(table)
        prof.export_chrome_trace(os.path.join(self.out, "trace.json"))
        self.done = True
        if not self.quiet:
            print(f"\nprofile of {prof.step_num - 1} training steps "
                  f"(-> {self.out}/profile.txt, {self.out}/trace.json):\n{table}", flush=True)

    def on_train_begin(self, state):
        self.prof.start()

    def on_batch_end(self, state, logs):
        if not self.done:
            self.prof.step()

    def on_train_end(self, state):
        if not self.done:
            self.prof.stop()
