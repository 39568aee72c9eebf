"""Calls of the PyTorch sweep (tests/test_torch_sweep.py) where ember differs on purpose.

Each entry: (op names separated by spaces, predicate on (inputs, args), reason). Inputs are
the NumPy arrays or Python scalars the sweep fed to both libraries. Keep this list short:
fix the cause instead of adding an entry. An entry that no longer matches any differing
call makes ``test_known_differences_still_differ`` fail, so the list only shrinks.
"""
import numpy as np


def _index_out_of_range(xs, args):
    x, index = xs
    n = x.shape[args["dim"]] if x.ndim else 1
    return index.size and (index.min() < 0 or index.max() >= n)


def _ties_along_dim(xs, args):
    x = xs[0]
    if x.ndim == 0 or not -x.ndim <= args["dim"] < x.ndim:
        return False
    s = np.sort(x, axis=args["dim"])
    return bool(np.any(np.diff(s.astype(np.float64), axis=args["dim"]) == 0))


KNOWN_DIFFERENCES = [
    ("index_select", _index_out_of_range,
     "an out-of-range index raises IndexError in ember always; PyTorch raises IndexError or RuntimeError "
     "depending on which of its kernels runs (dtype, layout, empty input)"),
    ("topk kthvalue", _ties_along_dim,
     "among equal values, ember returns the first indices (stable sort); PyTorch's selection kernel returns "
     "unspecified ones (its documentation makes no promise)"),
]
