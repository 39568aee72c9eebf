"""Pictures of the autograd graph: ``make_dot`` (the well-known torchviz's function, on
ember's graph nodes).

Each grad_fn node is a grey box named as PyTorch names it (``MulBackward0``,
``AddmmBackward0``); leaf tensors are light-blue boxes with their parameter name and
shape; the output is green; saved tensors (``show_saved``) are orange. Edges follow
``next_functions`` from each input to the node that consumed it.

The result is a ``graphviz.Digraph`` (``pip install graphviz``; a small stand-in with the
same ``source``/``render``/``pipe`` when that package is missing): ``.source`` is the DOT
text, and ``.render("graph", format="png")`` draws it when Graphviz's ``dot`` program is
installed (``apt-get install graphviz``).
"""
import os
import shutil
import subprocess

__all__ = ["make_dot", "dot_available"]

_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")


def dot_available():
    """True when Graphviz's ``dot`` program is on the PATH (needed to render, not for DOT)."""
    return shutil.which("dot") is not None


def _size(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


class _Digraph:
    """The part of ``graphviz.Digraph`` that ``make_dot`` uses, for when the graphviz
    package is not installed."""

    def __init__(self, node_attr=None, graph_attr=None, format=None):
        self.format = format or "pdf"
        self.body = []
        self._head = []
        if graph_attr:
            self._head.append(f"\tgraph [{_attrs(graph_attr)}]")
        if node_attr:
            self._head.append(f"\tnode [{_attrs(node_attr)}]")

    def node(self, name, label=None, **attrs):
        if label is not None:
            attrs = {"label": label, **attrs}
        self.body.append(f"\t{_quote(name)} [{_attrs(attrs)}]" if attrs else f"\t{_quote(name)}")

    def edge(self, tail, head, **attrs):
        extra = f" [{_attrs(attrs)}]" if attrs else ""
        self.body.append(f"\t{_quote(tail)} -> {_quote(head)}{extra}")

    def attr(self, kw=None, **attrs):
        self._head.append(f"\t{kw or 'graph'} [{_attrs(attrs)}]")

    @property
    def source(self):
        return "digraph {\n" + "\n".join(self._head + self.body) + "\n}\n"

    def __str__(self):
        return self.source

    def pipe(self, format=None):
        if not dot_available():
            raise RuntimeError("rendering needs Graphviz's dot program (apt-get install graphviz)")
        return subprocess.run(["dot", "-T" + (format or self.format)], input=self.source.encode(),
                              capture_output=True, check=True).stdout

    def render(self, filename="Digraph.gv", directory=None, format=None, cleanup=False, **kwargs):
        path = os.path.join(directory, filename) if directory else filename
        with open(path, "w") as f:
            f.write(self.source)
        fmt = format or self.format
        out = f"{path}.{fmt}"
        with open(out, "wb") as f:
            f.write(self.pipe(fmt))
        if cleanup:
            os.remove(path)
        return out


def _quote(s):
    s = str(s)
    return s if s.isidentifier() or s.isdigit() else '"' + s.replace('"', '\\"') + '"'


def _attrs(d):
    return " ".join(f"{k}={_quote(v)}" for k, v in d.items())


def _new_digraph():
    try:
        from graphviz import Digraph
    except ImportError:
        return _Digraph(node_attr=_NODE_ATTR, graph_attr=dict(size="12,12"))
    return Digraph(node_attr=_NODE_ATTR, graph_attr=dict(size="12,12"))


def _node_attrs(fn):
    """The parameters an op was applied with (``dim``, ``stride``, ``c``, ...)."""
    out = {}
    for k, v in vars(fn).items():
        if k.startswith("_") or k in ("next_functions", "needs_input_grad", "xp"):
            continue
        if isinstance(v, (bool, int, float, str)) or (
                isinstance(v, tuple) and all(isinstance(i, (bool, int, float, str)) for i in v)):
            out[k] = v
    return out


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """Draw the autograd graph that produced ``var`` (a Tensor or a tuple of Tensors).

    Args:
        var (Tensor or tuple): the output(s) whose ``grad_fn`` graph is drawn.
        params (dict, optional): ``name -> Tensor`` (e.g. ``dict(model.named_parameters())``)
            to label leaf tensors with their names.
        show_attrs (bool): list each op's parameters (``dim``, ``stride``, ...) in its box
            (while the graph still holds them: before ``backward`` frees it).
        show_saved (bool): draw the tensors each node saved for backward (orange).
        max_attr_chars (int): cut attribute values longer than this.

    Returns:
        ``graphviz.Digraph``: ``.source`` is the DOT text; ``.render(path, format="png")``
        draws it (needs Graphviz's ``dot``).

    Example:
        >>> x = ember.randn(3, requires_grad=True)
        >>> y = ember.randn(3, requires_grad=True)
        >>> z = ember.randn(3, requires_grad=True)
        >>> dot = make_dot((x * y + z).sum(), params={"x": x, "y": y, "z": z})
        >>> print(dot.source)            # SumBackward0 <- AddBackward0 <- MulBackward0 ...
        >>> dot.render("graph", format="png")
    """
    from ..tensor import Tensor
    names = {id(v): k for k, v in (params or {}).items()}
    dot = _new_digraph()
    seen = set()

    def var_label(t, name=None):
        name = name or names.get(id(t))
        return f"{name}\n {_size(t.shape)}" if name else _size(t.shape)

    def add_node(fn):
        stack = [fn]
        while stack:
            fn = stack.pop()
            if fn in seen:
                continue
            seen.add(fn)
            if fn.name() == "AccumulateGrad":
                leaf = fn.variable
                dot.node(str(id(fn)), var_label(leaf) if leaf is not None else "(freed)",
                         fillcolor="lightblue")
                continue
            label = fn.name()
            if show_attrs:
                attrs = _node_attrs(fn)
                if attrs:
                    width = max(len(k) for k in attrs)
                    label += "\n" + "-" * width + "\n" + "\n".join(
                        f"{k.ljust(width)}: {_cut(str(v), max_attr_chars)}" for k, v in attrs.items())
            dot.node(str(id(fn)), label)
            if show_saved:
                try:
                    saved = fn.saved_tensors
                except RuntimeError:  # freed by backward
                    saved = ()
                for i, s in enumerate(saved):
                    sid = f"{id(fn)}_saved{i}"
                    dot.node(sid, var_label(s, names.get(id(s)) or f"saved[{i}]"), fillcolor="orange")
                    dot.edge(sid, str(id(fn)), dir="none")
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    dot.edge(str(id(nxt)), str(id(fn)))
                    stack.append(nxt)

    outputs = var if isinstance(var, (tuple, list)) else (var,)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"make_dot: expected a Tensor or a tuple of Tensors, got {type(out).__name__}")
        dot.node(str(id(out)), var_label(out), fillcolor="darkolivegreen1")
        if out.grad_fn is not None:
            add_node(out.grad_fn)
            dot.edge(str(id(out.grad_fn)), str(id(out)))
    _resize(dot)
    return dot


def _cut(s, n):
    return s if len(s) <= n else s[:n - 3] + "..."


def _resize(dot, size_per_element=0.15, min_size=12):
    """Grow the drawing with the number of nodes (as torchviz does)."""
    rows = len(dot.body)
    size = max(min_size, size_per_element * rows)
    if hasattr(dot, "graph_attr"):
        dot.graph_attr.update(size=f"{size},{size}")
