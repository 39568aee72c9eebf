"""``ember.autograd.graph``: the backward graph's node type, as in ``torch.autograd.graph``.

Every ``grad_fn`` is a :class:`Node` (ember's internal ``Op``): ``name()``,
``next_functions`` (``(node, input_nr)`` pairs), ``register_hook``,
``register_prehook`` and ``metadata``.
"""
from .op import Op as Node

__all__ = ["Node"]
