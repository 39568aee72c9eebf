"""Raw-array kernels shared by convolution and pooling (numpy or cupy via ``xp``).

Layout conventions (N-d, ``nd`` spatial dims, ``K`` the kernel size tuple):

- ``pad_spatial`` pads the spatial dims of an ``(N, C, *S)`` array with a constant.
- ``im2col`` turns a padded ``(N, C, *Sp)`` array into a contiguous column array of shape
  ``(C, *K, N, *O)``: one strided view (``as_strided``) and one copy. Reshaped to
  ``(C*prod(K), N*prod(O))`` it is the right operand of the convolution GEMM, and its inner
  copy loop runs along contiguous input rows when the stride is 1.
- ``col2im`` is its adjoint: it adds a ``(C, *K, N, *O)`` column array back into a padded
  ``(N, C, *Sp)`` array with one vectorised strided add per kernel offset (prod(K) adds).
- ``window_slices`` gives, for one kernel offset, the strided slice of the padded input that
  the offset touches for every output position (the pooling kernels loop over offsets).
"""
import itertools
import threading
import time
import math
import os

import numpy as np

from ._gemm import matmul

__all__ = ["ntuple", "conv_out_size", "pad_spatial", "crop_spatial", "im2col", "col2im",
           "window_slices", "kernel_offsets", "sample_windows", "batch_chunks", "fold_windows", "split_over_threads",
           "run_shared", "run_concurrently", "parallel_matmul", "fixed_parts", "run_parts", "parallel_elementwise",
           "owned"]


