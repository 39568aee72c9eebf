"""Matrix products: matmul (with batch broadcasting), mm, bmm, mv, dot, outer, einsum,
addmm, baddbmm."""
import numpy as np

from ..autograd.op import Op
from ..tensor import Tensor
from ._args import not_implemented_for
from ._generic import swap_last
from ._im2col import parallel_matmul
from .elementwise import unbroadcast
from ._out import with_out

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "einsum", "addmm", "baddbmm",
           "tensordot"]


def _shape_str(s):
    return "(" + ", ".join(str(x) for x in s) + ")" if len(s) != 1 else f"({s[0]},)"


class MatMul(Op):
    """``a @ b`` for a, b of at least 2 dims (1-d operands are reshaped by ``matmul``)."""
    torch_name = "Mm"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        if a.ndim > 2 or b.ndim > 2:  # PyTorch's node for batched products
            self._name = "BmmBackward0" if a.ndim == b.ndim == 3 else "UnsafeViewBackward0"
        return parallel_matmul(self.xp, a, b)

    def derivative(self, grad, a, b):
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = unbroadcast(_matmul(grad, swap_last(b)), a.shape)
        if nb:
            if a.ndim > 2 and b.ndim == 2:
                # fold the batch into rows: one big GEMM instead of a batched one + sum
                k = a.shape[-1]
                gb = _matmul(swap_last(a.reshape(-1, k)), grad.reshape(-1, grad.shape[-1]))
            else:
                gb = unbroadcast(_matmul(swap_last(a), grad), b.shape)
        return ga, gb


def _matmul(a, b):
    """``a @ b`` as the MatMul op for Tensors, plain ``@`` for arrays."""
    if isinstance(a, Tensor):
        return MatMul.apply(a, b)
    from ..backend import get_array_module
    return parallel_matmul(get_array_module(a), a, b)


def _check_dtypes(op, a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got {a.dtype} "
                           f"and {b.dtype} (shapes {_shape_str(a._data.shape)} and {_shape_str(b._data.shape)})")
    if a._data.size and b._data.size:  # no bool matrix products in PyTorch's kernels (empty ones run none)
        not_implemented_for(op, a, "b")


@with_out(dtypes="exact")
def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics: 1-d operands are vectors, leading dims
    broadcast as batch dims."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument must be Tensor, not {type(other if isinstance(input, Tensor) else input).__name__}")
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise RuntimeError(f"matmul: shapes {_shape_str(a.shape)} and {_shape_str(b.shape)} cannot be multiplied "
                           f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
    _check_dtypes("matmul", input, other)
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(input, other)
    if a.ndim == 1:
        return MatMul.apply(input.unsqueeze(0), other).squeeze(-2)
    if b.ndim == 1:
        return MatMul.apply(input, other.unsqueeze(-1)).squeeze(-1)
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: batch dims of {_shape_str(a.shape)} and {_shape_str(b.shape)} "
                           "are not broadcastable") from None
    return MatMul.apply(input, other)


@with_out(dtypes="exact")
def mm(input, mat2):
    """(n, m) @ (m, p) -> (n, p)."""
    a, b = input._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {a.ndim}D and {b.ndim}D "
                           f"(shapes {_shape_str(a.shape)} and {_shape_str(b.shape)})")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    _check_dtypes("mm", input, mat2)
    return MatMul.apply(input, mat2)


@with_out(dtypes="exact")
def bmm(input, mat2):
    """(b, n, m) @ (b, m, p) -> (b, n, p)."""
    a, b = input._data, mat2._data
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got shapes {_shape_str(a.shape)} and {_shape_str(b.shape)}")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"bmm: shapes {_shape_str(a.shape)} and {_shape_str(b.shape)} cannot be multiplied")
    _check_dtypes("bmm", input, mat2)
    return MatMul.apply(input, mat2)


@with_out(dtypes="exact")
def mv(input, vec):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {_shape_str(input._data.shape)} "
                           f"and {_shape_str(vec._data.shape)}")
    return matmul(input, vec)


