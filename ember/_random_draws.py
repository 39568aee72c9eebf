"""PyTorch-CPU-compatible random draws on NumPy.

PyTorch's CPU generator is a 32-bit Mersenne Twister (mt19937) seeded with the low 32
bits of the seed; ``numpy.random.MT19937`` is the same engine, so a Generator here is a
NumPy MT19937 whose key is set the way PyTorch seeds it. On top of the raw stream this
module reproduces PyTorch's transforms, each checked bit for bit against torch 2.x
(tests/test_random.py):

- ``uniform``: float32 takes the low 24 bits of one 32-bit draw, float64 the low 53 bits
  of a 64-bit draw (first 32-bit draw in the high half), scaled by 2**-k; ``from + x *
  (to - from)`` is one fused multiply-add in double.
- ``randint``: ``draw % (high - low) + low`` with a 32-bit draw, or a 64-bit draw when the
  range is at least 2**32.
- ``randperm``: forward Fisher-Yates, ``swap(r[i], r[i + draw % (n - i)])``.
- ``normal``: a contiguous tensor of 16 or more elements is filled with uniforms, then
  Box-Muller in blocks of 16 (element j with j + 8: cos and sin); when the size is not a
  multiple of 16 the last 16 are redrawn and recomputed. float32 uses PyTorch's AVX2
  kernel (Cephes-style polynomials with fused multiply-adds, reproduced below);
  float64 uses libm (Python's ``math``). Smaller or non-contiguous tensors draw one double
  normal at a time from (u1, u2) pairs, caching the sine half for the next draw.
- ``bernoulli``: ``u < p`` with a 53-bit double ``u`` for a scalar ``p`` (so dropout
  masks, ``bernoulli(1 - p)``, match); for a tensor of probabilities ``u`` has the bits
  of ``p``'s dtype (24 for float32).
- Serial kernels (uniform, randint, bernoulli, small normal) fill a non-contiguous tensor
  in memory order, as PyTorch's TensorIterator does.
"""
import math

import numpy as np

__all__ = ["mt19937_key", "raw32", "raw64", "uniform", "normal", "randint", "randperm", "random_full",
           "bernoulli"]

_f32 = np.float32


def mt19937_key(seed):
    """The 624-word mt19937 state PyTorch builds from ``seed`` (its low 32 bits)."""
    key = [int(seed) & 0xFFFFFFFF]
    for i in range(1, 624):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


def raw32(gen, n):
    """``n`` raw 32-bit draws as uint64."""
    return gen._bg.random_raw(n).astype(np.uint64, copy=False)


def raw64(gen, n):
    """``n`` 64-bit draws, each made of two 32-bit draws (the first is the high half)."""
    r = raw32(gen, 2 * n)
    return (r[0::2] << np.uint64(32)) | r[1::2]


def _unit(gen, n, npd):
    """``n`` uniforms on [0, 1) with PyTorch's bit recipe for ``npd``."""
    if npd == np.float64:
        return (raw64(gen, n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53
    # (24-bit values: through int32, whose conversion to double is vectorised; uint64's is not)
    return (raw32(gen, n) & np.uint64((1 << 24) - 1)).astype(np.int32).astype(np.float64) * 2.0 ** -24


def _fma64(a, b, c):
    """``a * b + c`` with one rounding (float64 arrays/scalars), by error-free transforms:
    Dekker's exact product and Knuth's two-sum; the final sum of the low parts is rounded
    once more, which differs from a hardware FMA only when the result sits within 2**-100
    relative of a rounding tie."""
    a, b, c = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64)
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    perr = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    serr = (p - (s - bb)) + (c - bb)
    return s + (serr + perr)


def _fma32(a, b, c):
    """float32 ``a * b + c`` with one rounding: the product of two float32 values is exact
    in float64, so only the final float64 sum rounds before float32."""
    r = np.multiply(a, b, dtype=np.float64)  # the ufunc widens its float32 inputs
    np.add(r, c, out=r, dtype=np.float64)
    return r.astype(_f32)


def _memory_order(arr):
    """The axes of ``arr`` from largest to smallest stride (C order when contiguous)."""
    if arr.flags.c_contiguous:
        return tuple(range(arr.ndim))
    return tuple(sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d])))


def _fill_memory_order(arr, values):
    """Write flat ``values`` into ``arr`` in memory order (largest stride outermost)."""
    if arr.flags.c_contiguous:
        arr.reshape(-1)[...] = values
        return
    view = arr.transpose(_memory_order(arr))
    view[...] = values.reshape(view.shape)


