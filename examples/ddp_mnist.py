"""Data-parallel training with DistributedDataParallel, written as for PyTorch.

    python -m ember.distributed.run -n 2 examples/ddp_mnist.py --check
    python examples/ddp_mnist.py               # one process: the same script still runs

Each rank reads its share of every global batch (DistributedSampler), DDP averages the
gradients, so every rank takes the step one process would take on the whole global
batch. With ``--check`` rank 0 also trains a plain copy of the model on the global
batches in one process and prints how far the two final weights are apart (float32
rounding: about 1e-6). Only rank 0 prints.
"""
import argparse

import ember as torch
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, Subset
from ember.utils.data.distributed import DistributedSampler
from ember.vision import datasets, transforms


def make_model():
    # no dropout: the check compares with one process bit for bit up to rounding
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def global_batches(dataset, world, batch_size, seed, epoch):
    """The global batches the ranks' samplers make together (for the --check reference)."""
    samplers = [DistributedSampler(dataset, world, r, seed=seed) for r in range(world)]
    for s in samplers:
        s.set_epoch(epoch)
    shares = [list(s) for s in samplers]
    order = [shares[r][i] for i in range(len(shares[0])) for r in range(world)]
    for at in range(0, len(order), batch_size):
        idx = order[at:at + batch_size]
        xs, ys = zip(*(dataset[i] for i in idx))
        yield torch.stack(xs), torch.tensor(ys)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64, help="global batch size")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--limit", type=int, help="train on the first N samples only")
    p.add_argument("--check", action="store_true",
                   help="also train one process on the global batches and compare")
    args = p.parse_args(argv)

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of {world} ranks")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNISTSample(train=True, transform=tf)
    if args.limit:
        train = Subset(train, range(args.limit))
    test = datasets.MNISTSample(train=False, transform=tf)

    torch.manual_seed(0)
    model = DDP(make_model())         # rank 0's initial weights are broadcast to all
    reference = make_model() if args.check and rank == 0 else None
    if reference is not None:
        reference.load_state_dict(model.module.state_dict())
    sampler = DistributedSampler(train, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size // world, sampler=sampler)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=args.lr, momentum=0.9) \
        if reference is not None else None

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)      # a new shuffle each epoch, the same on every rank
        model.train()
        for x, y in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()           # gradients averaged over the ranks here
            opt.step()
        if reference is not None:
            for x, y in global_batches(train, world, args.batch_size, 0, epoch):
                ref_opt.zero_grad()
                F.cross_entropy(reference(x), y).backward()
                ref_opt.step()
        if rank == 0:
            model.eval()
            correct = 0
            with torch.no_grad():
                for x, y in DataLoader(test, batch_size=500):
                    correct += (model.module(x).argmax(1) == y).sum().item()
            print(f"epoch {epoch + 1}: {world} rank(s), loss {loss.item():.4f}, "
                  f"test accuracy {100 * correct / len(test):.2f}%")
    if reference is not None:
        diff = max((a - b).abs().max().item() for a, b in
                   zip(model.module.parameters(), reference.parameters()))
        print(f"max |DDP weight - single-process weight| = {diff:.2e}")
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
