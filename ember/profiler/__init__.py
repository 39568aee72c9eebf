"""``ember.profiler``: PyTorch's profiler API on ember's ops.

Every op (``aten::mul``, ``aten::addmm``, ...), every backward node
(``autograd::engine::evaluate_function: MulBackward0``) and every ``record_function``
label is timed, nested, and summarised in PyTorch's table layout. Costs one global check
per op when no profiler is active.

Example:
    >>> from ember.profiler import profile, record_function, ProfilerActivity
    >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    ...     with record_function("model_inference"):
    ...         loss = model(x).sum()
    ...     loss.backward()
    >>> print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    >>> prof.export_chrome_trace("trace.json")      # chrome://tracing or ui.perfetto.dev
"""
import enum
import os
import socket
import time
import warnings

from ..autograd import op as _op
from ._events import EventList, FunctionEvent, FunctionEventAvg
from ._record import Recorder, record_function

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "tensorboard_trace_handler", "supported_activities", "EventList", "FunctionEvent",
           "FunctionEventAvg"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 1
    XPU = 2
    MTIA = 3


def supported_activities():
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """PyTorch's step schedule: after ``skip_first`` steps, cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (``repeat`` cycles, 0: forever); the last
    active step of a cycle is ``RECORD_AND_SAVE`` (``on_trace_ready`` runs after it)."""
    def fn(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return fn


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An ``on_trace_ready`` that writes each trace to ``dir_name`` as
    ``WORKER.TIMESTAMP.pt.trace.json`` (TensorBoard's profiler plugin reads that folder)."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{worker}.{int(time.time() * 1000)}.pt.trace.json"))
    return handler


class profile:
    """Records ops, backward nodes and ``record_function`` ranges while active
    (PyTorch's ``torch.profiler.profile``).

    Args:
        activities (list, optional): ``[ProfilerActivity.CPU]`` (ember times host code;
            CUDA time is the host time of the calls).
        schedule (callable, optional): ``step -> ProfilerAction`` (see ``schedule``);
            without one, everything between enter and exit is recorded.
        on_trace_ready (callable, optional): called with the profiler after each
            ``RECORD_AND_SAVE`` step (e.g. ``tensorboard_trace_handler(dir)``).
        record_shapes (bool): record each op's input shapes (``key_averages(
            group_by_input_shape=True)``, the trace's ``Input Dims``).
        profile_memory (bool): record the bytes of each op's outputs (``CPU Mem`` columns).
        with_stack, with_flops, with_modules: accepted, not recorded.

    Example:
        >>> with profile(record_shapes=True, profile_memory=True) as prof:
        ...     model(x).sum().backward()
        >>> print(prof.key_averages(group_by_input_shape=True).table(row_limit=10))
    """

    def __init__(self, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 use_cuda=None, enabled=True):
        acts = set(activities) if activities is not None else {ProfilerActivity.CPU}
        if acts - supported_activities():
            warnings.warn("ember.profiler records host (CPU) time only; other activities "
                          "are ignored", UserWarning, stacklevel=2)
        self.activities = acts
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.enabled = enabled
        self.step_num = 0
        self._rec = None
        self._prev = None
        self._step_ev = None
        self._events = EventList([], profile_memory, record_shapes)

    # -- recording ------------------------------------------------------------------
    def _start(self):
        if isinstance(_op._observer, Recorder):
            raise RuntimeError("Profiler is already enabled (ember.profiler.profile cannot be nested)")
        self._rec = Recorder(self.record_shapes, self.profile_memory)
        self._prev = _op._observer
        _op._observer = self._rec
        self._step_ev = self._rec.open(f"ProfilerStep#{self.step_num}", None, "user_annotation") \
            if self.schedule is not None else None

    def _stop(self):
        rec, self._rec = self._rec, None
        if rec is None:
            return
        _op._observer = self._prev
        rec.finish()
        self._events = EventList(rec.events, self.profile_memory, self.record_shapes)

    def _action(self):
        return self.schedule(self.step_num) if self.schedule else ProfilerAction.RECORD

    def start(self):
        if self.enabled and self._action() in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._start()
        return self

    def stop(self):
        was_recording = self._rec is not None
        self._stop()
        if was_recording and self.on_trace_ready is not None and self.schedule is not None \
                and self._action() == ProfilerAction.RECORD_AND_SAVE:
            self.on_trace_ready(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        was_recording = self._rec is not None
        self._stop()
        if was_recording and self.on_trace_ready is not None and (
                self.schedule is None or self._action() == ProfilerAction.RECORD_AND_SAVE):
            self.on_trace_ready(self)
        return False

    def step(self):
        """Mark the end of a training step (drives ``schedule``; each recorded step is a
        ``ProfilerStep#N`` range)."""
        if self.schedule is None or not self.enabled:
            self.step_num += 1
            if self._rec is not None:
                if self._step_ev is not None:
                    self._rec.close(self._step_ev)
                self._step_ev = self._rec.open(f"ProfilerStep#{self.step_num}", None, "user_annotation")
            return
        before = self._action()
        self.step_num += 1
        after = self._action()
        recording = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if before == ProfilerAction.RECORD_AND_SAVE or (before in recording and after not in recording):
            self._stop()
            if before == ProfilerAction.RECORD_AND_SAVE and self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if after in recording and self._rec is None:
            self._start()
        elif self._rec is not None:  # one ProfilerStep#N range per recorded step
            if self._step_ev is not None:
                self._rec.close(self._step_ev)
            self._step_ev = self._rec.open(f"ProfilerStep#{self.step_num}", None, "user_annotation")

    # -- results --------------------------------------------------------------------
    def events(self):
        """Every recorded event (a ``FunctionEvent`` per op call, backward node, label)."""
        return self._events

    @property
    def function_events(self):
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """The events grouped by name (and input shapes); ``.table(...)`` prints them."""
        return self._events.key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs):
        return self.key_averages().table(*args, **kwargs)

    def export_chrome_trace(self, path):
        """Write the trace (JSON) for chrome://tracing or https://ui.perfetto.dev."""
        self._events.export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        return self._events.self_cpu_time_total
