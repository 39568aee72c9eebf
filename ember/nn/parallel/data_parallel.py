"""``DataParallel`` on one device: the module runs as it is (PyTorch's API and state-dict keys)."""
from ..modules import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps ``module`` as PyTorch's ``nn.DataParallel`` does, running it on its one device.

    PyTorch splits each batch over several GPUs and gathers the outputs; ember runs in
    one process on one device, so the forward is simply ``module(*inputs, **kwargs)``
    -- the same result PyTorch's DataParallel gives on one device. The wrapped module
    is ``self.module``, so ``state_dict()`` keys carry the ``module.`` prefix PyTorch's
    checkpoints of DataParallel models have, and such checkpoints load unchanged.
    For multi-process data parallelism use ``DistributedDataParallel``.

    Args:
        module (Module): the module to wrap.
        device_ids (list, optional): accepted for compatibility; only one device is used.
        output_device, dim: accepted for compatibility.

    Example:
        >>> model = nn.DataParallel(Net())
        >>> out = model(x)                     # == model.module(x)
        >>> torch.save(model.module.state_dict(), "net.pt")
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module to wrap, got "
                            f"{type(module).__name__}")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else [0]
        self.output_device = output_device if output_device is not None else self.device_ids[0]
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Functional form of ``DataParallel``: ``module(*inputs, **module_kwargs)`` on one device."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    return module(*inputs, **(module_kwargs or {}))
