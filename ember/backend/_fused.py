"""Fused elementwise kernels for CUDA arrays (``cupy.fuse``).

On a GPU each NumPy-style operator is a kernel launch and a full pass over memory; an
update such as Adam's (a dozen operators) is bound by both. ``cupy.fuse`` compiles a
Python function of elementwise operators into one kernel. These kernels run only for
CUDA arrays: the NumPy path (ops' and optimizers' own code) is unchanged.

Each kernel is written once over ``xp`` (the CUDA module) and compiled on first use; the
test double (tests/cuda/fake_cupy.py) runs the same Python functions unfused, so their
results are checked against the CPU path without a GPU.
"""
from ._arrays import cuda_module

__all__ = ["kernel"]

_cache = {}


def _relu_grad(xp):
    return lambda g, y: g * (y > 0)  # bool promotes to the gradient's dtype


def _sigmoid_grad(xp):
    return lambda g, y: g * (y * (1 - y))


def _tanh_grad(xp):
    return lambda g, y: g * (1 - y * y)


def _adam(xp):
    def step(p, g, m, v, beta1, beta2, step_size, bc2_sqrt, eps):
        """One Adam step (PyTorch's formula): the new parameter, first and second moments."""
        m = m + (g - m) * (1 - beta1)
        v = v * beta2 + g * g * (1 - beta2)
        return p - step_size * m / (xp.sqrt(v) / bc2_sqrt + eps), m, v
    return step


_MAKERS = {"relu_grad": _relu_grad, "sigmoid_grad": _sigmoid_grad, "tanh_grad": _tanh_grad,
           "adam": _adam}


def kernel(name):
    """The fused CUDA kernel ``name`` (compiled once per CUDA module)."""
    xp = cuda_module()
    key = (id(xp), name)
    k = _cache.get(key)
    if k is None:
        k = _cache[key] = xp.fuse(kernel_name=name)(_MAKERS[name](xp))
    return k