def ntuple(value, n, name, op):
    """``value`` (int or sequence of n ints) as a tuple of n ints, else ValueError."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n != 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        out = tuple(value)
    else:
        out = (value,) * n
    for v in out:
        if isinstance(v, bool) or not isinstance(v, int) and not hasattr(v, "__index__"):
            raise TypeError(f"{op}: {name} must contain ints, got {value!r}")
    return tuple(int(v) for v in out)


def conv_out_size(size, k, s, p_lo, p_hi, d):
    """Output length of a window sweep: floor((S + pads - d(k-1) - 1) / s) + 1."""
    return (size + p_lo + p_hi - d * (k - 1) - 1) // s + 1


def pad_spatial(xp, x, lo, hi, value=0):
    """Pad dims 2.. of ``x`` by ``lo``/``hi`` (tuples, >= 0) with ``value``; no copy if all 0."""
    if not any(lo) and not any(hi):
        return x
    shape = x.shape[:2] + tuple(s + a + b for s, a, b in zip(x.shape[2:], lo, hi))
    if value == 0:
        out = xp.zeros(shape, dtype=x.dtype)
    else:
        out = xp.full(shape, value, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[2:]))] = x
    return out


def crop_spatial(x, lo, size):
    """The view ``x[:, :, lo0:lo0+size0, ...]``."""
    return x[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(lo, size))]


def kernel_offsets(ksize):
    return itertools.product(*(range(k) for k in ksize))


def window_slices(offset, osize, stride, dilation):
    """Slices (over spatial dims) of the padded input hit by kernel ``offset``."""
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                 for o, d, s, n in zip(offset, dilation, stride, osize))


_POOL = None
_POOL_SIZE = 0
_PAR_MIN = 1 << 20          # elements: below this, one thread is faster


def _reset_pool():          # a forked child (DataLoader worker) must not reuse dead threads
    global _POOL, _POOL_SIZE, _runs
    _POOL, _POOL_SIZE, _runs = None, 0, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pool)


_BACKOFF_S = 2.0      # after stalled runs of run_shared, stay single-threaded this long
_STALLS = 3            # ... this many stalls within _STALL_WINDOW_S: busy cores stall every
_STALL_WINDOW_S = 0.5  # parallel run; a first step's page faults stall one or two
_contended_until = 0.0
_stalls = []           # times of the latest stalls
# A new worker thread's first runs are slow on their own (glibc gives the thread a fresh
# malloc arena: its first big temporaries are page-faulted in; 19 ms against the caller's 7
# in a CNN's first step), so the first parallel runs of a process do not count as stalls.
_WARMUP_RUNS = 200
_runs = 0


# per thread: ``serial`` is True while a task of ``run_concurrently`` runs on it
_local = threading.local()


def _threads():
    """Threads for ember's parallel work now: ``get_num_threads()``, or 1 for a while after
    the last parallel run waited on its helper threads longer than it worked itself (the
    cores are busy with other processes: more threads would only queue behind them), and 1
    inside a task of ``run_concurrently``."""
    if getattr(_local, "serial", False):
        return 1
    from ..threads import get_num_threads
    n = get_num_threads()
    if n > 1 and _contended_until and time.monotonic() < _contended_until:
        return 1
    return n


def _pool(t):
    global _POOL, _POOL_SIZE
    if _POOL is None or _POOL_SIZE < t:
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(t, thread_name_prefix="ember-worker")
        _warm(pool, t)
        _POOL, _POOL_SIZE = pool, t
    return _POOL


def _warm(pool, t):
    """Start the pool's ``t`` threads now and let each make its first BLAS call (OpenBLAS
    allocates a thread's buffers then: several ms). Otherwise the first parallel run
    waits on that, takes it for a busy machine, and ember backs off to one thread for
    ``_BACKOFF_S`` -- the whole of a short benchmark."""
    import threading
    gate = threading.Barrier(t)
    a = np.ones((16, 16), dtype=np.float32)  # host: warms the host BLAS of the pool threads

    def first_call():
        try:
            gate.wait(timeout=1.0)     # all t threads exist at once (none is reused)
        except threading.BrokenBarrierError:
            pass
        a @ a
        a.astype(np.float64) @ a.astype(np.float64)
    for f in [pool.submit(first_call) for _ in range(t)]:
        f.result()


def run_shared(parts, fn, threads=None):
    """``[fn(p) for p in parts]`` on up to ``threads`` threads (ember's thread count by
    default), with work sharing: the calling thread takes parts too, in order, and at the
    end waits only for parts that another thread has already started. A helper thread
    the OS has not scheduled yet (a busy machine) finds nothing left and exits, so it never
    stalls the caller. NumPy releases the GIL in GEMMs, copies and ufunc loops, so the
    parts run in parallel. The first exception raised by ``fn`` is re-raised."""
    k = len(parts)
    t = min(_threads() if threads is None else threads, k)
    if t < 2:
        return [fn(p) for p in parts]
    import threading
    results = [None] * k
    errors = []
    cond = threading.Condition()
    state = [0, 0]          # next unclaimed part, parts being run by any thread

    def work():
        while True:
            with cond:
                i = state[0]
                if i >= k:
                    return
                state[0] = i + 1
                state[1] += 1
            try:
                results[i] = fn(parts[i])
            except BaseException as e:  # re-raised in the caller
                errors.append(e)
            finally:
                with cond:
                    state[1] -= 1
                    cond.notify_all()

    pool = _pool(t - 1)
    for _ in range(t - 1):
        pool.submit(work)
    t0 = time.monotonic()
    work()
    t1 = time.monotonic()
    with cond:
        cond.wait_for(lambda: state[1] == 0)
    t2 = time.monotonic()
    # waited a scheduler slice, and twice as long as it worked: other processes hold the cores
    # (a quiet machine waits well under a millisecond)
    global _runs
    _runs += 1
    if t2 - t1 > max(0.005, 2 * (t1 - t0)) and _runs > _WARMUP_RUNS:
        global _contended_until, _stalls
        _stalls = [t for t in _stalls if t2 - t < _STALL_WINDOW_S][-(_STALLS - 1):] + [t2]
        if len(_stalls) >= _STALLS:
            _contended_until = t2 + _BACKOFF_S
    if errors:
        raise errors[0]
    return results


def run_concurrently(xp, tasks):
    """``[task() for task in tasks]``: with NumPy and two or more of ember's threads, the
    tasks run side by side, each on one thread (the kernels inside them run their parts one
    after the other); else one after the other, each using every thread. Every kernel's
    parts are fixed by the shapes, so the results are the same bits either way."""
    if xp is not np or len(tasks) < 2 or _threads() < 2:
        return [task() for task in tasks]

    def serial(task):
        _local.serial = True
        try:
            return task()
        finally:
            _local.serial = False
    return run_shared(tasks, serial)


def _split(n, parts):
    bounds = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def parallel_chunks(xp, n, size, fn):
    """Run ``fn(a, b)`` over ``[0, n)`` split in contiguous chunks, on ember's threads when
    the work is large (``size`` elements)."""
    t = min(_threads(), n)
    if xp is not np or t < 2 or size < _PAR_MIN:
        fn(0, n)
        return
    run_shared(_split(n, 2 * t), lambda ab: fn(*ab))


# Memory-bound ops (batch norm, relu, pooling) split their work in parts of at least this many
# elements. The parts depend on the shape only, never on the thread count or the load, so a
# reduction computed part by part gives the same bits on 1 thread or 4.
PART_ELEMENTS = 1 << 19
MAX_PARTS = 8


def fixed_parts(n, size):
    """``[(a, b), ...]`` covering ``range(n)`` (``n`` rows of a ``size``-element array), in
    1, 2, 4 or 8 parts (a power of two, so that 2 or 4 threads share them evenly) of at
    least ``PART_ELEMENTS`` elements each, at most n."""
    k = 1
    while k * 2 <= min(n, size // PART_ELEMENTS, MAX_PARTS):
        k *= 2
    return _split(n, k)


def run_parts(xp, parts, fn):
    """``[fn(a, b) for (a, b) in parts]``, on ember's threads (work sharing) with NumPy."""
    if xp is not np or len(parts) < 2:
        return [fn(a, b) for a, b in parts]
    return run_shared(parts, lambda ab: fn(*ab))


