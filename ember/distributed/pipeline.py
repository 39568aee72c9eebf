"""Pipeline model parallelism: an ``nn.Sequential`` split into stages over the ranks.

Rank ``s`` of ``S`` keeps layers ``balance[0] + ... + balance[s-1]`` onward (one
contiguous stage); a batch is cut into ``chunks`` micro-batches that flow through the
stages: activations are sent forward with ``isend``/``recv``, gradients of those
activations backward. docs/pipeline.md has the diagram of both schedules:

* ``"gpipe"``: every micro-batch's forward, then every backward (simple; keeps all
  ``chunks`` activations alive);
* ``"1f1b"``: after ``S - s - 1`` warm-up forwards each stage alternates one forward and
  one backward, so at most ``S - s`` micro-batches are in flight on stage ``s``.

Each micro-batch's loss is weighted by its share of the batch, so for a loss that
averages over the batch the accumulated gradients equal those of one process on the
whole batch (no BatchNorm inside the pipe: its statistics would be per micro-batch).
"""
import numpy as np

import ember
from ..nn.modules import Module, Sequential
from . import p2p
from .distributed_c10d import resolve

__all__ = ["Pipe"]

_MAX_DIMS = 8
_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.int8,
           np.int16, np.bool_, np.complex64, np.complex128]


