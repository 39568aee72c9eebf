"""The work of a recurrent layer around its serial recurrence, in fixed chunks of steps
that a second ember thread runs beside it (``ember.ops.rnn.RNNLayer``).

The recurrence is one chain of small per-step GEMMs: one thread. Everything else in a
layer is large and parallel: the input projection ``xg = x W_ih^T + b_ih`` of every
step (forward) and, in the backward, the weight gradients ``dW_hh = dgh^T h_{t-1}``,
``dW_ih = dxg^T x``, the bias sums and the input gradient ``dx = dxg W_ih``. That work is
cut into fixed chunks of consecutive steps (about ``_CHUNK_ROWS`` rows each, in the
order the recurrence visits them): :class:`InputProjection` computes a chunk of ``xg``
ahead of the recurrence, :class:`LayerGrads` a chunk of the gradients right after the
recurrence has produced its rows. The partial weight gradients are added up in chunk
order, so the bits are the same for any thread count or load.

Work sharing keeps it safe on a busy machine (``run_shared`` claims parts in order,
so the recurrence, part 0, is always claimed first): the recurrence computes a
projection chunk itself when the other thread has not claimed it yet, and when the
backward recurrence ends its thread takes the gradient chunks still left, waiting only
for one the other thread is computing. With one thread everything runs in turn.
"""
import threading

import numpy as np

from ._im2col import _split, _threads, run_shared
from ._gemm import matmul

_MIN_SPLIT_WORK = 1 << 18   # multiply-adds per step below which one thread is faster
_MIN_ROWS = 32              # rows per part: smaller per-step GEMMs lose more than a thread gains
_CHUNK_ROWS = 256           # rows of one chunk (the K of a partial weight-gradient GEMM)
_MIN_OVERLAP_WORK = 1 << 26  # multiply-adds of a layer's recurrence below which a second thread does not pay


