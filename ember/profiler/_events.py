"""Profiler results in PyTorch's shapes: ``FunctionEvent`` (one timed range),
``FunctionEventAvg`` (a row of ``key_averages()``), ``EventList`` (its ``table`` in
PyTorch's layout and the Chrome trace). Times are in microseconds, memory in bytes."""
import json
import os

__all__ = ["FunctionEvent", "FunctionEventAvg", "EventList"]


class FunctionEvent:
    """One recorded range: an op, a backward node or a ``record_function`` label.

    Attributes: ``name`` (``key``), ``start_us``/``end_us``, ``cpu_time_total`` (us),
    ``self_cpu_time_total`` (minus the nested events), ``input_shapes``,
    ``cpu_memory_usage``/``self_cpu_memory_usage`` (bytes of the outputs the op made,
    with/without nested events), ``cpu_parent``, ``cpu_children``, ``thread``.
    """

    def __init__(self, name, start_us, thread, input_shapes, kind):
        self.name = name
        self.start_us = start_us
        self.end_us = start_us
        self.thread = thread
        self.input_shapes = input_shapes
        self.kind = kind
        self.cpu_parent = None
        self.cpu_children = []
        self.self_cpu_memory_usage = 0
        self.cpu_memory_usage = 0
        self.count = 1

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    cpu_time = cpu_time_total

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def finalize(self):
        """Total memory: own outputs plus the nested events' (children finish first)."""
        self.cpu_memory_usage = self.self_cpu_memory_usage + sum(
            c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent name={self.name} cpu_time_total={self.cpu_time_total:.3f}us "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """The events of one name (and input shapes, if grouped by them), added up."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0

    def add(self, ev):
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        self.cpu_memory_usage += ev.cpu_memory_usage
        self.self_cpu_memory_usage += ev.self_cpu_memory_usage
        return self

    @property
    def cpu_time(self):
        """Average time per call (us)."""
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}us "
                f"cpu_time={self.cpu_time:.3f}us count={self.count}>")


def _time(us):
    if abs(us) >= 1e6:
        return f"{us / 1e6:.3f}s"
    if abs(us) >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _memory(nbytes):
    for unit, size in (("Gb", 1024 ** 3), ("Mb", 1024 ** 2), ("Kb", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{int(nbytes)} B"


class EventList(list):
    """A list of events (or of averages) with PyTorch's ``table``, ``key_averages``,
    ``export_chrome_trace`` and ``self_cpu_time_total``."""

    def __init__(self, events=(), profile_memory=False, record_shapes=False):
        super().__init__(events)
        self._profile_memory = profile_memory
        self._record_shapes = record_shapes
        self._grouped_by_shape = False

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """One row per event name (and per input shapes with ``group_by_input_shape``),
        in order of first occurrence."""
        rows = {}
        for ev in self:
            key = (ev.key, str(ev.input_shapes)) if group_by_input_shape else ev.key
            row = rows.get(key)
            if row is None:
                row = rows[key] = FunctionEventAvg(ev.key, ev.input_shapes if group_by_input_shape else None)
            row.add(ev)
        out = EventList(rows.values(), self._profile_memory, self._record_shapes)
        out._grouped_by_shape = group_by_input_shape
        return out

    def total_average(self):
        total = FunctionEventAvg("Total")
        for ev in self:
            total.add(ev)
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        """The profile as text, in PyTorch's layout.

        Args:
            sort_by (str, optional): a column's attribute, largest first:
                ``"self_cpu_time_total"``, ``"cpu_time_total"``, ``"cpu_time"``, ``"count"``,
                ``"cpu_memory_usage"``, ``"self_cpu_memory_usage"``; None keeps the order.
            row_limit (int): at most this many rows (``-1``: all).
        """
        rows = list(self)
        if top_level_events_only:
            rows = [e for e in rows if getattr(e, "cpu_parent", None) is None]
        if sort_by is not None:
            if sort_by.startswith("self_cuda") or sort_by.startswith("cuda") or sort_by.startswith("device"):
                sort_by = sort_by.replace("cuda", "cpu").replace("device", "cpu")
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total or 1.0
        name_w = min(max([len(e.key) for e in rows] + [4]) + 4, max_name_column_width)
        headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        if self._profile_memory:
            headers += ["CPU Mem", "Self CPU Mem"]
        headers.append("# of Calls")
        shapes = self._grouped_by_shape or (self and not isinstance(self[0], FunctionEventAvg)
                                            and self._record_shapes)
        widths = [name_w] + [12] * (len(headers) - 1)
        if shapes:
            headers.append("Input Shapes")
            widths.append(min(max([len(str(e.input_shapes)) for e in rows] + [12]) + 2,
                              max_shapes_column_width))

        def fmt(cells):
            return "".join(c.rjust(w) + "  " for c, w in zip(cells, widths))

        def clip(text, width):
            return text if len(text) <= width else text[:width - 3] + "..."

        rule = "".join("-" * w + "  " for w in widths)
        lines = ([header] if header else []) + [rule, fmt(headers), rule]
        for e in rows:
            cells = [clip(e.key, name_w), f"{e.self_cpu_time_total / total * 100:.2f}%",
                     _time(e.self_cpu_time_total), f"{e.cpu_time_total / total * 100:.2f}%",
                     _time(e.cpu_time_total), _time(e.cpu_time_total / max(e.count, 1))]
            if self._profile_memory:
                cells += [_memory(e.cpu_memory_usage), _memory(e.self_cpu_memory_usage)]
            cells.append(str(e.count))
            if shapes:
                cells.append(clip(str(e.input_shapes), widths[-1]))
            lines.append(fmt(cells))
        lines += [rule, f"Self CPU time total: {_time(self.self_cpu_time_total)}"]
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (JSON; open in chrome://tracing or
        https://ui.perfetto.dev): complete events ("ph": "X") with microsecond times."""
        pid = os.getpid()
        events = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                   "args": {"name": "python (ember)"}}]
        for ev in self:
            item = {"ph": "X", "cat": ev.kind, "name": ev.name, "pid": pid, "tid": ev.thread,
                    "ts": round(ev.start_us, 3), "dur": round(ev.cpu_time_total, 3), "args": {}}
            if ev.input_shapes:
                item["args"]["Input Dims"] = ev.input_shapes
            if ev.self_cpu_memory_usage:
                item["args"]["Bytes"] = ev.self_cpu_memory_usage
            events.append(item)
        with open(path, "w") as f:
            json.dump({"schemaVersion": 1, "displayTimeUnit": "ms", "traceEvents": events}, f)