class Pipe(Module):
    """Runs this rank's stage of ``module`` in a micro-batched pipeline.

    Every rank builds the same ``module`` (same seed) and wraps it; each keeps only its
    stage, so ``pipe.parameters()`` are the local stage's (give those to the optimizer).

    Args:
        module (nn.Sequential): the whole model.
        chunks (int): micro-batches per batch. Default: 4.
        schedule (str): ``"gpipe"`` (default) or ``"1f1b"``.
        balance (list of int, optional): layers per stage (default: as even as possible).
        group (ProcessGroup, optional): the ranks forming the pipeline (default: world);
            stage ``s`` is the group's rank ``s``.

    Example:
        >>> model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
        >>> pipe = Pipe(model, chunks=4)                 # on 2 ranks: 2 stages
        >>> opt = ember.optim.SGD(pipe.parameters(), lr=0.1)
        >>> opt.zero_grad()
        >>> loss = pipe.step(x, y, F.cross_entropy)      # forward + backward, all ranks
        >>> opt.step()
        >>> out = pipe(x)          # inference: the output on the last stage, None elsewhere
    """

    def __init__(self, module, chunks=4, schedule="gpipe", balance=None, group=None):
        super().__init__()
        pg = resolve(group, "Pipe")
        if pg is None:
            raise ValueError("Pipe: this rank is not in the pipeline's group")
        layers = list(module.children()) if isinstance(module, Sequential) else None
        if layers is None:
            raise TypeError(f"Pipe: expected an nn.Sequential to split, got "
                            f"{type(module).__name__}")
        if schedule not in ("gpipe", "1f1b"):
            raise ValueError(f"Pipe: schedule must be 'gpipe' or '1f1b', got {schedule!r}")
        if int(chunks) < 1:
            raise ValueError(f"Pipe: chunks must be at least 1, got {chunks}")
        n_stages = pg.size()
        if balance is None:
            if len(layers) < n_stages:
                raise ValueError(f"Pipe: {len(layers)} layers cannot fill {n_stages} stages")
            balance = [len(part) for part in np.array_split(np.arange(len(layers)), n_stages)]
        balance = [int(b) for b in balance]
        if len(balance) != n_stages or sum(balance) != len(layers) or min(balance) < 1:
            raise ValueError(f"Pipe: balance {balance} must give each of the {n_stages} stages "
                             f"at least one of the {len(layers)} layers")
        lo = sum(balance[:pg.rank()])
        self.stage = Sequential(*layers[lo:lo + balance[pg.rank()]])
        self.chunks = int(chunks)
        self.schedule = schedule
        self.balance = balance
        self.stage_index = pg.rank()
        self.num_stages = n_stages
        object.__setattr__(self, "_pg", pg)

    # -- messages ----------------------------------------------------------------------
    def _send(self, tensor, to_stage, tag, works):
        arr = np.ascontiguousarray(tensor.detach()._data)
        header = np.zeros(2 + _MAX_DIMS, dtype=np.int64)
        header[0], header[1] = arr.ndim, _DTYPES.index(arr.dtype.type)
        header[2:2 + arr.ndim] = arr.shape
        dst = self._pg.ranks[to_stage]
        for a in (header, arr):   # MPI keeps the order of messages with one tag
            works.append(p2p.isend(ember.Tensor._wrap(a), dst=dst, group=self._pg, tag=tag))

    def _recv(self, from_stage, tag):
        src = self._pg.ranks[from_stage]
        header = ember.Tensor._wrap(np.zeros(2 + _MAX_DIMS, dtype=np.int64))
        p2p.recv(header, src=src, group=self._pg, tag=tag)
        h = header._data
        out = ember.Tensor._wrap(np.empty(tuple(h[2:2 + h[0]]), dtype=_DTYPES[h[1]]))
        p2p.recv(out, src=src, group=self._pg, tag=tag)
        return out

    # -- one micro-batch -----------------------------------------------------------------
    def _forward_one(self, m, x_chunks):
        s = self.stage_index
        if s == 0:
            inp = x_chunks[m]
        else:
            inp = self._recv(s - 1, 2 * m)
            if inp.is_floating_point() and ember.is_grad_enabled():
                inp.requires_grad_(True)
        return inp, self.stage(inp)

    def _backward_one(self, m, inp, out, loss_fn, targets, weights, works):
        s = self.stage_index
        if s == self.num_stages - 1:
            loss = loss_fn(out, targets[m]) * weights[m]
            loss.backward()
            value = float(loss.detach()._data)
        else:
            out.backward(self._recv(s + 1, 2 * m + 1))
            value = 0.0
        if s > 0 and inp.requires_grad:
            self._send(inp.grad, s - 1, 2 * m + 1, works)
        return value

    # -- public --------------------------------------------------------------------------
    def _split(self, t):
        return list(ember.chunk(t, self.chunks)) if t is not None else None

    def forward(self, x):
        """Inference through the pipeline (no gradients): the output on the last stage,
        None on the other ranks (only the first stage needs ``x``)."""
        works, outs = [], []
        x_chunks = self._split(x) if self.stage_index == 0 else None
        n = len(x_chunks) if x_chunks is not None else None
        n = self._broadcast_count(n)
        with ember.no_grad():
            for m in range(n):
                _, out = self._forward_one(m, x_chunks)
                if self.stage_index < self.num_stages - 1:
                    self._send(out, self.stage_index + 1, 2 * m, works)
                else:
                    outs.append(out)
        for w in works:
            w.wait()
        return ember.cat(outs) if outs else None

    def _broadcast_count(self, n):
        box = [n]
        p2p.broadcast_object_list(box, src=self._pg.ranks[0], group=self._pg)
        return box[0]

    def step(self, input, target, loss_fn):
        """Forward and backward of one batch through the pipeline.

        Gradients accumulate into the stage's parameters (call ``zero_grad`` and the
        optimizer's ``step`` around it, as usual). ``input`` is needed on the first
        stage, ``target`` on the last; ``loss_fn(output, target)`` must average over
        the micro-batch (``F.cross_entropy``, ``F.mse_loss``, ...).

        Returns:
            float: the batch's loss, on every rank.
        """
        s, S = self.stage_index, self.num_stages
        x_chunks = self._split(input) if s == 0 else None
        n = self._broadcast_count(len(x_chunks) if s == 0 else None)
        targets, weights = None, None
        if s == S - 1:
            targets = self._split(target)
            if len(targets) != n:
                raise ValueError(f"Pipe.step: target splits into {len(targets)} micro-batches, "
                                 f"the input into {n}: give the same batch size")
            sizes = [t.shape[0] for t in targets]
            weights = [k / sum(sizes) for k in sizes]
        works, saved, total = [], {}, 0.0
        for kind, m in _schedule(self.schedule, s, S, n):
            if kind == "F":
                inp, out = self._forward_one(m, x_chunks)
                saved[m] = (inp, out)
                if s < S - 1:
                    self._send(out, s + 1, 2 * m, works)
            else:
                inp, out = saved.pop(m)
                total += self._backward_one(m, inp, out, loss_fn, targets, weights, works)
        for w in works:
            w.wait()
        box = [total]
        p2p.broadcast_object_list(box, src=self._pg.ranks[S - 1], group=self._pg)
        return box[0]

    def extra_repr(self):
        return (f"stage={self.stage_index}/{self.num_stages}, chunks={self.chunks}, "
                f"schedule={self.schedule!r}, balance={self.balance}")


def _schedule(kind, s, S, n):
    """The ("F"|"B", micro-batch) order of stage ``s`` of ``S`` for ``n`` micro-batches."""
    if kind == "gpipe":
        return [("F", m) for m in range(n)] + [("B", m) for m in range(n)]
    warm = min(S - s - 1, n)
    order = [("F", m) for m in range(warm)]
    f, b = warm, 0
    while f < n:                       # steady state: one forward, one backward
        order.append(("F", f))
        f += 1
        order.append(("B", b))
        b += 1
    order += [("B", m) for m in range(b, n)]
    return order