class Dot(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.asarray(a @ b)

    def backward(self, grad):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        return (grad * b if na else None, grad * a if nb else None)


@with_out(dtypes="exact")
def dot(input, other):
    """Inner product of two 1-d tensors."""
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                           "to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    _check_dtypes("dot", input, other)
    return Dot.apply(input, other)


vdot = dot


@with_out(dtypes="exact")
def outer(input, vec2):
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


@with_out(dtypes="exact")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    out = mm(mat1, mat2)
    if alpha != 1:
        out = out * alpha
    return out + (input * beta if beta != 1 else input) if beta != 0 else out


@with_out(dtypes="exact")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    out = bmm(batch1, batch2)
    if alpha != 1:
        out = out * alpha
    return out + (input * beta if beta != 1 else input) if beta != 0 else out


@with_out(dtypes="exact")
def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        ax_a = list(range(a._data.ndim - dims, a._data.ndim))
        ax_b = list(range(dims))
    else:
        ax_a, ax_b = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    letters = "abcdefghijklmnopqrstuvwxyz"
    sa = list(letters[:a._data.ndim])
    sb = list(letters[a._data.ndim:a._data.ndim + b._data.ndim])
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + [c for j, c in enumerate(sb) if j not in ax_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


class Einsum(Op):
    def forward(self, *xs):
        self.save_for_backward(*xs)
        self.shapes = [x.shape for x in xs]
        return self.xp.asarray(self.xp.einsum(self.eq, *xs, optimize=len(xs) > 2))

    def backward(self, grad):
        xs = self.saved_tensors
        ins, out = self.eq.split("->")
        terms = ins.split(",")
        grads = []
        for i, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            target = terms[i]
            # letters of the target present in the output or the other operands
            avail = set(out) | set("".join(others))
            kept = "".join(dict.fromkeys(c for c in target if c in avail))
            g = einsum(",".join([out] + others) + "->" + kept, grad, *[x for j, x in enumerate(xs) if j != i])
            if kept != target:
                # letters summed only in this operand (or repeated): broadcast back
                g = _einsum_expand(g, kept, target, self.shapes[i])
            grads.append(g)
        return tuple(grads)


def _einsum_expand(g, kept, target, shape):
    if len(set(target)) != len(target):
        raise NotImplementedError(f"einsum: gradient through repeated index in '{target}' is not supported")
    sizes = dict(zip(target, shape))
    perm_shape = [sizes[c] if c in kept else 1 for c in target]
    order = [kept.index(c) for c in target if c in kept]
    g = g.permute(order) if order != list(range(len(order))) else g
    return g.reshape(perm_shape).expand(tuple(shape))


def einsum(equation, *operands):
    """Einstein summation (``'ij,jk->ik'``); explicit and implicit output forms; '...' is
    expanded to letters. Repeated indices within one operand are not differentiable."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" not in eq:
        ins = eq.split(",")
        letters = "".join(ins).replace("...", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        eq = eq + "->" + ("..." if "..." in eq else "") + out
    if "..." in eq:
        eq = _expand_ellipsis(eq, operands)
    ins = eq.split("->")[0].split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum(): {len(ins)} operands in the equation but {len(operands)} tensors given")
    for term, op in zip(ins, operands):
        if len(term) != op._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match "
                               f"the number of dimensions ({op._data.ndim}) for operand with shape "
                               f"{_shape_str(op._data.shape)}")
    return Einsum.apply(*operands, eq=eq)


def _expand_ellipsis(eq, operands):
    ins, out = eq.split("->")
    terms = ins.split(",")
    used = set(eq) - set(".,->")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    nmax = 0
    new_terms = []
    for t, op in zip(terms, operands):
        if "..." in t:
            n = op._data.ndim - (len(t) - 3)
            nmax = max(nmax, n)
            new_terms.append(t.replace("...", "".join(free[nmax - n:nmax]) if n else ""))
        else:
            new_terms.append(t)
    # right-align broadcast letters
    fixed = []
    for t, op in zip(terms, operands):
        if "..." in t:
            n = op._data.ndim - (len(t) - 3)
            fixed.append(t.replace("...", "".join(free[nmax - n:nmax])))
        else:
            fixed.append(t)
    out = out.replace("...", "".join(free[:nmax]))
    return ",".join(fixed) + "->" + out