def _row_threads(xp, B, per_step_work):
    """Threads the batch rows are split over (1: all rows in one part)."""
    t = min(_threads(), B // _MIN_ROWS) if xp is np else 1
    return t if t >= 2 and per_step_work >= _MIN_SPLIT_WORK else 1


def run_rows(xp, B, per_step_work, fn):
    """Call ``fn(lo, hi)`` over the batch rows: split in one part per thread (ember's
    work-sharing threads, BLAS single-threaded) when the layer is big enough, else all
    rows at once. One part per thread, not more: a GEMM of 8 rows runs at about half
    the speed of one of 32 here."""
    t = _row_threads(xp, B, per_step_work)
    if t >= 2:
        run_shared(_split(B, t), lambda ab: fn(*ab), t)
    else:
        fn(0, B)


def chunks(bs, offs, order):
    """``(steps per chunk, [(steps visited when the chunk is complete, first row, end
    row), ...])`` in the order ``order`` visits the steps of a packed layout."""
    steps = list(order)
    per = max(1, -(-_CHUNK_ROWS // max(bs)))
    out = []
    for c in range(0, len(steps), per):
        ts = steps[c:c + per]
        out.append((c + len(ts), min(offs[t] for t in ts), max(offs[t] + bs[t] for t in ts)))
    return per, out


def overlapped(xp, B, per_step_work, n_chunks):
    """Whether a layer's chunks run on a second thread beside its recurrence: NumPy, at
    least two chunks, enough work, and a batch not itself split over threads."""
    # per_step_work: multiply-adds of one row's step (G*H*P); about n_chunks * _CHUNK_ROWS rows
    return (xp is np and n_chunks >= 2 and per_step_work * n_chunks * _CHUNK_ROWS >= _MIN_OVERLAP_WORK
            and _row_threads(xp, B, per_step_work) < 2)


def _in_turn_or_shared(xp, n_chunks, fn):
    """``fn()`` (a chunk claim loop) on up to two work-sharing threads."""
    if xp is np and n_chunks >= 2:
        run_shared([0, 1], lambda _: fn())
    else:
        fn()



def _claim(owner):
    """The next chunk nobody has claimed (``owner.cond`` held), marked as claimed; None
    when none is left."""
    i = owner.claimed
    if i >= len(owner.chunks):
        return None
    owner.claimed = i + 1
    return i

class InputProjection:
    """``xg = x @ w_ih^T + b_ih`` (``(N, G*H)``), one GEMM per chunk of steps; ``run``
    drives the recurrence ``rows(lo, hi, need)``, which calls ``need(k)`` before the
    ``k``-th step it visits."""

    def __init__(self, xp, x, w_ih, b_ih, bs, offs, order):
        self.xp, self.x, self.b = xp, x, b_ih
        self.per, self.chunks = chunks(bs, offs, order)
        self.wT = xp.ascontiguousarray(w_ih.T)
        self.xg = xp.empty((x.shape[0], w_ih.shape[0]), dtype=x.dtype)
        self.done = [False] * len(self.chunks)
        self.claimed = 0
        self.failed = False
        self.cond = threading.Condition()

    def _compute(self, i):
        _, r0, r1 = self.chunks[i]
        try:
            out = self.xg[r0:r1]
            matmul(self.xp, self.x[r0:r1], self.wT, out=out)
            if self.b is not None:
                out += self.b
        except BaseException:
            with self.cond:
                self.failed = True
                self.cond.notify_all()
            raise
        with self.cond:
            self.done[i] = True
            self.cond.notify_all()

    def produce(self):
        """Compute the chunks nobody has claimed yet, in order."""
        while True:
            with self.cond:
                i = _claim(self)
                if i is None:
                    return
            self._compute(i)

    def need(self, k):
        """The recurrence is about to visit its ``k``-th step: its chunk must be there
        (computed here if the other thread has not claimed it)."""
        if k % self.per:
            return
        i = k // self.per
        with self.cond:
            if self.done[i]:
                return
            mine = self.claimed <= i   # chunks are claimed in order: i and later are free
            if mine:
                self.claimed = i + 1
            else:
                self.cond.wait_for(lambda: self.done[i] or self.failed)
                if self.failed:
                    raise RuntimeError("rnn: the input projection failed on another thread")
        if mine:
            self._compute(i)

    def run(self, B, per_step_work, rows):
        xp = self.xp
        if not overlapped(xp, B, per_step_work, len(self.chunks)):
            _in_turn_or_shared(xp, len(self.chunks), self.produce)
            run_rows(xp, B, per_step_work, lambda lo, hi: rows(lo, hi, None))
            return

        def part(i):
            if i == 0:
                rows(0, B, self.need)
            self.produce()
        run_shared([0, 1], part)


class LayerGrads:
    """A layer's gradients that are sums or products over its rows, per chunk of steps:
    ``dW_hh = dgh^T hp``, ``db_hh = sum dgh``, ``dW_ih = dxg^T x``, ``db_ih = sum dxg``
    and the rows of ``dx = dxg w_ih``; ``run`` drives the backward recurrence
    ``rows(lo, hi, tick)``, which calls ``tick()`` after each step.

    Args:
        want (dict): which of ``"w_hh", "b_hh", "w_ih", "b_ih", "x"`` are needed.
        x, w_ih: the layer's input rows and input weight. bs, offs, order: the packed
            layout and the order the backward visits the steps.
    """
    _KEYS = ("w_hh", "b_hh", "w_ih", "b_ih")

    def __init__(self, xp, want, x, w_ih, bs, offs, order):
        self.xp, self.want, self.x, self.w_ih = xp, want, x, w_ih
        _, self.chunks = chunks(bs, offs, order)
        self._ready = {end for end, _, _ in self.chunks}
        self.dx = xp.empty_like(x) if want["x"] else None
        self.done = self.claimed = 0
        self.cond = threading.Condition()
        self.parts = [None] * len(self.chunks)

    def bind(self, dgh, hp, dxg):
        """The arrays the recurrence fills (``dgh``: hidden-side and ``dxg``: input-side
        pre-activation gradients, the same array but for GRU) and the saved ``h_{t-1}``."""
        self.dgh, self.hp, self.dxg = dgh, hp, dxg

    def tick(self):
        """Called by the recurrence after each step (one thread only)."""
        self.done += 1
        if self.done in self._ready:
            with self.cond:
                self.cond.notify_all()

    def finish(self):
        """The recurrence ended (or failed): release the chunk consumer."""
        with self.cond:
            self.done = self.chunks[-1][0] if self.chunks else 0
            self.cond.notify_all()

    def consume(self):
        """Compute chunks, each once its rows are ready, until none is left unclaimed
        (two threads can share them; each chunk's sums land in its own slot)."""
        want, same = self.want, self.dxg is self.dgh
        while True:
            with self.cond:
                i = _claim(self)
                if i is None:
                    return
                end, r0, r1 = self.chunks[i]
                self.cond.wait_for(lambda: self.done >= end)
            g, gx = self.dgh[r0:r1], self.dxg[r0:r1]
            b_hh = g.sum(0) if want["b_hh"] or (want["b_ih"] and same) else None
            self.parts[i] = (g.T @ self.hp[r0:r1] if want["w_hh"] else None, b_hh,
                             gx.T @ self.x[r0:r1] if want["w_ih"] else None,
                             (b_hh.copy() if same else gx.sum(0)) if want["b_ih"] else None)
            if self.dx is not None:
                matmul(self.xp, gx, self.w_ih, out=self.dx[r0:r1])

    def result(self):
        """``{"w_hh", "b_hh", "w_ih", "b_ih", "x"}`` gradients (None where not wanted):
        the chunks' partial sums added in chunk order (into the first chunk's arrays,
        which nothing else holds)."""
        xp, out = self.xp, {"x": self.dx}
        for k, key in enumerate(self._KEYS):
            acc = None
            for part in self.parts if self.want[key] else ():
                acc = part[k] if acc is None else xp.add(acc, part[k], out=acc)
            out[key] = acc
        return out

    def run(self, B, per_step_work, rows):
        xp = self.xp
        if not overlapped(xp, B, per_step_work, len(self.chunks)):
            run_rows(xp, B, per_step_work, lambda lo, hi: rows(lo, hi, None))
            self.finish()
            _in_turn_or_shared(xp, len(self.chunks), self.consume)
            return

        def part(i):
            if i == 0:
                try:
                    rows(0, B, self.tick)
                finally:
                    self.finish()
            self.consume()   # the recurrence's thread then takes the chunks left
        run_shared([0, 1], part)
