"""default_collate / default_convert: turn a list of samples into a batch.

Semantics follow ``torch.utils.data.default_collate``: tensors and NumPy arrays are
stacked into a new leading dimension, Python floats become a float64 tensor and
ints an int64 tensor (bools a bool tensor), strings stay a list, mappings and
sequences are collated field by field (a tuple gives a list, as in PyTorch; a
namedtuple keeps its type).
"""
import collections.abc
import numbers

import numpy as np

import ember

__all__ = ["default_collate", "default_convert"]

_BAD_NUMPY_KINDS = "OSUaV"  # object, string, unicode, void: not tensor material


def _type_error(elem):
    return TypeError("default_collate: batch must contain tensors, numpy arrays, "
                     f"numbers, dicts or lists; found {type(elem).__name__}")


def _stack_arrays(arrays, what):
    try:
        return np.stack(arrays)
    except ValueError:
        shapes = [a.shape for a in arrays]
        first = shapes[0]
        j = next(i for i, s in enumerate(shapes) if s != first)
        raise RuntimeError(f"default_collate: stack expects each {what} to be equal size, "
                           f"but got {tuple(first)} at entry 0 and {tuple(shapes[j])} at "
                           f"entry {j}") from None


def _collate_tensors(batch):
    Tensor = ember.Tensor
    if any(t.requires_grad for t in batch) or \
            not all(isinstance(t._data, np.ndarray) for t in batch):
        return ember.stack(list(batch), 0)
    return Tensor._wrap(_stack_arrays([t._data for t in batch], "tensor"))


def default_collate(batch):
    """Collate a list of samples into a batch.

    Args:
        batch (list): samples of the same structure.

    Returns:
        the batch: a Tensor with a new leading dimension of size ``len(batch)`` for
        tensors, arrays and numbers; a list for strings; the same container for
        dicts, lists and namedtuples (a list for plain tuples).

    Example:
        >>> default_collate([(ember.zeros(2), 1), (ember.ones(2), 0)])
        [tensor([[0., 0.],
                [1., 1.]]), tensor([1, 0])]
    """
    elem = batch[0]
    Tensor = ember.Tensor
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _BAD_NUMPY_KINDS:
            raise TypeError("default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found numpy array of dtype "
                            f"{elem.dtype}")
        return Tensor._wrap(_stack_arrays([np.asarray(b) for b in batch], "array"))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in _BAD_NUMPY_KINDS:
            raise _type_error(elem)
        return Tensor._wrap(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out) if type(elem) is not dict else out
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be "
                               "of equal size")
        cols = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple) or type(elem) is list:
            return cols
        try:
            return type(elem)(cols)
        except TypeError:
            return cols
    raise _type_error(elem)


def default_convert(data):
    """Convert NumPy arrays (recursively inside lists, tuples and dicts) to Tensors,
    leaving everything else as is; the DataLoader's collate when ``batch_size=None``.

    Example:
        >>> default_convert({"x": np.zeros(2)})["x"]
        tensor([0., 0.], dtype=ember.float64)
    """
    if isinstance(data, ember.Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in _BAD_NUMPY_KINDS:
            return data
        return ember.Tensor._wrap(data)
    if isinstance(data, np.generic):
        if data.dtype.kind in _BAD_NUMPY_KINDS:
            return data
        return ember.Tensor._wrap(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out) if type(data) is not dict else out
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        out = [default_convert(d) for d in data]
        try:
            return type(data)(out) if type(data) is not list else out
        except TypeError:
            return out
    return data
