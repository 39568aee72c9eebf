"""The backward pass: walks the graph from the outputs in dependency order (iteratively,
so a 10,000-op chain needs no recursion), sums the gradients arriving at each output of
each node, runs hooks, calls the node's backward (its raw-array fast path when no graph
is recorded), releases what the node held, and accumulates into the leaves' ``.grad``.

Edges are ``(node, input_nr)`` pairs as in PyTorch: ``input_nr`` is the output number
of ``node`` that the edge carries a gradient to.

Two modes. Without ``create_graph`` (training) gradients travel as raw backend arrays:
nodes with a ``backward_raw`` get and return arrays, the others are handed Tensors that
are unwrapped again, and sums of gradients are plain array additions -- no Tensor or
graph bookkeeping per gradient. With ``create_graph`` they travel as Tensors through
each node's differentiable ``backward``, recording the graph of the backward pass.
"""

from . import op as _op
from .grad_mode import STATE
from .op import _KEEP, AccumulateGrad

__all__ = ["run_backward"]

_KEEP_RARE = _KEEP - {"next_functions", "needs_input_grad"}  # kept attributes few nodes have
_SPECIAL = _KEEP_RARE | {"_freed"}  # a node with one of these takes the general path (_run)


def _collect(roots, want_order):
    """Dependency counts (how many edges point at each node) and, if asked, a post-order
    of the graph (children before parents)."""
    deps = {}
    if not want_order:
        # A node is pushed when first reached. A root reached from another root is already
        # on the stack (not pushed twice); a single root is never reached (no cycles).
        rootset = roots if len(roots) < 8 else set(roots)
        stack = list(roots)
        while stack:
            for nxt, _ in stack.pop().next_functions:
                if nxt is not None:
                    if nxt in deps:
                        deps[nxt] += 1
                    else:
                        deps[nxt] = 1
                        if nxt not in rootset:
                            stack.append(nxt)
        return deps, None
    order = []
    seen = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for nxt, _ in node.next_functions:
            if nxt is not None:
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    stack.append((nxt, False))
    return deps, order


def _add(grads, node, nr, g):
    """Sum gradient ``g`` into output ``nr`` of ``node``."""
    if node._n_out == 1:
        cur = grads.get(node)
        grads[node] = g if cur is None else cur + g
        return cur is None
    slots = grads.get(node)
    fresh = slots is None
    if fresh:
        slots = grads[node] = [None] * node._n_out
    cur = slots[nr]
    slots[nr] = g if cur is None else cur + g
    return fresh


