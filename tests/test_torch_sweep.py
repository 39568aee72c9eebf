"""A seeded random sweep of ops x shapes (0-d and empty included) x dtypes (bool, int,
float32, float64) against PyTorch.

Each call either gives the same values, shape and dtype in both libraries, or raises in
both with the same exception class and an ember message that names the op. Calls that
differ on purpose are listed, with a reason each, in ``torch_sweep_known_differences.py``;
``test_known_differences_still_differ`` keeps that list honest (an entry that no longer
matches a differing call must be deleted), so it only shrinks.

Run ``python -m tests.test_torch_sweep`` for a report of every differing call.
"""
import functools
import warnings

import numpy as np
import pytest

import ember
from .helpers import require_torch, torch
from .torch_sweep_known_differences import KNOWN_DIFFERENCES

pytestmark = pytest.mark.filterwarnings("ignore")

SEED = 1234
CASES_PER_OP = 48
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64")
FLOATS = ("float32", "float64")
SHAPES = ((), (0,), (1,), (4,), (2, 3), (3, 0), (1, 3), (2, 1, 3), (2, 0, 3))


# ---------------------------------------------------------------------------------
# argument samplers: each returns (list of numpy inputs, dict of arguments)

def _array(rng, shape, dtype):
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.startswith("int"):
        return np.asarray(rng.integers(-3, 5, shape), dtype=dtype)
    return np.asarray(rng.normal(size=shape), dtype=dtype)


def _any_input(rng, float_only=False):
    dtypes = FLOATS if float_only else DTYPES
    shape = SHAPES[rng.integers(len(SHAPES))]
    return _array(rng, shape, dtypes[rng.integers(len(dtypes))])


def _dim(rng, ndim):
    """A dim: mostly valid (negative forms included), sometimes out of range."""
    n = max(ndim, 1)
    return int(rng.integers(-n - 1, n + 1))


def unary(rng):
    return [_any_input(rng)], {}


def with_dim(rng):
    x = _any_input(rng)
    return [x], {"dim": _dim(rng, x.ndim)}


def reduction(rng):
    """dim absent, one dim, or a tuple of dims; keepdim sometimes."""
    x = _any_input(rng)
    args = {}
    r = rng.random()
    if r < 0.6:
        args["dim"] = _dim(rng, x.ndim)
    elif r < 0.8:
        args["dim"] = tuple(sorted({_dim(rng, x.ndim) for _ in range(2)}))
    if "dim" in args and rng.random() < 0.5:
        args["keepdim"] = bool(rng.random() < 0.5)
    return [x], args


def one_dim_reduction(rng):
    """Ops with a single optional dim (argmax, median, ...)."""
    x = _any_input(rng)
    args = {}
    if rng.random() < 0.7:
        args["dim"] = _dim(rng, x.ndim)
        if rng.random() < 0.5:
            args["keepdim"] = bool(rng.random() < 0.5)
    return [x], args


def binary(rng):
    """Two inputs: same shape, broadcastable, incompatible, or a Python scalar."""
    x = _any_input(rng)
    r = rng.random()
    dt = DTYPES[rng.integers(len(DTYPES))]
    if r < 0.35:
        other = _array(rng, x.shape, dt)
    elif r < 0.55:
        shape = tuple(1 if rng.random() < 0.5 else s for s in x.shape)[int(rng.integers(0, x.ndim + 1)):]
        other = _array(rng, shape, dt)
    elif r < 0.65:
        other = _array(rng, SHAPES[rng.integers(len(SHAPES))], dt)
    else:
        other = [2, -1, 0, 0.5, -1.5, True, False][rng.integers(7)]
    return [x, other], {}


def two_dims(rng):
    x = _any_input(rng)
    return [x], {"dim0": _dim(rng, x.ndim), "dim1": _dim(rng, x.ndim)}


def flatten_args(rng):
    x = _any_input(rng)
    return [x], {"start_dim": _dim(rng, x.ndim), "end_dim": _dim(rng, x.ndim)}