def parallel_elementwise(xp, fn, out, *arrays):
    """``fn(*arrays, out=out)`` for an elementwise ``fn`` on same-shape C-contiguous arrays,
    split over flat ranges when the arrays are big (ember's threads)."""
    n = out.size
    parts = fixed_parts(n, n)
    if xp is not np or len(parts) < 2 or not all(a.flags.c_contiguous for a in (out,) + arrays):
        fn(*arrays, out=out)
        return out
    flat = [a.reshape(-1) for a in arrays]
    oflat = out.reshape(-1)
    run_parts(xp, parts, lambda a, b: fn(*(f[a:b] for f in flat), out=oflat[a:b]))
    return out


_BLAS = False      # unresolved; then None or threadpoolctl's BLAS controllers


def _blas_libs():
    global _BLAS
    if _BLAS is False:
        try:
            from threadpoolctl import ThreadpoolController
            _BLAS = [c for c in ThreadpoolController().lib_controllers
                     if c.user_api == "blas"] or None
        except Exception:   # pragma: no cover - threadpoolctl missing or failing
            _BLAS = None
    return _BLAS


def split_over_threads(xp, items, fn):
    """Run ``fn(part)`` over ``items`` split into contiguous parts (up to eight per
    thread) with work sharing (``run_shared``); returns the list of results.

    The parts are small so that the threads finish together: with two parts per thread,
    6 conv chunks on 2 threads became parts of 1, 2, 1 and 2 chunks, and one thread ran 4
    of them while the other waited (7.9 ms where 3 and 3 take 6.2).

    Many small GEMMs (one per sample) parallelise badly inside BLAS: each call syncs its
    threads, and on a busy machine a sync can wait a whole scheduler slice. BLAS runs
    single-threaded (ember/threads.py) and the items are split over ember's threads
    instead: the copies run in parallel too.
    """
    t = min(_threads(), len(items)) if xp is np else 1
    if t < 2:
        return [fn(items)]
    n = min(len(items), 8 * t)
    return run_shared([items[a:b] for a, b in _split(len(items), n)], fn, t)


