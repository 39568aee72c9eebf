"""Flatten parameters into one vector and back."""

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(tensors):
    devs = {str(t.device) for t in tensors}
    if len(devs) > 1:
        raise TypeError(f"Found parameters on different devices: {sorted(devs)}")


def parameters_to_vector(parameters):
    """Concatenate the flattened parameters into one 1-D tensor (differentiable).

    Example:
        >>> v = ember.nn.utils.parameters_to_vector(ember.nn.Linear(3, 2).parameters())
        >>> v.shape
        ember.Size([8])
    """
    from ... import cat

    params = list(parameters)
    _check_same_device(params)
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy slices of the 1-D ``vec`` into ``parameters`` in order (in place, not
    recorded by autograd)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vector of shape {tuple(vec.shape)} does not "
                           f"match the {total} elements of the parameters")
    src = vec._data
    pointer = 0
    for p in params:
        n = p.numel()
        p._data[...] = src[pointer:pointer + n].reshape(p._data.shape).astype(
            p._data.dtype, copy=False)
        p._bump_version()
        pointer += n