def perm(rng):
    x = _any_input(rng)
    dims = list(rng.permutation(x.ndim))
    r = rng.random()
    if r < 0.2 and dims:
        dims[0] = _dim(rng, x.ndim)
    elif r < 0.3:
        dims = dims + [0]
    return [x], {"dims": tuple(int(d) for d in dims)}


def dims_list(rng):
    x = _any_input(rng)
    return [x], {"dims": [_dim(rng, x.ndim)]}


def clamp_args(rng):
    x = _any_input(rng)
    lo, hi = [(-1, 2), (-0.5, 0.5), (None, 1), (0, None), (None, 1.5)][rng.integers(5)]
    return [x], {"min": lo, "max": hi}


def pow_args(rng):
    x = _any_input(rng)
    if rng.random() < 0.5:
        return [x, [2, -1, -2, 0, 3, 0.5, -0.5][rng.integers(7)]], {}
    return [x, _array(rng, x.shape, DTYPES[rng.integers(len(DTYPES))])], {}


def matmul_args(rng):
    shapes = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 1)),
              ((0, 3), (3, 2)), ((2, 3), (2, 3)), ((), (3,)), ((2, 0), (0, 3))]
    a, b = shapes[rng.integers(len(shapes))]
    dt = DTYPES[rng.integers(len(DTYPES))]
    dt2 = dt if rng.random() < 0.8 else DTYPES[rng.integers(len(DTYPES))]
    return [_array(rng, a, dt), _array(rng, b, dt2)], {}


def softmax_args(rng):
    x = _any_input(rng)
    return [x], {"dim": _dim(rng, x.ndim)}


def norm_args(rng):
    x, args = reduction(rng)
    args["p"] = [2, 1, float("inf"), 3, "fro", 0][rng.integers(6)]
    return x, args


def narrow_args(rng):
    x = _any_input(rng)
    return [x], {"dim": _dim(rng, x.ndim), "start": int(rng.integers(-1, 3)), "length": int(rng.integers(0, 3))}


def topk_args(rng):
    x = _any_input(rng)
    return [x], {"k": int(rng.integers(0, 3)), "dim": _dim(rng, x.ndim)}


def cat_args(rng):
    x = _any_input(rng)
    y = _array(rng, x.shape if rng.random() < 0.7 else SHAPES[rng.integers(len(SHAPES))],
               DTYPES[rng.integers(len(DTYPES))])
    return [x, y], {"dim": _dim(rng, x.ndim + 1)}


def reduction_dtype(rng):
    xs, args = reduction(rng)
    args["dtype"] = DTYPES[rng.integers(len(DTYPES))]
    return xs, args


def _dtype_arg(m, args):
    """``args`` with the dtype name swapped for ``m``'s dtype object."""
    return {k: getattr(m, v) if k == "dtype" else v for k, v in args.items()}


def gather_args(rng):
    x = _any_input(rng)
    dim = _dim(rng, x.ndim)
    shape = tuple(int(rng.integers(0, s + 1)) for s in x.shape)
    n = x.shape[dim] if x.ndim and -x.ndim <= dim < x.ndim else 1
    return [x, np.asarray(rng.integers(-1, n + 1, shape), dtype=np.int64)], {"dim": dim}


def index_select_args(rng):
    x = _any_input(rng)
    dim = _dim(rng, x.ndim)
    n = x.shape[dim] if x.ndim and -x.ndim <= dim < x.ndim else 1
    return [x, np.asarray(rng.integers(0, n + 1, int(rng.integers(0, 3))), dtype=np.int64)], {"dim": dim}


def setitem_args(rng):
    x = _any_input(rng)
    value = [1, 0.5, True][rng.integers(3)] if rng.random() < 0.6 else _array(rng, (), DTYPES[rng.integers(len(DTYPES))])
    return [x, value], {"key": index_key(rng, x.shape)}


def _setitem(m, xs, a):
    x = xs[0].clone()
    x[_key_for(m, a["key"])] = xs[1]
    return x


