"""``ember.summary(model, input_size)``: a Keras/torchsummary-style table of a model's
layers, their output shapes and parameter counts (ember's own; PyTorch has none built
in, the layout follows the popular ``torchsummary`` package)."""
from collections import namedtuple

__all__ = ["summary", "ModelSummary"]

LayerInfo = namedtuple("LayerInfo", ["name", "type", "output_shape", "num_params",
                                     "trainable"])


class ModelSummary:
    """What :func:`summary` returns: ``text`` (the table), ``layers`` (a list of
    ``LayerInfo(name, type, output_shape, num_params, trainable)``), ``total_params``,
    ``trainable_params``, ``non_trainable_params``. ``str()`` gives the table."""

    def __init__(self, text, layers, total_params, trainable_params):
        self.text = text
        self.layers = layers
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params

    def __str__(self):
        return self.text

    def __repr__(self):
        return (f"ModelSummary(layers={len(self.layers)}, total_params={self.total_params}, "
                f"trainable_params={self.trainable_params})")


def _shape_of(out, batch_size):
    from .tensor import Tensor

    if isinstance(out, Tensor):
        shape = list(out.shape)
        if shape:
            shape[0] = batch_size
        return shape
    if isinstance(out, (tuple, list)):
        return [_shape_of(o, batch_size) for o in out]
    if isinstance(out, dict):
        return {k: _shape_of(v, batch_size) for k, v in out.items()}
    return None


def _make_inputs(input_size, dtypes, device):
    from . import dtypes as _dt
    from .creation import rand, zeros

    if isinstance(input_size, tuple) and all(isinstance(s, int) for s in input_size):
        sizes = [input_size]
    elif isinstance(input_size, list) and input_size and all(
            isinstance(s, int) for s in input_size):
        sizes = [tuple(input_size)]
    else:
        sizes = [tuple(s) for s in input_size]
    if dtypes is None:
        dtypes = [_dt.float32] * len(sizes)
    elif not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary: got {len(sizes)} input sizes but {len(dtypes)} dtypes")
    inputs = []
    for size, dt in zip(sizes, dtypes):
        shape = (2,) + tuple(size)  # batch of 2, so BatchNorm-style layers work
        if dt.is_floating_point:
            inputs.append(rand(*shape, dtype=dt, device=device))
        else:
            inputs.append(zeros(*shape, dtype=dt, device=device))
    return sizes, dtypes, inputs


def summary(model, input_size, batch_size=-1, device=None, dtypes=None, print_summary=True):
    """Print (and return) a table of ``model``'s layers, output shapes and parameters.

    The model runs once on random inputs (batch of 2, in eval mode, without autograd;
    training flags are restored afterwards) with forward hooks recording each layer.

    Args:
        model (Module): the model.
        input_size (tuple or list of tuples): shape of one input sample WITHOUT the batch
            dimension, e.g. ``(1, 28, 28)``; a list of tuples for several inputs.
        batch_size (int): the batch size shown in output shapes. Default: -1.
        device: where to create the inputs (default: the CPU).
        dtypes (dtype or list of dtypes): input dtypes (default float32; integer inputs
            are zeros, e.g. for an Embedding).
        print_summary (bool): print the table. Default: True.

    Returns:
        ModelSummary: ``.text``, ``.layers``, ``.total_params``, ``.trainable_params``.

    Example:
        >>> net = ember.nn.Sequential(ember.nn.Flatten(), ember.nn.Linear(784, 10))
        >>> s = ember.summary(net, (1, 28, 28))    # prints the table
        >>> s.total_params
        7850
    """
    from .autograd.grad_mode import no_grad
    from .nn.modules.container import ModuleDict, ModuleList, Sequential
    from .nn.modules.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an ember.nn.Module, got {type(model).__name__}")
    sizes, dtypes, inputs = _make_inputs(input_size, dtypes, device)

    records = []
    counters = {}
    handles = []

    def hook(module, args, output):
        name = type(module).__name__
        counters[name] = counters.get(name, 0) + 1
        own = list(module.parameters(recurse=False))
        n = sum(p.numel() for p in own)
        trainable = any(p.requires_grad for p in own)
        records.append(LayerInfo(f"{name}-{counters[name]}", name,
                                 _shape_of(output, batch_size), n, trainable))

    for m in model.modules():
        if m is model and any(True for _ in model.children()):
            continue
        if isinstance(m, (Sequential, ModuleList, ModuleDict)):
            continue
        handles.append(m.register_forward_hook(hook))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.__dict__["training"] = mode

    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    buffers_bytes = sum(b.numel() * b.element_size() for b in model.buffers())
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    in_bytes = sum(abs(batch_size) * _numel(s) * d.itemsize for s, d in zip(sizes, dtypes))
    act_elems = sum(_numel_shape(r.output_shape, abs(batch_size)) for r in records)
    mb = 1024.0 ** 2

    width = 64
    lines = ["-" * width,
             "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"),
             "=" * width]
    for r in records:
        lines.append("{:>20}  {:>25} {:>15}".format(r.name, str(r.output_shape),
                                                     f"{r.num_params:,}"))
    lines += ["=" * width,
              f"Total params: {total:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}",
              "-" * width,
              f"Input size (MB): {in_bytes / mb:.2f}",
              f"Forward/backward pass size (MB): {2 * act_elems * 4 / mb:.2f}",
              f"Params size (MB): {(param_bytes + buffers_bytes) / mb:.2f}",
              f"Estimated Total Size (MB): "
              f"{(in_bytes + 2 * act_elems * 4 + param_bytes + buffers_bytes) / mb:.2f}",
              "-" * width]
    text = "\n".join(lines)
    if print_summary:
        print(text)
    return ModelSummary(text, records, total, trainable)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _numel_shape(shape, batch):
    if shape is None:
        return 0
    if isinstance(shape, dict):
        return sum(_numel_shape(v, batch) for v in shape.values())
    if shape and isinstance(shape[0], (list, dict)):
        return sum(_numel_shape(s, batch) for s in shape)
    if not shape:
        return 1
    return batch * _numel(shape[1:])


class _CallableModule(__import__("types").ModuleType):
    """Importing ``ember.summary`` (the module) binds it as the attribute
    ``ember.summary``, shadowing the function; making the module callable keeps
    ``ember.summary(model, input_size)`` working either way."""

    def __call__(self, *args, **kwargs):
        return summary(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
