"""Calls of the PyTorch sweep (tests/test_torch_sweep.py) where ember differs on purpose.

Each entry: (op names separated by spaces, predicate on (inputs, args), reason). Inputs are
the NumPy arrays or Python scalars the sweep fed to both libraries. Keep this list short:
fix the cause instead of adding an entry. An entry that no longer matches any differing
call makes ``test_known_differences_still_differ`` fail, so the list only shrinks.
"""


def _index_select_bad_index_on_int_or_empty(xs, args):
    x, index = xs
    return x.dtype.kind in "iu" or x.size == 0


KNOWN_DIFFERENCES = [
    ("index_select", _index_select_bad_index_on_int_or_empty,
     "an out-of-range index raises IndexError in ember always; PyTorch raises IndexError from its "
     "float/bool kernel but RuntimeError from its integer and empty-input kernels"),
]
