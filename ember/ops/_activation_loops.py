"""Activation derivatives as loops, compiled by numba when the ``numba`` extra is installed
(ember/backend/_jit.py); ``ember/ops/activation.py`` uses NumPy otherwise.

Each loop reads its inputs once and writes its output once, on 1-D C-contiguous ranges
(``parallel_elementwise`` hands ember's threads one range each). NumPy's ``g * (y > 0)``
makes a bool mask, then multiplies with a cast: two passes.

Measured (one thread, the 128x32x28x28 float32 activations of fashion-cnn's first layer,
this project's Xeon): benchmarks/PROFILE_CONV.md, session 6.
"""

LOOPS = ("relu_grad",)


def relu_grad(g, y, out):
    """``out = g where y > 0, else 0`` (PyTorch's ``threshold_backward``: a NaN gradient
    where the output is 0 gives 0)."""
    zero = out.dtype.type(0)
    for i in range(out.shape[0]):
        out[i] = g[i] if y[i] > 0 else zero