def index_key(rng, shape):
    """A random key: ints, slices, range, lists (nested), None, Ellipsis, bool masks, index tensors."""
    parts = []
    for s in shape[:int(rng.integers(0, len(shape) + 2))]:
        n = max(s, 1)
        r = rng.random()
        if r < 0.2:
            parts.append(int(rng.integers(-n, n + 1)))
        elif r < 0.35:
            parts.append(slice(int(rng.integers(-n, n)), None, int(rng.integers(1, 3))))
        elif r < 0.5:
            parts.append(range(0, int(rng.integers(0, n + 1))))
        elif r < 0.65:
            parts.append([int(v) for v in rng.integers(-n, n, int(rng.integers(0, 3)))])
        elif r < 0.72:
            parts.append([[int(v) for v in rng.integers(0, n, 2)] for _ in range(2)])
        elif r < 0.8:
            parts.append(None)
        elif r < 0.86:
            parts.append(Ellipsis)
        elif r < 0.93:
            parts.append(("mask", rng.random(s) < 0.5))
        else:
            parts.append(("index", rng.integers(0, n, 2)))
    if not parts and rng.random() < 0.5:
        parts.append([0] if rng.random() < 0.5 else None)
    r = rng.random()
    if r < 0.15 and parts:
        return list(parts)  # PyTorch's legacy form: a list holding sequences indexes like a tuple
    return parts[0] if len(parts) == 1 and r < 0.5 else tuple(parts)


def getitem_args(rng):
    x = _any_input(rng)
    return [x], {"key": index_key(rng, x.shape)}


def _key_for(lib, key):
    """Materialise the tensor parts of a sampled key for ``lib``."""
    if isinstance(key, tuple) and not (len(key) == 2 and key[0] in ("mask", "index")):
        return tuple(_key_for(lib, k) for k in key)
    if isinstance(key, list) and any(isinstance(k, tuple) for k in key):
        return [_key_for(lib, k) for k in key]
    if isinstance(key, tuple):
        return lib.tensor(key[1])
    return key


# ---------------------------------------------------------------------------------
# the op table: (name, sampler, call(lib, inputs, args))

def _fn(name):
    return lambda m, xs, a: getattr(m, name)(*xs, **a)


def _meth(name):
    return lambda m, xs, a: getattr(xs[0], name)(*xs[1:], **a)


UNARY = ["abs", "neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "sign", "floor", "ceil",
         "round", "trunc", "frac", "reciprocal", "square", "rsqrt", "log1p", "expm1", "exp2", "log2", "atan",
         "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "signbit", "erf", "nan_to_num", "clone"]
BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "maximum", "minimum", "atan2", "eq",
          "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "hypot", "xlogy", "fmax",
          "fmin"]
REDUCTIONS = ["sum", "mean", "var", "std", "amax", "amin", "logsumexp", "all", "any", "nansum",
              "nanmean", "var_mean", "std_mean", "count_nonzero"]
ONE_DIM = ["max", "min", "argmax", "argmin", "median", "prod"]

