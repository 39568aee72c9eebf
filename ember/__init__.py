"""ember: a define-by-run deep learning framework in Python on NumPy, with PyTorch's API.

    import ember as torch   # course code written for PyTorch runs unchanged

See README.md for a tour and docs/internals.md for how the pieces fit.
"""
__version__ = "0.1.0"



from . import dtypes
from .dtypes import (dtype, float16, half, float32, float64, double, uint8, int8, int16, short,
                     int32, int64, long, bool, get_default_dtype, set_default_dtype, promote_types)
from .dtypes import float, int  # noqa: A001  (PyTorch's aliases ember.float / ember.int)
from .backend import device, keep_freed_memory
if __import__("os").environ.get("EMBER_KEEP_FREED_MEMORY", "1") != "0":
    keep_freed_memory()  # reuse freed heap memory for big temporaries (see its docstring)
from .tensor import Tensor, Size
from . import _tensor_methods  # noqa: F401  (attaches operators and methods to Tensor)
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .random import (Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state,
                     set_rng_state)
from .creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, full, empty, zeros_like,
                       ones_like, full_like, empty_like, arange, linspace, logspace, eye, rand, randn,
                       randint, normal, bernoulli, randperm, rand_like, randn_like, randint_like,
                       multinomial, poisson, meshgrid, tril_indices, triu_indices, scalar_tensor,
                       set_default_device, get_default_device)
from .ops.elementwise import (add, sub, mul, div, true_divide, floor_divide, remainder, fmod, pow,
    neg, negative, exp, exp2, log, log2, log10, log1p, expm1, sqrt, rsqrt, square, abs, absolute,
    sign, sgn, sin, cos, tan, asin, acos, atan, sinh, cosh, atan2, floor, ceil, round, trunc, frac,
    reciprocal, clamp, clip, maximum, minimum, fmax, fmin, where, eq, ne, lt, le, gt, ge, equal,
    logical_and, logical_or, logical_xor, logical_not, bitwise_not, isnan, isinf, isfinite,
    isclose, allclose, lerp, addcmul, addcdiv, nan_to_num, signbit, erfinv, xlogy,
    hypot, deg2rad, rad2deg)
from .ops.reduce import (sum, mean, var, std, var_mean, std_mean, prod, max, min, amax, amin,
    argmax, argmin, logsumexp, norm, cumsum, cumprod, all, any, count_nonzero, aminmax, median,
    mode, nansum, nanmean)
from .ops.shape import (reshape, view, flatten, unflatten, squeeze, unsqueeze, permute, transpose,
    swapaxes, swapdims, t, movedim, moveaxis, expand, broadcast_to, repeat, tile, cat, concat,
    concatenate, stack, hstack, vstack, split, chunk, unbind, flip, fliplr, flipud, roll, narrow,
    pad, clone, contiguous, tril, triu, diagonal, diag, diag_embed, broadcast_tensors, atleast_1d,
    atleast_2d, rot90, ravel)
from .ops.index import (gather, scatter, scatter_add, index_select, masked_fill, masked_select,
    take, take_along_dim, nonzero, index_add, index_copy, index_fill, argwhere)
from .ops.linalg import (matmul, mm, bmm, mv, dot, vdot, outer, ger, einsum, addmm, baddbmm,
    tensordot)
from .ops.activation import (relu, sigmoid, tanh, softmax, log_softmax)
from .ops.elementwise import mul as multiply, sub as subtract, div as divide  # noqa: E402
from .ops.nn_activation import erf, erfc  # noqa: E402
from . import autograd, random  # noqa: E402
from .autograd import set_grad_enabled as _sge  # noqa: E402,F401
from . import cuda  # noqa: E402
from .threads import set_num_threads, get_num_threads, apply_blas_policy as _blas_policy  # noqa: E402
_blas_policy()  # NumPy's BLAS single-threaded; ember splits big work itself (ember/threads.py)

sort = Tensor.sort
argsort = Tensor.argsort
topk = Tensor.topk
kthvalue = Tensor.kthvalue
unique = Tensor.unique
bincount = Tensor.bincount
numel = Tensor.numel
is_tensor = lambda obj: isinstance(obj, Tensor)  # noqa: E731
is_floating_point = Tensor.is_floating_point
from ._legacy_tensors import (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,  # noqa: E402
    ShortTensor, CharTensor, ByteTensor, BoolTensor)


def is_storage(obj):
    return False


from ._shims import (compile, use_deterministic_algorithms, are_deterministic_algorithms_enabled,  # noqa: E402,A004
    is_deterministic_algorithms_warn_only_enabled, set_printoptions, set_float32_matmul_precision,
    get_float32_matmul_precision)

# subpackages imported on first use; tests/test_init.py checks each one imports
_LAZY = {"nn", "optim", "utils", "vision", "models", "train", "distributed", "serialization", "summary", "save",
         "load", "backends", "linalg", "special", "distributions", "accelerator", "profiler", "onnx",
         "func", "text", "hub", "multiprocessing"}
# torch.<name> functions that live in ember.special
_SPECIAL = {"lgamma": "gammaln", "digamma": "digamma", "polygamma": "polygamma",
            "mvlgamma": "multigammaln", "logit": "logit", "sinc": "sinc", "i0": "i0"}
# torch.<name> functions that live in ember.linalg
_LINALG = {"det": "det", "logdet": "logdet", "slogdet": "slogdet", "inverse": "inv",
           "pinverse": "pinv", "matrix_power": "matrix_power", "cholesky": "cholesky"}


def __getattr__(name):
    """Import heavier subpackages on first use (``ember.nn``, ``ember.optim``, ...)."""
    import importlib
    if name in ("save", "load"):
        mod = importlib.import_module(".serialization", __name__)
        return getattr(mod, name)
    if name == "summary":
        return importlib.import_module(".summary", __name__).summary
    if name in _LAZY:
        return importlib.import_module("." + name, __name__)
    if name in _SPECIAL:
        return getattr(importlib.import_module(".special", __name__), _SPECIAL[name])
    if name in _LINALG:
        return getattr(importlib.import_module(".linalg", __name__), _LINALG[name])
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