def backward_scalar(out, g, retain_graph):
    """``out.backward()`` for a one-element ``out`` (the common ``loss.backward()``):
    ``g`` is the raw array of ones; no graph is recorded and every leaf accumulates."""
    if not out._rg:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    node = out.grad_fn
    if node is None or node._n_out != 1:
        node, nr = _op._edge(out)
        grads = {}
        _add(grads, node, nr, g)
    else:
        grads = {node: g}
    _execute([node], grads, {id(g)}, retain_graph, False, None, None, None, True)


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Back-propagate ``grad_outputs`` from ``outputs``.

    With ``accumulate=True`` (Tensor.backward) leaf gradients are added into ``.grad``
    (only for ``inputs`` if given); otherwise (autograd.grad) the gradients of
    ``inputs`` are returned and no ``.grad`` is touched.
    """
    roots = []
    grads = {}
    shared = set()  # ids of gradients that someone else also holds (never accumulated into)
    raw_mode = not create_graph
    for out, g in zip(outputs, grad_outputs):
        if not out._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        node, nr = _op._edge(out)
        if raw_mode:
            g = g._data
        shared.add(id(g))
        if _add(grads, node, nr, g):
            roots.append(node)
    if inputs is None:
        _execute(roots, grads, shared, retain_graph, create_graph, None, None, None, accumulate)
        return None
    deps, order = _collect(roots, True)
    # which nodes the gradient must reach
    targets = {}
    for i, t in enumerate(inputs):
        node, nr = _op._edge(t)
        targets.setdefault(node, []).append((i, nr))
    needed = set()
    for node in order:  # children come before parents in post-order
        if node in targets or any(n in needed for n, _ in node.next_functions if n is not None):
            needed.add(node)
    results = [None] * len(inputs)
    _execute(roots, grads, shared, retain_graph, create_graph, deps, targets, needed, accumulate,
             results)
    if not accumulate:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(_wrap_all(results)) if raw_mode else tuple(results)
    return None


def _execute(roots, grads, shared, retain_graph, create_graph, deps, targets, needed, accumulate,
             results=None):
    """The backward loop: run each node once all edges into it have delivered.
    ``targets``/``needed`` (None: every node, every leaf accumulates) restrict it to what
    ``inputs=`` asks for, whose gradients go into ``results``."""
    if deps is None:
        deps = _collect(roots, False)[0]
    raw_mode = not create_graph
    prev = STATE.enabled
    STATE.enabled = create_graph
    anomaly = STATE.anomaly
    prof = _op._observer  # the profiler times each node's backward (None: not profiling)
    prof = getattr(prof, "backward_node", None) if prof is not None else None
    try:
        # a root that is also upstream of another root waits for that one's gradient
        ready = [r for r in roots if r not in deps]
        pop = grads.pop
        plain = targets is None  # Tensor.backward() without inputs=: accumulate everywhere
        # the usual training node (one output, no hooks, not released, NumPy arrays, a
        # ``derivative`` on the saved arrays) takes the short path below; the rest ``_run``
        fast = plain and raw_mode and prof is None and not anomaly
        while ready:
            node = ready.pop()
            g = pop(node, None)
            if g is None:  # no gradient reached this node: just release its children
                for nxt, _ in node.next_functions:
                    if nxt is not None:
                        deps[nxt] -= 1
                        if deps[nxt] == 0:
                            ready.append(nxt)
                continue
            d = node.__dict__
            kind = node._raw_kind
            if kind == 3 and fast and "_hooks" not in d:  # a leaf: add into its .grad
                _accumulate(node, g, False, id(g) in shared)
                continue
            if kind and fast and _SPECIAL.isdisjoint(d):
                if kind == 1:  # ``derivative`` on the saved arrays
                    saved = d.get("_saved")
                    in_grads = node.derivative(g) if saved is None else \
                        node.derivative(g, *_op._saved_arrays(node, saved))
                else:
                    in_grads = node.backward_raw(g)
                if in_grads.__class__ is not tuple:
                    in_grads = (in_grads,)
                nexts = d["next_functions"]
                if not retain_graph:  # drop what the node holds (Op._release, inlined)
                    if node.is_view:
                        d.pop("_saved", None)
                        d["_freed"] = True
                    else:  # (a fresh dict of the graph edges: cheaper than deleting keys)
                        node.__dict__ = {"next_functions": nexts,
                                         "needs_input_grad": d["needs_input_grad"], "_freed": True}
            else:
                in_grads = _run(node, g, raw_mode, create_graph, retain_graph, prof, anomaly,
                                plain, targets, needed, results, accumulate, shared)
                if in_grads is None:  # a leaf, or a node the gradient need not go through
                    continue
                nexts = node.next_functions
            n = len(in_grads)
            if n != len(nexts):
                raise RuntimeError(f"function {node.name()} returned {n} gradients, "
                                   f"expected {len(nexts)}")
            for (nxt, nr), ig in zip(nexts, in_grads):
                if nxt is None:
                    continue
                if ig is not None:
                    # (a gradient passed through unchanged keeps its id, so a shared one
                    # stays marked as shared)
                    if nxt._n_out != 1:
                        _add(grads, nxt, nr, ig)
                    elif nxt in grads:
                        grads[nxt] = grads[nxt] + ig
                    else:
                        grads[nxt] = ig
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    ready.append(nxt)
            # the same gradient handed to two inputs is shared
            if n == 2:
                if in_grads[0] is in_grads[1] and in_grads[0] is not None:
                    shared.add(id(in_grads[0]))
            elif n > 2:
                ids = [id(x) for x in in_grads if x is not None]
                if len(ids) != len(set(ids)):
                    shared.update(ids)
    finally:
        STATE.enabled = prev


def _run(node, g, raw_mode, create_graph, retain_graph, prof, anomaly, plain, targets, needed,
         results, accumulate, shared):
    """One node of the backward loop, in general: hooks, leaves (accumulated into
    ``.grad``), ``inputs=`` targets, several outputs, Tensor backward (``create_graph``),
    the profiler and anomaly mode. Returns the input gradients (a tuple), or None when
    nothing flows on from this node."""
    multi = node._n_out != 1
    hooks = node._hooks
    if hooks is not None:
        g = _run_pre_hooks(hooks, g if multi else [g], raw_mode)
        if not multi:
            g = g[0]
    if node.__class__ is AccumulateGrad:
        if not plain and node in targets:
            for i, _ in targets[node]:
                results[i] = g
            if not accumulate:
                return None
        if plain or node in needed:
            _accumulate(node, g, create_graph, id(g) in shared)
        return None
    if not plain:
        if node in targets:
            for i, nr in targets[node]:
                results[i] = g[nr] if multi else g
        if node not in needed:
            return None
    if node._freed:
        node._check_not_freed()
    if prof is not None:
        prof(node, True)
    if multi:
        gs = _materialize(node, g, raw_mode)
        if raw_mode and node.backward_raw is not None:
            in_grads = node.backward_raw(*gs)
        elif raw_mode:
            in_grads = _unwrap_all(_as_tuple(node.backward(*_wrap_all(gs))))
        else:
            in_grads = node.backward(*gs)
    elif not raw_mode:
        in_grads = node.backward(g)
    elif node._raw_derivative:  # ``derivative`` on the saved arrays, inlined
        saved = node._saved
        in_grads = node.derivative(g) if saved is None else \
            node.derivative(g, *_op._saved_arrays(node, saved))
    elif node.backward_raw is not None:
        in_grads = node.backward_raw(g)
    else:  # an op with only a Tensor-level backward: wrap, run, unwrap
        in_grads = _unwrap_all(_as_tuple(node.backward(_op._Tensor._wrap(g))))
    if in_grads.__class__ is not tuple:
        in_grads = (in_grads,)
    if prof is not None:
        prof(node, False)
    if hooks is not None and hooks.post:
        in_grads = _run_post_hooks(hooks, in_grads, (g,) if not multi else gs, raw_mode)
    if anomaly:
        _check_anomaly(node, in_grads)
    if not retain_graph:  # drop what the node holds (Op._release, inlined)
        d = node.__dict__
        if node.is_view:
            d.pop("_saved", None)
            d["_freed"] = True
        elif _KEEP_RARE.isdisjoint(d):
            node.__dict__ = {"next_functions": node.next_functions,
                             "needs_input_grad": node.needs_input_grad, "_freed": True}
        else:
            for k in list(d):
                if k not in _KEEP:
                    del d[k]
            d["_freed"] = True
    return in_grads


def _as_tuple(x):
    return x if x.__class__ is tuple else (x,)


def _wrap_all(arrays):
    wrap = _op._Tensor._wrap
    return [None if a is None else wrap(a) for a in arrays]


def _unwrap_all(tensors):
    return tuple([None if t is None else t._data for t in tensors])


def _run_post_hooks(node_hooks, in_grads, gs, raw_mode):
    """Node post-hooks ``hook(grad_inputs, grad_outputs)``: they see Tensors."""
    if raw_mode:
        in_grads, gs = tuple(_wrap_all(in_grads)), tuple(_wrap_all(gs))
    for hook in list(node_hooks.post):
        r = hook(in_grads, tuple(gs))
        if r is not None:
            in_grads = tuple(r)
    return _unwrap_all(in_grads) if raw_mode else in_grads


def _run_pre_hooks(node_hooks, gl, raw_mode):
    """Tensor hooks (per output) first, then the node's pre-hooks, as PyTorch orders them.
    Hooks see Tensors; in raw mode the gradients are wrapped for them and unwrapped after."""
    if raw_mode:
        return list(_unwrap_all(_run_pre_hooks(node_hooks, _wrap_all(gl), False)))
    gl = list(gl)
    th = node_hooks.tensor
    if th:
        for nr, hooks in list(th.items()):
            if gl[nr] is None:
                continue
            for hook in list(hooks):
                r = hook(gl[nr])
                if r is not None:
                    gl[nr] = r
    if node_hooks.pre:
        for hook in list(node_hooks.pre):
            r = hook(tuple(gl))
            if r is not None:
                gl = list(r)
    return gl


def _materialize(node, gl, raw_mode):
    """Per-output gradients of a multi-output node; a missing one becomes zeros when the
    op asks for it (``materialize_grads``, the default), as PyTorch does."""
    meta = node.__dict__.get("_out_meta")
    if meta is None or not getattr(node, "materialize_grads", True):
        return tuple(gl)
    xp = node.xp
    make = (lambda a: a) if raw_mode else _op._Tensor._wrap
    return tuple([make(xp.zeros(m[0], dtype=m[1])) if x is None and m is not None else x
                  for x, m in zip(gl, meta)])


def _check_anomaly(node, in_grads):
    """Anomaly mode: a NaN in a gradient names the node and the forward call that made it."""
    for i, g in enumerate(in_grads):
        a = getattr(g, "_data", g)
        if a is None or a.dtype.kind not in "fc":
            continue
        if node.xp.isnan(a).any():
            trace = node.__dict__.get("_anomaly_trace")
            where = ("\nTraceback of forward call that caused the error:\n" + trace) if trace else (
                "\n(no forward traceback: the forward ran before anomaly detection was enabled)")
            import warnings
            warnings.warn(f"Error detected in {node.name()}.{where}", RuntimeWarning, stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output."
                               + where)


def _accumulate(node, g, create_graph, is_shared):
    """Add gradient ``g`` (an array, or a Tensor with ``create_graph``) into the leaf's
    ``.grad``; never keeps an array someone else holds (copies it)."""
    leaf = node._leaf()
    if leaf is None:
        return
    arr = g._data if create_graph else g
    if arr.shape != leaf._data.shape:
        # a broadcast gradient reaching a leaf is a bug in an op's backward
        raise RuntimeError(f"{node.name()}: gradient of shape {arr.shape} does not match "
                           f"leaf of shape {leaf._data.shape}")
    old = leaf._grad
    if create_graph:
        leaf._grad = g if old is None else old + g
    elif old is None:
        if is_shared or not arr.flags.owndata or not arr.flags.writeable:
            arr = arr.copy()
        if arr.dtype != leaf._data.dtype:
            arr = arr.astype(leaf._data.dtype)
        leaf._grad = _op._Tensor._wrap(arr)
    elif old._rg or old.grad_fn is not None:
        leaf._grad = (old + _op._Tensor._wrap(arr)).detach()
    elif arr.size == 1:  # (NumPy's in-place add costs twice an add on one element)
        od = old._data
        od[...] = od + arr
    else:
        old._data += arr
    hooks = node._post_acc_hooks
    if hooks:
        for hook in list(hooks):
            hook(leaf)