OPS = [(n, unary, _fn(n)) for n in UNARY]
OPS += [(n, binary, _fn(n)) for n in BINARY]
OPS += [(n, reduction, _fn(n)) for n in REDUCTIONS]
OPS += [(n, one_dim_reduction, _fn(n)) for n in ONE_DIM]
OPS += [
    ("pow", pow_args, _fn("pow")),
    ("norm", norm_args, _fn("norm")),
    ("cumsum", with_dim, _fn("cumsum")),
    ("cumprod", with_dim, _fn("cumprod")),
    ("softmax", softmax_args, _fn("softmax")),
    ("log_softmax", softmax_args, _fn("log_softmax")),
    ("flip", dims_list, _fn("flip")),
    ("roll", lambda r: (lambda x: ([x], {"shifts": 1, "dims": _dim(r, x.ndim)}))(_any_input(r)), _fn("roll")),
    ("transpose", two_dims, _fn("transpose")),
    ("flatten", flatten_args, _fn("flatten")),
    ("permute", perm, lambda m, xs, a: m.permute(xs[0], a["dims"])),
    ("squeeze", with_dim, _fn("squeeze")),
    ("unsqueeze", lambda r: (lambda x: ([x], {"dim": _dim(r, x.ndim + 1)}))(_any_input(r)), _fn("unsqueeze")),
    ("movedim", lambda r: (lambda x: ([x], {"source": _dim(r, x.ndim), "destination": _dim(r, x.ndim)}))(
        _any_input(r)), _fn("movedim")),
    ("narrow", narrow_args, _fn("narrow")),
    ("unbind", with_dim, _fn("unbind")),
    ("split", lambda r: (lambda x: ([x], {"split_size_or_sections": 1, "dim": _dim(r, x.ndim)}))(_any_input(r)),
     _fn("split")),
    ("chunk", lambda r: (lambda x: ([x], {"chunks": 2, "dim": _dim(r, x.ndim)}))(_any_input(r)), _fn("chunk")),
    ("cat", cat_args, lambda m, xs, a: m.cat(xs, **a)),
    ("stack", cat_args, lambda m, xs, a: m.stack(xs, **a)),
    ("sort", with_dim, _meth("sort")),
    ("argsort", with_dim, _meth("argsort")),
    ("topk", topk_args, _meth("topk")),
    ("clamp", clamp_args, _fn("clamp")),
    ("where", lambda r: (lambda x: ([np.asarray(x > 0), x, 0.5], {}))(_any_input(r)),
     lambda m, xs, a: m.where(*xs)),
    ("matmul", matmul_args, _fn("matmul")),
    ("tril", unary, _fn("tril")),
    ("t", unary, _fn("t")),
    ("getitem", getitem_args, lambda m, xs, a: xs[0][_key_for(m, a["key"])]),
    ("setitem", setitem_args, _setitem),
    ("rsub", binary, lambda m, xs, a: xs[1] - xs[0]),
    ("rtruediv", binary, lambda m, xs, a: xs[1] / xs[0]),
    ("rpow", binary, lambda m, xs, a: xs[1] ** xs[0]),
    ("and", binary, lambda m, xs, a: xs[0] & xs[1]),
    ("or", binary, lambda m, xs, a: xs[0] | xs[1]),
    ("max_binary", lambda r: (lambda x: ([x, _array(r, x.shape, DTYPES[r.integers(len(DTYPES))])], {}))(_any_input(r)),
     lambda m, xs, a: m.max(*xs)),
    ("sum_dtype", reduction_dtype, lambda m, xs, a: m.sum(xs[0], **_dtype_arg(m, a))),
    ("mean_dtype", reduction_dtype, lambda m, xs, a: m.mean(xs[0], **_dtype_arg(m, a))),
    ("cumsum_dtype", lambda r: (lambda x: ([x], {"dim": _dim(r, x.ndim), "dtype": DTYPES[r.integers(len(DTYPES))]}))(
        _any_input(r)), lambda m, xs, a: m.cumsum(xs[0], **_dtype_arg(m, a))),
    ("softmax_dtype", lambda r: (lambda x: ([x], {"dim": _dim(r, x.ndim), "dtype": FLOATS[r.integers(2)]}))(
        _any_input(r)), lambda m, xs, a: m.softmax(xs[0], **_dtype_arg(m, a))),
    ("std_correction", lambda r: (lambda x: ([x], {"dim": _dim(r, x.ndim), "correction": int(r.integers(0, 3))}))(
        _any_input(r, float_only=True)), _fn("std")),
    ("reshape", lambda r: (lambda x: ([x], {"shape": [(-1,), (1, -1), (x.size,), (2, -1), ()][r.integers(5)]}))(
        _any_input(r)), lambda m, xs, a: xs[0].reshape(a["shape"])),
    ("expand", lambda r: (lambda x: ([x], {"size": (2,) + tuple(-1 if r.random() < 0.5 else 1 for _ in x.shape)}))(
        _any_input(r)), lambda m, xs, a: xs[0].expand(*a["size"])),
    ("repeat", lambda r: (lambda x: ([x], {"sizes": tuple(int(v) for v in r.integers(0, 3, x.ndim + int(
        r.integers(0, 2))))}))(_any_input(r)), lambda m, xs, a: xs[0].repeat(*a["sizes"]) if a["sizes"] else
        xs[0].repeat(())),
    ("squeeze_dims", lambda r: (lambda x: ([x], {"dim": tuple({_dim(r, x.ndim) for _ in range(2)})}))(_any_input(r)),
     _fn("squeeze")),
    ("diagonal", lambda r: (lambda x: ([x], {"offset": int(r.integers(-1, 2)), "dim1": _dim(r, x.ndim),
                                             "dim2": _dim(r, x.ndim)}))(_any_input(r)), _fn("diagonal")),
    ("triu", lambda r: (lambda x: ([x], {"diagonal": int(r.integers(-1, 2))}))(_any_input(r)), _fn("triu")),
    ("kthvalue", lambda r: (lambda x: ([x], {"k": int(r.integers(0, 3)), "dim": _dim(r, x.ndim)}))(_any_input(r)),
     _meth("kthvalue")),
    ("gather", gather_args, lambda m, xs, a: m.gather(xs[0], a["dim"], m.tensor(xs[1]))),
    ("index_select", index_select_args, lambda m, xs, a: m.index_select(xs[0], a["dim"], m.tensor(xs[1]))),
    ("masked_fill", lambda r: (lambda x: ([x, np.asarray(r.random(x.shape) < 0.5)], {"value": 0.5}))(_any_input(r)),
     lambda m, xs, a: xs[0].masked_fill(xs[1], a["value"])),
    ("nonzero", unary, _fn("nonzero")),
    ("lerp", lambda r: (lambda x: ([x, _array(r, x.shape, x.dtype.name), 0.25], {}))(_any_input(r, float_only=True)),
     _fn("lerp")),
    ("addcmul", lambda r: (lambda x: ([x, x, x], {"value": 2}))(_any_input(r)), _fn("addcmul")),
    ("isclose", binary, lambda m, xs, a: m.isclose(*xs) if not isinstance(xs[1], np.ndarray) else
     m.isclose(xs[0], xs[1])),
    ("clamp_tensor", lambda r: (lambda x: ([x, _array(r, x.shape[-1:], x.dtype.name)], {}))(_any_input(r)),
     lambda m, xs, a: m.clamp(xs[0], min=xs[1])),
    ("masked_select", lambda r: (lambda x: ([x, np.asarray(r.random(x.shape[-1:]) < 0.5)], {}))(_any_input(r)),
     _fn("masked_select")),
    ("take", lambda r: (lambda x: ([x, np.asarray(r.integers(-max(x.size, 1), max(x.size, 1) + 1, 3))], {}))(
        _any_input(r)), lambda m, xs, a: m.take(xs[0], m.tensor(xs[1]))),
    ("flip_dims", lambda r: (lambda x: ([x], {"dims": tuple({_dim(r, x.ndim) for _ in range(2)})}))(_any_input(r)),
     _fn("flip")),
    ("roll_flat", lambda r: ([_any_input(r)], {"shifts": int(r.integers(-3, 4))}), _fn("roll")),
    ("tile", lambda r: (lambda x: ([x], {"dims": tuple(int(v) for v in r.integers(0, 3, int(r.integers(1, 4))))}))(
        _any_input(r)), _fn("tile")),
    ("movedim_tuple", lambda r: (lambda x: ([x], {"source": (_dim(r, x.ndim), _dim(r, x.ndim)),
                                                 "destination": (_dim(r, x.ndim), _dim(r, x.ndim))}))(_any_input(r)),
     _fn("movedim")),
    ("where_cond", unary, lambda m, xs, a: m.where(xs[0])),
    ("nonzero_tuple", unary, lambda m, xs, a: m.nonzero(xs[0], as_tuple=True)),
    ("unsqueeze_neg", lambda r: (lambda x: ([x], {"dim": -x.ndim - 1}))(_any_input(r)), _fn("unsqueeze")),
    ("diag", lambda r: (lambda x: ([x], {"diagonal": int(r.integers(-1, 2))}))(_any_input(r)), _fn("diag")),
    ("flatten_t", unary, lambda m, xs, a: xs[0].flatten()),
    ("view", lambda r: (lambda x: ([x], {"shape": [(-1,), (x.size,), (-1, 1), (1, -1, 1)][r.integers(4)]}))(
        _any_input(r)), lambda m, xs, a: xs[0].view(*a["shape"])),
    ("atleast_2d", unary, _fn("atleast_2d")),
    ("count_nonzero_dim", with_dim, _fn("count_nonzero")),
    ("where_tensors", lambda r: (lambda x: ([np.asarray(r.random(x.shape[-1:]) < 0.5), x,
                                             _array(r, x.shape, DTYPES[r.integers(len(DTYPES))])], {}))(_any_input(r)),
     lambda m, xs, a: m.where(*xs)),
]


