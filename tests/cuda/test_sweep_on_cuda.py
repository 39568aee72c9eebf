"""The op sweep of tests/test_torch_sweep.py (7,000 seeded calls: ops x shapes incl. 0-d
and empty x 8 dtypes) run with "cuda" inputs on the CuPy stand-in, against the same calls
on the CPU (ember only: no torch is called). Each call gives the same values, or raises
the same exception class, on both devices."""
import types
import warnings

import numpy as np

import ember

from .. import test_torch_sweep as sweep


class _CudaLib(types.ModuleType):
    """``ember`` whose ``from_numpy`` puts the inputs on "cuda"."""

    def __getattr__(self, name):
        return getattr(ember, name)


def _run(lib, call, xs, args):
    try:
        return call(lib, [lib.from_numpy(x.copy()) if isinstance(x, np.ndarray) else x for x in xs], args), None
    except Exception as e:  # noqa: BLE001 - an exception is a result to compare
        return None, e


def _flat(v):
    if isinstance(v, (tuple, list)):
        return [f for item in v for f in _flat(item)]
    return [v.detach().cpu().numpy() if isinstance(v, ember.Tensor) else v]


def test_sweep_on_cuda_matches_cpu():
    cuda = _CudaLib("ember_on_cuda")
    cuda.from_numpy = lambda a: ember.from_numpy(a).cuda()
    bad = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, i, xs, args, call in sweep.cases():
            (c, ce), (g, ge) = _run(ember, call, xs, args), _run(cuda, call, xs, args)
            if ce is not None or ge is not None:
                if type(ce) is not type(ge):
                    bad.append(f"{name}#{i}: cpu {type(ce).__name__}, cuda {type(ge).__name__}: {str(ge)[:100]}")
                continue
            for a, b in zip(_flat(c), _flat(g)):
                if isinstance(a, np.ndarray):
                    if a.shape != b.shape or a.dtype != b.dtype or not np.allclose(b, a, 1e-6, 1e-6, equal_nan=True):
                        bad.append(f"{name}#{i}: values differ")
                        break
                elif not (a == b or (a != a and b != b)):
                    bad.append(f"{name}#{i}: {a!r} on cpu, {b!r} on cuda")
                    break
    assert not bad, f"{len(bad)} calls differ on cuda:\n" + "\n".join(bad[:40])
