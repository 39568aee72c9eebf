"""ember.profiler: forward ops and backward nodes recorded and nested, PyTorch's table
layout, Chrome trace, record_function, schedule, the autograd.profiler alias."""
import json

import pytest

import ember
import ember.nn as nn
from ember.autograd import op as _op
from ember.profiler import ProfilerActivity, profile, record_function, schedule


def _model():
    return nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))


def _profiled(**kw):
    model = _model()
    x = ember.randn(3, 8)
    with profile(activities=[ProfilerActivity.CPU], **kw) as prof:
        with record_function("model_inference"):
            loss = model(x).sum()
        loss.backward()
    return prof


def test_forward_and_backward_ops_recorded_and_nested():
    prof = _profiled(record_shapes=True, profile_memory=True)
    names = [e.name for e in prof.events()]
    assert names.count("aten::addmm") == 2 and "aten::relu" in names and "aten::sum" in names
    assert "autograd::engine::evaluate_function: AddmmBackward0" in names
    assert "autograd::engine::evaluate_function: ReluBackward0" in names
    label = next(e for e in prof.events() if e.name == "model_inference")
    assert {c.name for c in label.cpu_children} >= {"aten::addmm", "aten::relu", "aten::sum"}
    assert all(c.cpu_parent is label for c in label.cpu_children)
    # self time excludes the nested ops; totals add up
    assert label.self_cpu_time_total == pytest.approx(
        label.cpu_time_total - sum(c.cpu_time_total for c in label.cpu_children))
    addmm = next(e for e in prof.events() if e.name == "aten::addmm")
    assert addmm.input_shapes == [[3, 8], [4, 8], [4]]
    assert addmm.self_cpu_memory_usage == 3 * 4 * 4       # its float32 (3, 4) output
    assert label.cpu_memory_usage >= 2 * 3 * 4 * 4
    avg = {r.key: r for r in prof.key_averages()}
    assert avg["aten::addmm"].count == 2
    assert prof.key_averages().self_cpu_time_total == pytest.approx(
        sum(e.self_cpu_time_total for e in prof.events()))
    assert _op._observer is None  # nothing left installed


def test_table_layout_is_pytorchs():
    prof = _profiled(record_shapes=True, profile_memory=True)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=4)
    lines = table.splitlines()
    assert lines[0] == lines[2] and set(lines[0]) == {"-", " "}
    heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
             "CPU Mem", "Self CPU Mem", "# of Calls"]
    assert lines[1].split("  ") and [h.strip() for h in lines[1].split("  ") if h.strip()] == heads
    assert len(lines) == 3 + 4 + 2 and lines[-1].startswith("Self CPU time total: ")
    rows = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=-1).splitlines()[3:-2]
    name_w = len(lines[0].split("  ")[0]) + 2
    selfs = [float(r[name_w:name_w + 12].strip().rstrip("%")) for r in rows]   # "Self CPU %" column
    assert selfs == sorted(selfs, reverse=True)
    assert sum(selfs) == pytest.approx(100, abs=0.1)
    grouped = prof.key_averages(group_by_input_shape=True).table(row_limit=-1)
    assert "Input Shapes" in grouped and "[[3, 8], [4, 8], [4]]" in grouped
    plain = _profiled().key_averages().table()
    assert "CPU Mem" not in plain and "Input Shapes" not in plain


def test_chrome_trace(tmp_path):
    prof = _profiled(record_shapes=True)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(spans) == len(prof.events())
    names = {e["name"] for e in spans}
    assert {"model_inference", "aten::addmm", "autograd::engine::evaluate_function: SumBackward0"} <= names
    label = next(e for e in spans if e["name"] == "model_inference")
    inner = [e for e in spans if e["name"] == "aten::relu"][0]
    assert label["ts"] <= inner["ts"] and inner["ts"] + inner["dur"] <= label["ts"] + label["dur"] + 1e-3
    assert inner["args"]["Input Dims"] == [[3, 4]]


def test_record_function_decorator_and_no_profiler():
    @record_function("my_block")
    def block(x):
        return x * 2

    x = ember.randn(2)
    assert ember.allclose(block(x), x * 2)  # no profiler: plain call
    with profile() as prof:
        block(x)
    (ev,) = [e for e in prof.events() if e.name == "my_block"]
    assert [c.name for c in ev.cpu_children] == ["aten::mul"]


def test_not_nested_and_errors_leave_nothing_installed():
    with profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with profile():
                pass
    with pytest.raises(ValueError):
        with profile():
            raise ValueError("boom")
    assert _op._observer is None


def test_schedule_and_trace_handler(tmp_path):
    model = _model()
    x = ember.randn(3, 8)
    ready = []
    sched = schedule(wait=1, warmup=1, active=2, repeat=1)
    with profile(schedule=sched, on_trace_ready=ready.append) as prof:
        for step in range(6):
            with record_function(f"step{step}"):
                model(x).sum().backward()
            prof.step()
    assert len(ready) == 1
    labels = [e.name for e in prof.events() if e.name.startswith("step")]
    assert labels == ["step2", "step3"]
    handler = ember.profiler.tensorboard_trace_handler(str(tmp_path / "tb"))
    handler(prof)
    (f,) = list((tmp_path / "tb").iterdir())
    assert f.name.endswith(".pt.trace.json") and json.loads(f.read_text())["traceEvents"]


def test_autograd_profiler_alias():
    model = _model()
    with ember.autograd.profiler.profile(record_shapes=True) as prof:
        model(ember.randn(3, 8)).sum().backward()
    assert "aten::addmm" in prof.key_averages().table(sort_by="cpu_time_total")
    assert ember.autograd.profiler.record_function is record_function


def test_ember_train_profile(tmp_path, capsys):
    from ember.cli import main
    out = tmp_path / "run"
    rc = main(["train", "mnist-mlp", "--epochs", "1", "--limit-train", "96", "--batch-size", "32", "--limit-test", "50",
               "--out", str(out), "--profile", "2"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "profile of 2 training steps" in text and text.strip().splitlines()[-1].startswith("test accuracy")
    table = (out / "profile.txt").read_text()
    assert "aten::addmm" in table and "autograd::engine::evaluate_function: AddmmBackward0" in table
    assert "ProfilerStep#1" in table and "ProfilerStep#2" in table and "ProfilerStep#3" not in table
    trace = json.loads((out / "trace.json").read_text())
    assert any(e.get("name") == "aten::relu" for e in trace["traceEvents"])
    assert _op._observer is None