# ---------------------------------------------------------------------------------
# running and comparing

# the word an ember error message must contain, where it is not the op's own name
MESSAGE_NAMES = {"getitem": ("index", "indices"), "setitem": ("index", "indices", "setitem"), "rsub": ("sub",),
                 "rtruediv": ("div",), "rpow": ("pow",), "and": ("bitwise_and",), "or": ("bitwise_or",),
                 "max_binary": ("max",), "isclose": ("isclose",), "flatten_t": ("flatten",), "view": ("view", "shape"),
                 "take": ("take", "index", "out of range")}
for _variant in ("sum_dtype", "mean_dtype", "cumsum_dtype", "softmax_dtype", "std_correction", "squeeze_dims",
                 "clamp_tensor", "where_tensors", "flip_dims", "roll_flat", "movedim_tuple", "where_cond",
                 "nonzero_tuple", "unsqueeze_neg", "count_nonzero_dim"):
    MESSAGE_NAMES[_variant] = (_variant.split("_")[0],)

@functools.lru_cache(maxsize=1)
def cases():
    """Every (op name, case number, inputs, args, call), deterministically (made once)."""
    out = []
    for k, (name, sample, call) in enumerate(OPS):
        rng = np.random.default_rng([SEED, k])
        for i in range(CASES_PER_OP):
            xs, args = sample(rng)
            out.append((name, i, xs, args, call))
    return tuple(out)