def uniform(gen, arr, low=0.0, high=1.0):
    """Fill ``arr`` (float32/float64, in place) with U(low, high) draws."""
    npd = arr.dtype
    work = np.float64 if npd == np.float64 else _f32
    lo, hi = work(low), work(high)
    x = _unit(gen, arr.size, np.float64 if npd == np.float64 else _f32)
    if lo == 0 and hi == 1:
        vals = x
    elif npd == np.float64:
        vals = _fma64(x, hi - lo, lo)
    else:
        # float32: (to - from) in float32, PyTorch's fused multiply-add in double. x has 24
        # bits and (to - from) 24: their product is exact in double, so plain double
        # arithmetic rounds once, as the FMA does (and costs a tenth of emulating one)
        vals = x * np.float64(work(hi - lo))
        vals += np.float64(lo)
    _fill_memory_order(arr, vals)  # (the assignment rounds to arr's dtype)
    return arr


def randint(gen, arr, low, high):
    """Fill ``arr`` with integers uniform on [low, high)."""
    span = int(high) - int(low)
    draws = raw64(gen, arr.size) if span >= 1 << 32 else raw32(gen, arr.size)
    vals = (draws % np.uint64(span)).astype(np.int64) + np.int64(low)
    _fill_memory_order(arr, vals.astype(arr.dtype, copy=False))
    return arr


def random_full(gen, arr):
    """``tensor.random_()``: integers on [0, 2**mantissa] for floats, [0, max] for ints."""
    dt = arr.dtype
    if dt == np.float64:
        vals = raw64(gen, arr.size) % np.uint64((1 << 53) + 1)
    elif dt.kind == "f":
        vals = raw32(gen, arr.size) % np.uint64((1 << 24) + 1)
    elif dt == np.int64:
        vals = raw64(gen, arr.size) % np.uint64(1 << 63)
    elif dt == np.bool_:
        vals = raw32(gen, arr.size) % np.uint64(2)
    else:
        vals = raw32(gen, arr.size) % np.uint64(int(np.iinfo(dt).max) + 1)
    _fill_memory_order(arr, vals.astype(dt))
    return arr


def bernoulli(gen, arr, p):
    """Fill ``arr`` with 1 where a uniform draw is below ``p`` (a number, or an array
    broadcastable to ``arr``), else 0."""
    if np.ndim(p) == 0:
        vals = _below_53(gen, arr.size, float(p))
    else:
        p = np.asarray(p)
        bits = np.float64 if p.dtype == np.float64 else _f32
        order = _memory_order(arr)
        pf = np.broadcast_to(p, arr.shape).transpose(order).reshape(-1)
        vals = _unit(gen, arr.size, bits) < pf
    _fill_memory_order(arr, vals.astype(arr.dtype))
    return arr


def _below_53(gen, n, p):
    """``u < p`` (bools) for ``n`` 53-bit double uniforms ``u`` as ``_unit`` draws them (two
    32-bit draws each, the first one the high half), compared as integers: ``u = k * 2**-53``
    is below ``p`` exactly when ``k < ceil(p * 2**53)``. The same bits as the float
    comparison, without converting 64-bit integers to doubles (NumPy does not vectorise
    that): dropout's masks cost a third as much."""
    pairs = gen._np.integers(0, 1 << 32, size=2 * n, dtype=np.uint32).reshape(n, 2)
    if not p > 0:                        # also NaN: u < p never holds
        return np.zeros(n, dtype=bool)
    if p >= 1:
        return np.ones(n, dtype=bool)
    thr = math.ceil(p * 2.0 ** 53)       # p * 2**53 is exact in double
    th, tl = np.uint32(thr >> 32), np.uint32(thr & 0xFFFFFFFF)
    high = pairs[:, 0] & np.uint32((1 << 21) - 1)
    if tl == 0:
        return high < th
    below = high < th
    tie = high == th                     # the low half decides: one draw in 2**21
    if tie.any():
        below |= tie & (pairs[:, 1] < tl)
    return below


