"""Helpers of ``torch.nn.modules.utils`` that user code imports."""

__all__ = ["consume_prefix_in_state_dict_if_present"]


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys of ``state_dict`` that have it, in place.

    Used to load a checkpoint saved from a ``DistributedDataParallel``/``DataParallel``
    model (keys ``module.…``) into the plain model.

    Example:
        >>> sd = ddp.state_dict()                     # keys "module.0.weight", ...
        >>> consume_prefix_in_state_dict_if_present(sd, "module.")
        >>> model.load_state_dict(sd)
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    meta = getattr(state_dict, "_metadata", None)
    if meta is not None:
        for key in list(meta.keys()):
            if key == prefix.rstrip(".") or key.startswith(prefix):
                new = "" if key == prefix.rstrip(".") else key[len(prefix):]
                meta[new] = meta.pop(key)
