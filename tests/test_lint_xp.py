"""No NumPy math on tensor data in the device-neutral packages (an AST lint).

Ops, nn, optim, nn.init, data collation and serialization must get their array module
from ``ember.backend`` (``self.xp`` in ops, ``get_array_module(arr)`` elsewhere), so that
CUDA tensors (CuPy arrays) never meet NumPy. This test reads their source and fails on
any ``np.<name>`` (whatever the alias), ``import numpy.<sub>`` or ``from numpy import ...``
that is not in ``ALLOWED`` (dtype and shape helpers, the same objects under CuPy) or in a
function listed in ``HOST`` or on a line marked ``# host: <reason>`` (work that is meant
to run on the host, with the reason).

``PENDING`` counts what is left to convert per file: the test fails when a file gets a
new NumPy call and when it loses one without its count being lowered here.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "ember"
SCOPE = ["ops", "nn", "optim", "utils/data/_collate.py", "serialization.py"]

# name -> why it is not math on tensor data
ALLOWED = {
    **{t: "a dtype (CuPy uses NumPy's dtype objects)" for t in (
        "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
        "uint32", "uint64", "bool_", "complex64", "complex128", "intp", "dtype")},
    **{t: "an isinstance/issubclass check" for t in (
        "ndarray", "generic", "number", "integer", "floating", "signedinteger", "unsignedinteger")},
    **{t: "dtype metadata" for t in ("finfo", "iinfo", "result_type", "promote_types", "can_cast",
                                     "issubdtype")},
    **{t: "a Python constant" for t in ("pi", "inf", "nan", "e", "newaxis")},
    "broadcast_shapes": "shape arithmetic on tuples",
    "prod": "the product of a shape tuple (number of elements)",
    "errstate": "host floating-point warning state (no effect on CuPy, which has none)",
    "isscalar": "a type check on Python values",
}

# (file relative to ember/, function) -> why NumPy runs on the host there
HOST = {
    ("serialization.py", "*"): "reads and writes host bytes; tensors are copied to the host first",
    ("utils/data/_collate.py", "*"): "collates host samples (NumPy arrays, Python numbers) into "
                                     "CPU batches; .to('cuda') moves them, as in PyTorch",
    ("nn/functional/embedding_bag.py", "embedding_bag"): "plans the bag structure from indices "
                                                         "copied to the host",
    ("ops/compare.py", "_as_int_of"): "a NumPy scalar constant (accepted by CuPy)",
    ("nn/init.py", "*"): "draws on the host from ember's Generator (PyTorch's numbers), then "
                         "copies to the parameter's device",
    ("ops/pool.py", "_avg_divisor"): "window sizes planned on the host, copied with xp.asarray",
    ("ops/pool.py", "_adaptive_bounds"): "window bounds planned on the host (ints)",
    ("ops/pool.py", "_avg_matrix"): "window matrices planned on the host, copied by SeparableLinear",
    ("ops/pool.py", "_adaptive_max_indices"): "window index tables planned on the host, copied "
                                              "with xp.asarray",
    ("optim/_kernels.py", "_new_step"): "the step counter is a host scalar, as PyTorch's (capturable=False)",
    ("nn/parallel/_reducer.py", "*"): "DDP's bucket bookkeeping and MPI buffers live on the host",
    **{("ops/upsample.py", f): "index tables / interpolation matrices planned on the host, copied "
                              "with xp.asarray by the ops" for f in
       ("_nearest_index", "_linear_matrix", "_cubic_matrix", "_onehot")},
    ("nn/utils/rnn.py", "*"): "PackedSequence bookkeeping (batch_sizes and orders live on the CPU, "
                              "as in PyTorch); the index tensors it builds go to the data's device",
    ("ops/conv.py", "pad_indexed"): "the padding's index table planned on the host (copied by _Nearest)",
}

# file -> NumPy calls not converted yet (lower these as files are converted)
PENDING = {}


def _files():
    for s in SCOPE:
        p = ROOT / s
        yield from ([p] if p.is_file() else sorted(p.rglob("*.py")))


def _violations(path):
    tree = ast.parse(path.read_text())
    rel = path.relative_to(ROOT).as_posix()
    aliases, out = set(), []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                if a.name == "numpy":
                    aliases.add(a.asname or "numpy")
                elif a.name.startswith("numpy."):
                    out.append((n.lineno, f"import {a.name}", None))
        elif isinstance(n, ast.ImportFrom) and n.module and n.module.split(".")[0] == "numpy":
            for a in n.names:
                if n.module != "numpy" or a.name not in ALLOWED:
                    out.append((n.lineno, f"from {n.module} import {a.name}", None))
    funcs = []
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            funcs.append((n.lineno, n.end_lineno, n.name))
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases \
                and n.attr not in ALLOWED:
            outer = [f for f in funcs if f[0] <= n.lineno <= f[1]]
            name = min(outer, key=lambda f: f[0])[2] if outer else None  # the outermost function
            out.append((n.lineno, f"{n.value.id}.{n.attr}", name))
    lines = path.read_text().splitlines()
    return rel, [(ln, what) for ln, what, fn in out
                 if (rel, "*") not in HOST and (rel, fn) not in HOST and "# host:" not in lines[ln - 1]]


def test_no_numpy_math_on_tensor_data():
    problems, counts = [], {}
    for path in _files():
        rel, bad = _violations(path)
        if bad:
            counts[rel] = len(bad)
        if len(bad) > PENDING.get(rel, 0):
            problems += [f"ember/{rel}:{ln}: {what}" for ln, what in bad]
    assert not problems, ("NumPy math on tensor data (use self.xp / ember.backend.get_array_module; "
                          "see tests/test_lint_xp.py):\n" + "\n".join(problems))
    stale = {f: (n, counts.get(f, 0)) for f, n in PENDING.items() if counts.get(f, 0) < n}
    assert not stale, f"converted files: lower PENDING to the new counts (file: (listed, now)): {stale}"


@pytest.mark.parametrize("src, n", [
    ("import numpy as xx\ny = xx.exp(a)", 1),
    ("from numpy import exp", 1),
    ("import numpy\ny = numpy.float32(1) + numpy.sum(a)", 1),
    ("import numpy as np\nif isinstance(a, np.ndarray): b = np.zeros(3, np.int64)", 1),
])
def test_lint_catches_aliases(tmp_path, src, n):
    f = ROOT / "ops" / "_lint_probe_tmp.py"
    try:
        f.write_text(src)
        assert len(_violations(f)[1]) == n
    finally:
        f.unlink()