def randperm(gen, n):
    """A permutation of 0..n-1 as int64, PyTorch's forward Fisher-Yates."""
    n = int(n)
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    picks = (raw32(gen, n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
    r = list(range(n))
    for i, z in enumerate(picks):  # sequential swaps: each depends on the previous
        j = i + z
        r[i], r[j] = r[j], r[i]
    return np.array(r, dtype=np.int64)


# -- normal ---------------------------------------------------------------------------

_LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]


def _log_f32(x):
    """Natural log of positive normal float32 ``x``, step for step as PyTorch's AVX2
    kernel computes it (Cephes logf: mantissa in [sqrt(.5), sqrt(2)), degree-8
    polynomial, exponent added in two parts), so the float32 roundings match."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_f32) + _f32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_f32)  # mantissa in [0.5, 1)
    small = m < _f32(0.707106781186547524)
    m = (m - _f32(1)) + np.where(small, m, _f32(0))
    e = e - small.astype(_f32)
    z = m * m
    y = np.full_like(m, _f32(_LOG_P[0]))
    for p in _LOG_P[1:]:
        y = _fma32(y, m, _f32(p))
    y = _fma32(y * m, z, e * _f32(-2.12194440e-4))
    y = _fma32(z, _f32(-0.5), y)
    return _fma32(e, _f32(0.693359375), m + y)


def _sincos_f32(x):
    """(sin x, cos x) of non-negative float32 ``x``, as PyTorch's AVX2 kernel computes
    them (octant reduction by pi/4 in three parts, Cephes minimax polynomials)."""
    j = (x * _f32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_f32)
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, _f32(dp), x)
    z = x * x
    c = _fma32(_fma32(np.full_like(z, _f32(2.443315711809948e-5)), z, _f32(-1.388731625493765e-3)),
               z, _f32(4.166664568298827e-2))
    c = _fma32(c * z, z, -(z * _f32(0.5))) + _f32(1)
    s = _fma32(_fma32(np.full_like(z, _f32(-1.9515295891e-4)), z, _f32(8.3321608736e-3)),
               z, _f32(-1.6666654611e-1))
    s = _fma32(s * z, x, x)
    swap = (j & 2) == 0
    sin = np.where(swap, s, c)
    cos = np.where(swap, c, s)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((~(j - 2)) & 4) != 0, -cos, cos)
    return sin, cos


def _box_muller16(u, mean, std, npd):
    """Box-Muller over blocks of 16 uniforms: (j, j + 8) -> (r cos t, r sin t)."""
    u = u.reshape(-1, 16)
    out = np.empty(u.shape, dtype=npd)
    if npd == np.float64:
        u1 = (1.0 - u[:, :8]).ravel().tolist()
        u2 = u[:, 8:].ravel().tolist()
        radius = np.sqrt(-2.0 * np.fromiter(map(math.log, u1), np.float64, len(u1)))
        theta = (2.0 * math.pi) * np.array(u2)
        cos = np.fromiter(map(math.cos, theta.tolist()), np.float64, len(u2))
        sin = np.fromiter(map(math.sin, theta.tolist()), np.float64, len(u2))
        out[:, :8] = _fma64(radius * cos, std, mean).reshape(-1, 8)
        out[:, 8:] = _fma64(radius * sin, std, mean).reshape(-1, 8)
        return out.ravel()
    u = u.astype(_f32)
    radius = np.sqrt(_f32(-2) * _log_f32(_f32(1) - u[:, :8]))
    sin, cos = _sincos_f32(_f32(2.0 * math.pi) * u[:, 8:])
    out[:, :8] = _fma32(radius * cos, _f32(std), _f32(mean))
    out[:, 8:] = _fma32(radius * sin, _f32(std), _f32(mean))
    return out.ravel()


def _normal_serial(gen, n, mean, std):
    """``n`` double normals one at a time, PyTorch's cached Box-Muller pair."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        if gen._normal_cache is not None:
            v, gen._normal_cache = gen._normal_cache, None
        else:
            u1, u2 = _unit(gen, 2, np.float64).tolist()
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            gen._normal_cache = r * math.sin(theta)
            v = r * math.cos(theta)
        out[i] = v
    return _fma64(out, float(std), float(mean))


def normal(gen, arr, mean=0.0, std=1.0):
    """Fill ``arr`` (float32/float64, in place) with N(mean, std^2) draws."""
    n = arr.size
    npd = np.float64 if arr.dtype == np.float64 else _f32
    if n >= 16 and arr.flags.c_contiguous:
        m, s = npd(mean), npd(std)
        u = _unit(gen, n, npd)
        head = n // 16 * 16
        vals = np.empty(n, dtype=npd)
        vals[:head] = _box_muller16(u[:head], m, s, npd)
        if n % 16:
            vals[n - 16:] = _box_muller16(_unit(gen, 16, npd), m, s, npd)
        arr.reshape(-1)[...] = vals.astype(arr.dtype, copy=False)
        return arr
    _fill_memory_order(arr, _normal_serial(gen, n, mean, std).astype(arr.dtype))
    return arr
