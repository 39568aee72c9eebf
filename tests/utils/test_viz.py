"""ember.utils.viz.make_dot: the exact structure of the lecture's graph, DOT text without
Graphviz, rendering when its ``dot`` program is installed."""
import os
import re
import shutil

import pytest

import ember
import ember.nn as nn
from ember.utils import viz
from ember.utils.viz import make_dot


def _lecture():
    """The lectures' example: a = x * y, b = a + z, c = sum(b)."""
    x = ember.randn(3, requires_grad=True)
    y = ember.randn(3, requires_grad=True)
    z = ember.randn(3, requires_grad=True)
    c = (x * y + z).sum()
    return c, {"x": x, "y": y, "z": z}


def _graph(source):
    """(labels by node id, set of (tail label, head label) edges) of DOT text."""
    labels = {m.group(1).strip('"'): m.group(2).strip('"').replace("\n", " ")
              for m in re.finditer(r'^\t(\S+) \[label=("[^"]*"|[^\s\]]+)', source, re.M)}
    edges = {(labels[a.strip('"')], labels[b.strip('"')])
             for a, b in re.findall(r'^\t(\S+) -> (\S+)', source, re.M)}
    return labels, edges


def test_lecture_graph_structure():
    c, params = _lecture()
    x, y, z = params["x"], params["y"], params["z"]
    # the autograd graph itself: node names and next_functions as in PyTorch
    s = c.grad_fn
    assert s.name() == "SumBackward0" and type(s).__name__ == "SumBackward0"
    (add, nr), = s.next_functions
    assert add.name() == "AddBackward0" and nr == 0
    (mul, n0), (acc_z, n1) = add.next_functions
    assert mul.name() == "MulBackward0" and (n0, n1) == (0, 0)
    assert acc_z.name() == "AccumulateGrad" and acc_z.variable is z
    (acc_x, _), (acc_y, _) = mul.next_functions
    assert acc_x.variable is x and acc_y.variable is y
    assert acc_x.next_functions == ()

    labels, edges = _graph(make_dot(c, params=params).source)
    assert sorted(labels.values()) == sorted(
        ["()", "SumBackward0", "AddBackward0", "MulBackward0", "x  (3)", "y  (3)", "z  (3)"])
    assert edges == {("x  (3)", "MulBackward0"), ("y  (3)", "MulBackward0"),
                     ("MulBackward0", "AddBackward0"), ("z  (3)", "AddBackward0"),
                     ("AddBackward0", "SumBackward0"), ("SumBackward0", "()")}


def test_model_graph_names_parameters_and_saved():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    out = model(ember.randn(5, 4)).sum()
    dot = make_dot(out, params=dict(model.named_parameters()), show_saved=True, show_attrs=True)
    labels, edges = _graph(dot.source)
    names = list(labels.values())
    assert {"0.weight  (3, 4)", "0.bias  (3)", "2.weight  (2, 3)", "2.bias  (2)"} <= set(names)
    assert sum(v.startswith("AddmmBackward0") for v in names) == 2
    assert any(v.startswith("ReluBackward0") for v in names)
    assert 'fillcolor=orange' in dot.source  # saved tensors drawn
    assert ("0.weight  (3, 4)", next(v for v in names if v.startswith("AddmmBackward0")
                                     and ("0.weight  (3, 4)", v) in edges)) in edges


def test_several_outputs_and_released_graph():
    c, params = _lecture()
    d = c * 2
    src = make_dot((c, d), params=params).source
    assert src.count("darkolivegreen1") == 2
    d.backward()  # frees the graph: it can still be drawn (names and edges stay)
    assert "MulBackward0" in make_dot(d, params=params, show_saved=True, show_attrs=True).source
    with pytest.raises(TypeError, match="make_dot"):
        make_dot([1.0])


def test_dot_text_without_the_graphviz_package(monkeypatch):
    c, params = _lecture()
    import builtins
    real_import = builtins.__import__

    def no_graphviz(name, *a, **k):
        if name == "graphviz":
            raise ImportError(name)
        return real_import(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    dot = make_dot(c, params=params)
    assert isinstance(dot, viz._Digraph)
    labels, edges = _graph(dot.source)
    assert ("AddBackward0", "SumBackward0") in edges and len(edges) == 6
    assert dot.source.startswith("digraph {")


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="rendering needs Graphviz's dot program (apt-get install graphviz)")
def test_render_png_and_svg(tmp_path):
    c, params = _lecture()
    dot = make_dot(c, params=params)
    png = dot.render(str(tmp_path / "lecture"), format="png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in dot.pipe(format="svg")
    fallback = viz._Digraph(node_attr=viz._NODE_ATTR)
    fallback.node("a", "MulBackward0")
    fallback.edge("a", "b")
    assert b"<svg" in fallback.pipe("svg")


def test_ember_graph_cli(tmp_path, capsys):
    from ember.cli import main
    base = tmp_path / "pics" / "mlp"
    assert main(["graph", "mnist-mlp", "--out", str(base), "--format", "dot", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ember graph mnist-mlp:") and str(base) + ".dot" in out
    labels, edges = _graph((tmp_path / "pics" / "mlp.dot").read_text())
    names = list(labels.values())
    assert "NllLossBackward0" in names and names.count("AddmmBackward0") == 2
    assert {"net.0.weight  (1024, 784)", "net.2.bias  (10)"} <= set(names) or \
        any(n.endswith(".weight  (1024, 784)") for n in names)
    if shutil.which("dot"):
        assert main(["graph", "mnist-mlp", "--out", str(base), "--format", "svg", "--batch-size", "2"]) == 0
        assert (tmp_path / "pics" / "mlp.svg").read_bytes().lstrip().startswith(b"<")


@pytest.mark.skipif(shutil.which("dot") is None, reason="the README example renders a PNG")
def test_readme_section_runs(tmp_path, monkeypatch, capsys):
    if os.environ.get("CI") != "true":
        pytest.importorskip("onnxruntime")
    import pathlib
    text = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text.split("## Seeing inside and shipping out", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert {"graph.png", "trace.json", "mlp.onnx"} <= set(os.listdir(tmp_path))
    assert "model_inference" in capsys.readouterr().out