def parallel_matmul(xp, a, b, out=None):
    """``a @ b`` (2-D, or batched), in parts on ember's threads when the product is big
    enough to pay for it; single-threaded BLAS runs each part. A 2-D product is split by
    columns of ``b`` when ``a`` is the smaller operand (every part re-reads ``a``), else by
    rows of ``a``.

    The parts depend on the shapes only -- never on the thread count or the machine's load
    -- and run one after the other on a single thread: BLAS picks its kernel (and so the
    rounding) by the size of each GEMM it is given, so the same parts give the same bits
    on 1 thread or 4, quiet machine or busy (tests/ops/test_parallel.py)."""
    if a.ndim < 2 or b.ndim < 2 or xp is not np:
        return matmul(xp, a, b, out=out)
    two_d = a.ndim == 2 and b.ndim == 2
    batched = a.ndim == b.ndim == 3 and a.shape[0] == b.shape[0]
    macs = a.size * b.shape[-1]
    if macs < _GEMM_PAR_MIN_MACS or not (two_d or batched):
        return matmul(xp, a, b, out=out)
    k = 4 if macs >= 8 * _GEMM_PAR_MIN_MACS else 2
    if batched:
        n = a.shape[0]

        def part(ab):
            lo, hi = ab
            matmul(xp, a[lo:hi], b[lo:hi], out=out[lo:hi])
    elif a.shape[0] < b.shape[1]:
        n = b.shape[1]

        def part(ab):
            lo, hi = ab
            matmul(xp, a, b[:, lo:hi], out=out[:, lo:hi])
    else:
        n = a.shape[0]

        def part(ab):
            lo, hi = ab
            matmul(xp, a[lo:hi], b, out=out[lo:hi])
    k = min(k, n if batched else n // _GEMM_MIN_PART)
    if k < 2:
        return matmul(xp, a, b, out=out)
    if out is None:
        shape = (a.shape[0], b.shape[-1]) if two_d else (a.shape[0], a.shape[1], b.shape[-1])
        out = xp.empty(shape, dtype=xp.result_type(a, b))
    run_shared(_split(n, k), part)
    return out


# From ~67M multiply-adds (~0.8 ms on one core) a GEMM is cut in 2 parts (4 from 512M)
# that ember's threads share. Below that the split did not pay on a quiet machine: the MLP
# step (128x784 @ 784x512 and smaller) took 3.44 ms split against 3.42 unsplit, with 35%
# more CPU.
_GEMM_PAR_MIN_MACS = 1 << 26
_GEMM_MIN_PART = 32          # rows or columns per part, at least


def _as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def im2col(xp, xpad, ksize, osize, stride, dilation):
    """Contiguous ``(C, *K, N, *O)`` columns of a padded ``(N, C, *Sp)`` array."""
    n, c = xpad.shape[:2]
    st = xpad.strides
    sp = st[2:]
    shape = (c,) + tuple(ksize) + (n,) + tuple(osize)
    strides = ((st[1],) + tuple(a * d for a, d in zip(sp, dilation)) + (st[0],)
               + tuple(a * s for a, s in zip(sp, stride)))
    view = _as_strided(xp, xpad, shape, strides)
    out = xp.empty(shape, dtype=xpad.dtype)

    def run(a, b):
        out[a:b] = view[a:b]
    parallel_chunks(xp, c, out.size, run)
    return out


def sample_windows(xp, xpad, ksize, osize, stride, dilation):
    """Strided view ``(N, C, *K, *O)`` of a padded ``(N, C, *Sp)`` array (no copy): element
    ``[n, c, k.., o..]`` is ``xpad[n, c, o*stride + k*dilation]``. A slice over ``N`` copied
    into a contiguous buffer is the per-sample column matrix ``(n, C*prod(K), prod(O))``."""
    st = xpad.strides
    sp = st[2:]
    shape = xpad.shape[:2] + tuple(ksize) + tuple(osize)
    strides = (st[:2] + tuple(a * d for a, d in zip(sp, dilation))
               + tuple(a * s for a, s in zip(sp, stride)))
    return _as_strided(xp, xpad, shape, strides)


# Per-sample column buffers are filled a few samples at a time, so that each chunk is
# still in cache when its GEMM reads it (and no full column matrix is ever allocated).
CHUNK_BYTES = 1 << 21


def owned(xp, a, shape):
    """A new C-contiguous array of ``shape`` holding ``a``'s elements (in ``a``'s C order),
    which owns its memory. A weight gradient made by ``ascontiguousarray(...).reshape(...)``
    is a view, and the autograd engine copies any view before it becomes a ``.grad`` (it
    cannot tell who else holds the base): ResNet-18 paid ~10 ms a step for those copies."""
    out = xp.empty(shape, dtype=a.dtype)
    out.reshape(a.shape)[...] = a
    return out


def batch_chunks(n, sample_bytes, budget=None):
    """``[(a, b), ...]`` covering ``range(n)`` with at most ``budget`` bytes per chunk (one
    sample at least), the first chunk the largest.

    Several chunks come in a multiple of 4 of near-equal size: the threads share them
    (``split_over_threads``), and 5 chunks on 2 threads leave one thread idle for a fifth of
    the time (the CNN's 3x3 layer: 27+27+27 samples against 27+20). The count depends on
    the shapes only, never on the thread count (the weight gradients' partial sums are
    added chunk by chunk)."""
    nb = max(1, min(n, (CHUNK_BYTES if budget is None else budget) // max(1, sample_bytes)))
    k = -(-n // nb)
    if k > 1:
        k = min(n, -(-k // 4) * 4)
    q, r = divmod(n, k)
    bounds = [0]
    for i in range(k):
        bounds.append(bounds[-1] + q + (i < r))
    return list(zip(bounds[:-1], bounds[1:]))


def fold_windows(xp, lead, psize, ksize, osize, stride, dilation, dtype, emit):
    """Sum per-kernel-offset window contributions into a new ``lead + psize`` array.

    ``emit(i, out)`` gives the ``lead + osize`` contribution of the i-th kernel offset (in
    ``kernel_offsets`` order); when ``out`` is not None it must write it there. Instead of
    one strided read-modify-write pass per offset (slow: the inner loop is strided), the
    offsets are grouped by the residue of ``k * dilation`` modulo the stride: the offsets of
    one residue class land on the same strided sub-grid of the output, shifted by whole
    steps, so they are summed in a compact contiguous array and that sum is written to its
    sub-grid once (``prod(stride)`` strided writes in all). A class hit by one offset with
    no shift is written directly."""
    nd = len(ksize)
    lead = tuple(lead)
    head = (slice(None),) * len(lead)
    # per dim: residue -> [(k index, whole-step shift)]
    per_dim = []
    for k, s, d in zip(ksize, stride, dilation):
        cls = {}
        for kk in range(k):
            cls.setdefault((kk * d) % s, []).append((kk, (kk * d) // s))
        per_dim.append(cls)
    full = all(len(cls) == min(s, p) for cls, s, p in zip(per_dim, stride, psize))
    out = (xp.empty if full else xp.zeros)(lead + tuple(psize), dtype=dtype)
    strides_k = [math.prod(ksize[i + 1:]) for i in range(nd)]
    for combo in itertools.product(*(sorted(c.items()) for c in per_dim)):
        res = tuple(r for r, _ in combo)
        jsz = tuple(-(-(p - r) // s) for r, p, s in zip(res, psize, stride))
        dst = out[head + tuple(slice(r, None, s) for r, s in zip(res, stride))]
        members = list(itertools.product(*(lst for _, lst in combo)))
        if len(members) == 1 and all(m == 0 for _, m in members[0]) and jsz == tuple(osize):
            idx = sum(kk * st for (kk, _), st in zip(members[0], strides_k))
            emit(idx, dst)
            continue
        acc = xp.zeros(lead + jsz, dtype=dtype)
        for mem in members:
            idx = sum(kk * st for (kk, _), st in zip(mem, strides_k))
            part = emit(idx, None)
            acc[head + tuple(slice(m, m + o) for (_, m), o in zip(mem, osize))] += part
        dst[...] = acc
    return out


def col2im(xp, col, pshape, ksize, osize, stride, dilation):
    """Adjoint of ``im2col``: sum a ``(C, *K, N, *O)`` column array into ``(N, C, *Sp)``.

    Accumulates in a ``(C, N, *Sp)`` buffer (so each add reads ``col`` contiguously) and
    returns its ``(N, C, *Sp)`` transposed view.
    """
    n, c = pshape[:2]
    acc = xp.zeros((c, n) + tuple(pshape[2:]), dtype=col.dtype)
    nonoverlap = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, ksize))
    head = (slice(None), slice(None))
    offsets = list(kernel_offsets(ksize))

    def run(a, b):
        dst = acc[a:b]
        for off in offsets:
            sl = head + window_slices(off, osize, stride, dilation)
            src = col[(slice(a, b),) + off]
            if nonoverlap:
                dst[sl] = src
            else:
                dst[sl] += src
    parallel_chunks(xp, c, col.size, run)
    return acc.swapaxes(0, 1)


def _pool_view(xp, xpad, ksize, osize, stride, dilation):
    """Strided view (*K, N, C, *O) of a padded (N, C, *Sp) array: element [k.., n, c, o..]
    is xpad[n, c, o*stride + k*dilation]."""
    st = xpad.strides
    sp = st[2:]
    shape = tuple(ksize) + xpad.shape[:2] + tuple(osize)
    strides = (tuple(a * d for a, d in zip(sp, dilation)) + st[:2]
               + tuple(a * s for a, s in zip(sp, stride)))
    return _as_strided(xp, xpad, shape, strides)


def pool_cols(xp, xpad, ksize, osize, stride, dilation):
    """Contiguous (prod(K), N, C, *O) windows of a padded (N, C, *Sp) array (one copy)."""
    nd = len(ksize)
    view = _pool_view(xp, xpad, ksize, osize, stride, dilation)
    out = xp.empty(view.shape, dtype=xpad.dtype)
    vt, ot = xp.moveaxis(view, nd, 0), xp.moveaxis(out, nd, 0)   # batch first, for threads

    def run(a, b):
        ot[a:b] = vt[a:b]
    parallel_chunks(xp, xpad.shape[0], out.size, run)
    return out.reshape((-1,) + out.shape[nd:])


def pool_uncols(xp, cols, pshape, ksize, stride, dilation):
    """Adjoint of ``pool_cols``: sum (prod(K), N, C, *O) windows into zeros(pshape)."""
    nd = len(ksize)
    osize = cols.shape[3:]
    out = xp.zeros(pshape, dtype=cols.dtype)
    cols = cols.reshape(tuple(ksize) + cols.shape[1:])
    if all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, ksize)):
        view = _pool_view(xp, out, ksize, osize, stride, dilation)   # windows are disjoint
        vt, ct = xp.moveaxis(view, nd, 0), xp.moveaxis(cols, nd, 0)

        def run(a, b):
            vt[a:b] = ct[a:b]
        parallel_chunks(xp, pshape[0], cols.size, run)
        return out
    head = (slice(None), slice(None))
    for off in kernel_offsets(ksize):
        out[head + window_slices(off, osize, stride, dilation)] += cols[off]
    return out
