"""What the profiler/tracer hook costs when nobody records: the tiny_chain step (3 ops
forward, 3 nodes backward) with ``Op.apply`` and the engine's loop (``_execute``) as they
are, against the same functions with the hook's lines cut out (the engine's ``prof`` set to
None), interleaved in one process.

    python -m benchmarks.hook_overhead [ROUNDS]
"""
import statistics
import sys
import time

import ember
from ember.autograd import engine as _engine, op as _op

# (the hook's lines, what replaces them)
_CUTS = {
    "op.py": [("        if _observer is not None:\n            return _observer(cls, args, params)\n", "")],
    "engine.py": [
        ("    prof = _op._observer  # the profiler times each node's backward (None: not profiling)\n"
         "    prof = getattr(prof, \"backward_node\", None) if prof is not None else None\n", "    prof = None\n"),
        ("    if prof is not None:\n        prof(node, True)\n", ""),
        ("    if prof is not None:\n        prof(node, False)\n", "")],
}


def _without_hook(mod, name, fname):
    """``mod.<name>`` compiled from the module's source minus the hook's lines."""
    src = open(mod.__file__).read()
    for cut, repl in _CUTS[fname]:
        if cut not in src:
            raise SystemExit(f"{fname} changed: the hook's line {cut.strip()!r} is not there")
        src = src.replace(cut, repl)
    ns = dict(mod.__dict__)
    exec(compile(src, f"<{fname} without hook>", "exec"), ns)
    ns.update(mod.__dict__)    # the same helpers and classes as the real module
    return ns[name]


def main(rounds=60):
    plain_apply = _without_hook(_op, "Op", "op.py").__dict__["apply"].__func__
    plain_backward = _without_hook(_engine, "_execute", "engine.py")
    hooked_apply, hooked_backward = _op.Op.__dict__["apply"].__func__, _engine._execute
    users = [_engine]  # run_backward and backward_scalar call the module's _execute
    x = ember.tensor(0.5, requires_grad=True)
    w = ember.tensor(1.5, requires_grad=True)

    def step():
        (x * w + 1.0).tanh().backward()

    times = {"without hook": [], "with hook": []}
    try:
        for _ in range(rounds):
            for name, apply, backward in (("without hook", plain_apply, plain_backward),
                                          ("with hook", hooked_apply, hooked_backward)):
                _op.Op.apply = classmethod(apply)
                for m in users:
                    m._execute = backward
                for _ in range(100):
                    step()
                t = time.perf_counter()
                for _ in range(1000):
                    step()
                times[name].append((time.perf_counter() - t) * 1e3)  # us per step
    finally:
        _op.Op.apply = classmethod(hooked_apply)
        for m in users:
            m._execute = hooked_backward
    for name, v in times.items():
        print(f"tiny_chain step {name:>12}: median {statistics.median(v):6.2f} us, min {min(v):6.2f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
