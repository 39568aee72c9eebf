"""``ember.func``: function transforms in PyTorch's ``torch.func`` style.

``grad(f)`` returns a function computing the gradient of ``f`` (nestable:
``grad(grad(f))``), ``grad_and_value``, ``vjp``, ``jacrev``, ``hessian`` and ``vmap``.
ember's ``vmap`` runs the function once per batch element in a Python loop and stacks
the results (same results as PyTorch's; not a vectorised trace).

Example:
    >>> from ember.func import grad, vmap
    >>> grad(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    >>> vmap(lambda x: x.dot(x))(ember.ones(4, 3))
    tensor([3., 3., 3., 3.])
"""
from .transforms import grad, grad_and_value, vjp, jacrev, hessian, vmap, functional_call

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "hessian", "vmap", "functional_call"]
