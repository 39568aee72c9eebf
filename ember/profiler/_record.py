"""What the profiler records: every op (through the observer slot of ``Op.apply``), every
backward node (the engine's per-node call) and every ``record_function`` range, as nested
timed events.

Nothing here runs unless a profiler is active: ``Op.apply`` checks one module global
(``ember.autograd.op._observer``) and the engine one local per node.
"""
import functools
import re
import threading
import time

from ..autograd import op as _op
from ._events import FunctionEvent

__all__ = ["record_function", "op_event_name"]

_now_ns = time.perf_counter_ns
_NAMES = {}  # op class -> event name


def op_event_name(cls):
    """PyTorch's event name of an op class: ``aten::`` and the node's name in snake case
    (``AddmmBackward0`` -> ``aten::addmm``, ``NativeBatchNormBackward0`` ->
    ``aten::native_batch_norm``)."""
    name = _NAMES.get(cls)
    if name is None:
        base = cls.__name__
        for suffix in ("Backward0", "Backward"):
            if base.endswith(suffix):
                base = base[:-len(suffix)]
                break
        base = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", base).lower()
        name = _NAMES[cls] = "aten::" + base
    return name


def _shape(a):
    return list(a.shape) if hasattr(a, "shape") else []


def _nbytes(out):
    if out.__class__ is tuple:
        return sum(_nbytes(o) for o in out)
    data = getattr(out, "_data", None)
    return int(getattr(data, "nbytes", 0))


class Recorder:
    """The active profiler's event sink; installed as ``ember.autograd.op._observer``.

    Calling it runs one op (with the observer switched off inside, so an op's own
    internals are part of its time) and records it; ``backward_node(node, start)`` is the
    engine's hook around each node's backward.
    """

    def __init__(self, record_shapes=False, profile_memory=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.events = []
        self._stack = []
        self._lock = threading.Lock()
        self.origin_ns = _now_ns()

    # -- ranges ---------------------------------------------------------------------
    def open(self, name, shapes=None, kind="cpu_op"):
        ev = FunctionEvent(name, (_now_ns() - self.origin_ns) / 1000.0,
                           threading.get_native_id(), shapes or [], kind)
        stack = self._stack
        if stack:
            ev.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(ev)
        stack.append(ev)
        return ev

    def close(self, ev):
        ev.end_us = (_now_ns() - self.origin_ns) / 1000.0
        stack = self._stack
        while stack:  # (an exception may have skipped the close of an inner range)
            top = stack.pop()
            if top is ev:
                break
            top.end_us = ev.end_us
        with self._lock:
            self.events.append(ev)

    # -- the observer protocol -------------------------------------------------------
    def __call__(self, cls, args, params):
        shapes = [_shape(a) for a in args] if self.record_shapes else None
        ev = self.open(op_event_name(cls), shapes)
        _op._observer = None
        try:
            out = cls.apply(*args, **params)
        finally:
            _op._observer = self
            self.close(ev)
        if self.profile_memory and not cls.is_view:  # (a view allocates nothing)
            ev.self_cpu_memory_usage = _nbytes(out)
        return out

    def backward_node(self, node, start):
        if start:
            self.open("autograd::engine::evaluate_function: " + node.name(), None,
                      "backward")
        elif self._stack:
            self.close(self._stack[-1])

    def finish(self):
        while self._stack:
            self.close(self._stack[-1])
        self.events.sort(key=lambda e: e.start_us)
        for ev in reversed(self.events):  # children (later starts) first
            ev.finalize()


class record_function:
    """Label a region of code in the profile (PyTorch's ``record_function``): a context
    manager or decorator; costs nothing when no profiler is active.

    Args:
        name (str): the label shown in the table and the trace.

    Example:
        >>> with ember.profiler.profile() as prof:
        ...     with ember.profiler.record_function("model_inference"):
        ...         model(x)
    """

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._ev = None
        self._rec = None

    def __enter__(self):
        rec = _op._observer
        if isinstance(rec, Recorder):
            self._rec = rec
            self._ev = rec.open(self.name, None, "user_annotation")
        return self

    def __exit__(self, *exc):
        if self._ev is not None:
            self._rec.close(self._ev)
            self._ev = self._rec = None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
