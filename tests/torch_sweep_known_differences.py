"""Calls of the PyTorch sweep (tests/test_torch_sweep.py) where ember differs on purpose.

Each entry: (op names separated by spaces, predicate on (inputs, args), reason). Inputs are
the NumPy arrays or Python scalars the sweep fed to both libraries. Keep this list short:
fix the cause instead of adding an entry. An entry that no longer matches any differing
call makes ``test_known_differences_still_differ`` fail, so the list only shrinks.
"""
import numpy as np


def _python_scalar_other(xs, args):
    return len(xs) > 1 and not isinstance(xs[1], np.ndarray)


KNOWN_DIFFERENCES = [
    ("maximum minimum fmax fmin atan2 hypot logical_and logical_or logical_xor", _python_scalar_other,
     "ember accepts a Python number as `other` (promoted like in add); PyTorch's argument parser "
     "insists on a Tensor and raises TypeError"),
]
