"""The backward pass: walks the graph from the outputs in dependency order (iteratively,
so a 10,000-op chain needs no recursion), sums gradients arriving at each node, runs
hooks, and accumulates into the leaves' ``.grad``."""
import numpy as np

from . import function as _function
from .function import AccumulateGrad
from .grad_mode import STATE

__all__ = ["run_backward"]


def _collect(roots, want_order):
    """Dependency counts (how many edges point at each node) and, if asked, a post-order
    of the graph (children before parents)."""
    deps = {}
    if not want_order:
        seen = set(roots)
        stack = list(roots)
        while stack:
            for nxt in stack.pop().next_functions:
                if nxt is not None:
                    if nxt in deps:
                        deps[nxt] += 1
                    else:
                        deps[nxt] = 1
                    if nxt not in seen:
                        seen.add(nxt)
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
        for nxt in node.next_functions:
            if nxt is not None:
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    stack.append((nxt, False))
    return deps, order


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Back-propagate ``grad_outputs`` from ``outputs``.

    With ``accumulate=True`` (Tensor.backward) leaf gradients are added into ``.grad``
    (only for ``inputs`` if given); otherwise (autograd.grad) the gradients of
    ``inputs`` are returned and no ``.grad`` is touched.
    """
    roots = []
    grads = {}
    shared = set()  # ids of gradient tensors that someone else also holds
    for out, g in zip(outputs, grad_outputs):
        node = out.grad_fn if out.grad_fn is not None else (out._acc_node() if out._rg else None)
        if node is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        shared.add(id(g))
        if node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            roots.append(node)
    deps, order = _collect(roots, inputs is not None)

    # which nodes the gradient must reach
    targets = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            node = t.grad_fn if t.grad_fn is not None else t._acc_node()
            targets.setdefault(node, []).append(i)
        needed = set()
        for node in order:  # children come before parents in post-order
            if node in targets or any(n in needed for n in node.next_functions if n is not None):
                needed.add(node)
    else:
        needed = None
    results = [None] * (len(inputs) if inputs is not None else 0)

    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        ready = list(roots)
        pop = grads.pop
        plain = targets is None  # Tensor.backward() without inputs=: accumulate everywhere
        while ready:
            node = ready.pop()
            g = pop(node, None)
            if g is None:  # no gradient reached this node: just release its children
                for nxt in node.next_functions:
                    if nxt is not None:
                        deps[nxt] -= 1
                        if deps[nxt] == 0:
                            ready.append(nxt)
                continue
            if node._pre_hooks:
                for hook in list(node._pre_hooks):
                    r = hook(g)
                    if r is not None:
                        g = r
            if node.__class__ is AccumulateGrad:
                if not plain and node in targets:
                    for i in targets[node]:
                        results[i] = g
                    if not accumulate:
                        continue
                if plain or node in needed:
                    _accumulate(node, g, create_graph, id(g) in shared)
                continue
            if not plain:
                if node in targets:
                    for i in targets[node]:
                        results[i] = g
                if node not in needed:
                    continue
            if node._saved is None and node._freed:
                node.saved_tensors  # raises the "backward through the graph a second time" error
            in_grads = node.backward(g)
            if in_grads.__class__ is not tuple:
                in_grads = (in_grads,)
            if not retain_graph and node._saved is not None:
                node._saved = None
                node._freed = True
            nexts = node.next_functions
            if len(in_grads) != len(nexts):
                raise RuntimeError(f"function {node.name()} returned {len(in_grads)} gradients, "
                                   f"expected {len(nexts)}")
            for nxt, ig in zip(nexts, in_grads):
                if nxt is None:
                    continue
                if ig is not None:
                    # (a gradient passed through unchanged keeps its id, so a shared one
                    # stays marked as shared)
                    if nxt in grads:
                        grads[nxt] = grads[nxt] + ig
                    else:
                        grads[nxt] = ig
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    ready.append(nxt)
            if len(in_grads) > 1:  # the same tensor handed to two inputs is shared
                ids = [id(x) for x in in_grads if x is not None]
                if len(ids) != len(set(ids)):
                    shared.update(ids)
    finally:
        STATE.enabled = prev

    if inputs is not None and not accumulate:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(results)
    return None


def _accumulate(node, g, create_graph, is_shared):
    leaf = node._leaf()
    if leaf is None:
        return
    if g._data.shape != leaf._data.shape:
        # a broadcast gradient reaching a leaf is a bug in an op's backward
        raise RuntimeError(f"{node.name()}: gradient of shape {g._data.shape} does not match "
                           f"leaf of shape {leaf._data.shape}")
    old = leaf._grad
    if create_graph:
        leaf._grad = g if old is None else old + g
        return
    if old is None:
        arr = g._data
        if is_shared or not arr.flags.owndata or not arr.flags.writeable:
            arr = arr.copy()
        if arr.dtype != leaf._data.dtype:
            arr = arr.astype(leaf._data.dtype)
        leaf._grad = _function._Tensor._wrap(arr)
    elif old._rg or old.grad_fn is not None:
        leaf._grad = (old + g).detach()
    else:
        old._data += g._data
