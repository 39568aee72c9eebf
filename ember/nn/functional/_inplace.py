"""The ``inplace=True`` option of activations and dropout."""
__all__ = []


def finish_inplace(input, result, inplace):
    """Return ``result``; with ``inplace`` also write it into ``input`` and return
    ``input`` when that is allowed.

    ember records no in-place history rewriting, so when autograd is recording through
    ``input`` the out-of-place result is returned and ``input`` is left unchanged (the
    returned value is the same as PyTorch's; only the memory saving is lost).
    """
    if not inplace or result is input:
        return result
    from ...autograd.grad_mode import STATE

    if STATE.enabled and (input.requires_grad or result.requires_grad):
        return result
    input._data[...] = result._data
    input._bump_version()
    return input
