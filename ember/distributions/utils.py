"""Helpers shared by the distributions: parameter broadcasting, probs <-> logits."""
import numbers

import numpy as np

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "as_tensor_param", "eps_of"]


def eps_of(t):
    return float(np.finfo(t._data.dtype).eps)


def as_tensor_param(v, like=None):
    """A parameter as a Tensor (numbers take ``like``'s dtype, or the default float dtype)."""
    import ember
    from ..tensor import Tensor
    if isinstance(v, Tensor):
        return v
    if isinstance(v, numbers.Number):
        dt = like.dtype if like is not None else ember.get_default_dtype()
        return ember.tensor(float(v), dtype=dt)
    return ember.as_tensor(v, dtype=ember.get_default_dtype() if np.asarray(v).dtype.kind == "f"
                           else None)


def broadcast_all(*values):
    """Tensors (numbers become tensors of the first tensor's dtype) broadcast to one shape."""
    import ember
    from ..tensor import Tensor
    like = next((v for v in values if isinstance(v, Tensor)), None)
    if like is None and not all(isinstance(v, numbers.Number) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "ember.Tensor or objects implementing __torch_function__.")
    ts = [as_tensor_param(v, like) for v in values]
    return tuple(ember.broadcast_tensors(*ts))


def clamp_probs(probs):
    eps = eps_of(probs)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    import ember
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    import ember
    ps = clamp_probs(probs)
    if is_binary:
        return ember.log(ps) - ember.log1p(-ps)
    return ember.log(ps)


class lazy_property:
    """Computed on first access, then stored on the instance (PyTorch's ``lazy_property``)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.name = fn.__name__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value