def _inputs(lib, xs):
    return [lib.from_numpy(x.copy()) if isinstance(x, np.ndarray) else x for x in xs]


def _run(lib, call, xs, args):
    try:
        return call(lib, _inputs(lib, xs), args), None
    except Exception as e:  # noqa: BLE001 - any exception is a result to compare
        return None, e


def _flat(v):
    """Outputs as a list of (numpy value, dtype name) / Python values."""
    if isinstance(v, (tuple, list)):
        return [f for item in v for f in _flat(item)] + [("len", len(v), None)]
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return [("tensor", v.detach().numpy(), str(v.dtype).split(".")[-1])]
    return [("value", v, None)]


def _builtin_class(exc):
    """The first builtin exception class of ``exc`` (torch's LinAlgError -> RuntimeError)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def compare(name, call, xs, args):
    """None if ember matches PyTorch on this call, else a short description of the difference."""
    t_out, t_err = _run(torch, call, xs, args)
    e_out, e_err = _run(ember, call, xs, args)
    if t_err is not None or e_err is not None:
        if t_err is None:
            return f"ember raised {type(e_err).__name__}: {str(e_err)[:120]}"
        if e_err is None:
            return f"torch raised {type(t_err).__name__}: {str(t_err)[:120]}; ember returned"
        if type(e_err).__module__.startswith("numpy"):
            return f"NumPy's {type(e_err).__name__} leaked: {str(e_err)[:120]}"
        if _builtin_class(e_err) is not _builtin_class(t_err):
            return (f"ember raised {type(e_err).__name__}: {str(e_err)[:100]}; "
                    f"torch raised {type(t_err).__name__}: {str(t_err)[:100]}")
        words = MESSAGE_NAMES.get(name, (name,))
        if not any(w.lower() in str(e_err).lower() for w in words):
            return f"ember's message does not name the op: {type(e_err).__name__}: {str(e_err)[:120]}"
        return None
    ft, fe = _flat(t_out), _flat(e_out)
    if len(ft) != len(fe):
        return f"{len(fe)} outputs, torch gives {len(ft)}"
    for (tag, tv, tk), (etag, ev, ek) in zip(ft, fe):
        if tag != etag:
            return f"ember gave a {etag}, torch a {tag}"
        if tag != "tensor":
            if type(tv) is not type(ev) or tv != ev:
                return f"{tag} {ev!r} != torch {tv!r}"
            continue
        if tk != ek:
            return f"dtype {ek} != torch {tk} (shape {ev.shape})"
        if tv.shape != ev.shape:
            return f"shape {ev.shape} != torch {tv.shape}"
        if tk.startswith("float"):
            tol = 1e-4 if tk == "float32" else 1e-9
            if not np.allclose(ev, tv, rtol=tol, atol=tol, equal_nan=True):
                return "values differ"
        elif not np.array_equal(ev, tv):
            return "values differ"
    return None


def _known(name, xs, args):
    for entry in KNOWN_DIFFERENCES:
        ops, when, _reason = entry
        if name in ops.split() and when(xs, args):
            return entry
    return None


def sweep(names=None):
    """Run the sweep: (number of calls, list of (name, i, xs, args, difference, known entry))."""
    diffs, n = [], 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for name, i, xs, args, call in cases():
            if names is not None and name not in names:
                continue
            n += 1
            d = compare(name, call, xs, args)
            if d is not None:
                diffs.append((name, i, xs, args, d, _known(name, xs, args)))
    return n, diffs


def _describe(name, i, xs, args, d):
    ins = ", ".join(f"{x.dtype}{list(x.shape)}" if isinstance(x, np.ndarray) else repr(x) for x in xs)
    return f"{name}#{i}({ins}, {args}): " + " ".join(d.split())


OP_NAMES = sorted({o[0] for o in OPS})
assert len(OP_NAMES) == len(OPS), "two sweep entries share a name"
GROUPS = [OP_NAMES[i::8] for i in range(8)]  # a few tests, so -n 2 can spread them


@pytest.mark.parametrize("names", GROUPS, ids=[f"group{i}" for i in range(len(GROUPS))])
def test_sweep_matches_torch(names):
    require_torch()
    n, diffs = sweep(set(names))
    assert n == CASES_PER_OP * len(names)
    unknown = [_describe(*d[:5]) for d in diffs if d[5] is None]
    assert not unknown, f"{len(unknown)} of {n} calls differ from PyTorch:\n" + "\n".join(unknown[:30])


def test_known_differences_still_differ():
    """Every listed difference still matches a differing call (delete it once fixed)."""
    require_torch()
    names = {n for e in KNOWN_DIFFERENCES for n in e[0].split()}
    _, diffs = sweep(names)
    used = {id(d[5]) for d in diffs if d[5] is not None}
    stale = [f"{e[0]}: {e[2]}" for e in KNOWN_DIFFERENCES if id(e) not in used]
    assert not stale, "fixed differences still listed in torch_sweep_known_differences.py:\n" + "\n".join(stale)


if __name__ == "__main__":  # a report of every differing call
    total, found = sweep()
    for d in found:
        print(("KNOWN " if d[5] else "") + _describe(*d[:5]))
    print(f"{total} calls, {len(found)} differ ({sum(1 for d in found if d[5] is None)} not in the known list)")
