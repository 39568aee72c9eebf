"""``ember train RECIPE --nproc N``: a recipe trained data-parallel on N MPI ranks.

The ``ember`` command relaunches itself under ``python -m ember.distributed.run -n N``;
each rank then builds the recipe as usual and :func:`data_parallel` turns the run
data-parallel: the training loader reads the rank's share of each global batch
(``batch_size / N`` per rank, taken from the very order one process would draw from the
recipe's seeded generator, padded and interleaved as ``DistributedSampler`` does), and the
model's gradients are averaged over the ranks (``DistributedDataParallel``'s reducer,
attached to the model through forward hooks, so checkpoints keep the plain model's keys:
``ember eval`` and ``--resume`` read them as any other run's). Only rank 0 prints, logs
and writes checkpoints and plots (the epoch's train loss/accuracy averaged over the
ranks); every rank evaluates the test set itself. BatchNorm
layers become ``SyncBatchNorm`` (statistics over the global batch, as in one process).
"""
import os
import subprocess
import sys

__all__ = ["launched_world_size", "launch", "init", "data_parallel", "attach_ddp",
           "GlobalOrderShare"]


def launched_world_size():
    """The world size of the job this process was launched in (1 if none)."""
    try:
        return int(os.environ.get("WORLD_SIZE") or 1)
    except ValueError:
        return 1


def launch(argv, nproc, out):
    """Run ``ember <argv>`` on ``nproc`` ranks (``out``: the run directory, decided here
    so every rank writes the same one); returns the job's exit status."""
    args = [a for a in argv]
    i = 0
    while i < len(args):      # drop --nproc N / --nproc=N: the ranks train in place
        if args[i] == "--nproc":
            del args[i:i + 2]
        elif args[i].startswith("--nproc="):
            del args[i]
        else:
            i += 1
    if out is not None and "--out" not in args and not any(a.startswith("--out=") for a in args):
        args += ["--out", out]
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(nproc), "-m", "ember", *args]
    return subprocess.call(cmd)


def init():
    """Join the process group when launched on several ranks; returns ``(rank, world)``."""
    if launched_world_size() <= 1:
        return 0, 1
    import ember.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group("mpi")
    return dist.get_rank(), dist.get_world_size()


class GlobalOrderShare:
    """Rank ``rank``'s share of the order ``base`` (a sampler) draws, split as
    ``DistributedSampler`` splits its permutation: padded to a multiple of ``world`` by
    repeating from the start, then every ``world``-th index from position ``rank``.

    Every rank draws the same order from an identically seeded generator, so the union of
    the ranks' ``k``-th batches of ``B / world`` is the ``k``-th batch of ``B`` one process
    reads: data-parallel training takes the steps single-process training takes (exactly
    so when ``len(dataset)`` is a multiple of ``world``).
    """

    def __init__(self, base, rank, world):
        self.base, self.rank, self.world = base, rank, world

    def __iter__(self):
        order = list(self.base)
        total = len(self) * self.world
        while len(order) < total:
            order += order[:total - len(order)]
        return iter(order[self.rank:total:self.world])

    def __len__(self):
        return -(-len(self.base) // self.world)


def _global_metrics_callback():
    """A callback averaging each epoch's train loss/accuracy over the ranks before the
    loggers see them (every rank trains on the same number of samples, so the mean of
    the ranks' means is the global batch's)."""
    import numpy as np

    import ember
    import ember.distributed as dist
    from ..train.callbacks import Callback

    class GlobalTrainMetrics(Callback):
        order = -100

        def on_epoch_end(self, state, logs):
            keys = [k for k in ("train_loss", "train_accuracy") if k in logs]
            t = ember.tensor(np.array([float(logs[k]) for k in keys], dtype=np.float64))
            dist.all_reduce(t, op=dist.ReduceOp.AVG)
            for k, v in zip(keys, t.tolist()):
                logs[k] = v

    return GlobalTrainMetrics()


def attach_ddp(model, **kwargs):
    """Average ``model``'s gradients over the ranks without wrapping it: the
    ``DistributedDataParallel`` reducer runs from forward hooks of the model itself, so
    its ``state_dict`` keys stay unprefixed. Returns the DDP object (keep a reference)."""
    from ..nn.parallel import DistributedDataParallel
    ddp = DistributedDataParallel(model, **kwargs)
    model.register_forward_pre_hook(lambda module, inputs: ddp._pre_forward())
    model.register_forward_hook(lambda module, inputs, output: ddp._post_forward(output))
    return ddp


def data_parallel(run, cfg):
    """Make a recipe's ``build()`` result data-parallel on the current process group
    (unchanged on one rank). Adds ``run["callbacks"]`` (for every rank) and ``run["ddp"]``.
    """
    import ember.distributed as dist
    if not dist.is_initialized() or dist.get_world_size() == 1:
        run.setdefault("callbacks", [])
        return run
    from ..recipes import RecipeError, build_scheduler
    from ..utils.data import DataLoader
    world = dist.get_world_size()
    batch = int(cfg["batch_size"])
    if batch % world:
        raise RecipeError(f"--batch-size {batch} is the global batch: it must be a multiple "
                          f"of --nproc {world}")
    old = run["train_loader"]
    share = GlobalOrderShare(old.sampler, dist.get_rank(), world)
    # the same generator object: it draws the base seed, then the order, as before
    run["train_loader"] = DataLoader(old.dataset, batch_size=batch // world, sampler=share,
                                     num_workers=old.num_workers, generator=old.generator)
    if run.get("scheduler") is not None:   # its schedule counts the new loader's steps
        run["scheduler"] = build_scheduler(cfg, run["optimizer"], len(run["train_loader"]))
    # batch statistics over the global batch, as one process computes them (same
    # parameters and buffers, so the optimizer and the checkpoints are unchanged)
    from ..nn import SyncBatchNorm
    run["model"] = SyncBatchNorm.convert_sync_batchnorm(run["model"])
    run["ddp"] = attach_ddp(run["model"])
    run["callbacks"] = [_global_metrics_callback()]
    return run
