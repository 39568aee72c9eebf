"""``ember.autograd.profiler``: PyTorch's older profiler entry points, on
``ember.profiler`` (the same recorder, table and Chrome trace).

Example:
    >>> with ember.autograd.profiler.profile(record_shapes=True) as prof:
    ...     model(x).sum().backward()
    >>> print(prof.key_averages().table(sort_by="self_cpu_time_total"))
"""
from ..profiler import EventList, FunctionEvent, FunctionEventAvg, record_function
from ..profiler import profile as _profile

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):
    """``torch.autograd.profiler.profile(enabled=True, *, use_cuda=False,
    record_shapes=False, profile_memory=False, ...)``: records host time of every op,
    backward node and ``record_function`` range while active."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory,
                         enabled=enabled)

    def __str__(self):
        return str(self.key_averages())
