"""Writing PyTorch's checkpoint format (the zip archive ``torch.save`` writes) without torch.

The object is pickled (protocol 2) by a pure-Python pickler that writes torch's global
names (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ...) as plain names
without importing them; each tensor's bytes become a ``data/<key>`` record, 64-byte
aligned like torch's own files (so ``torch.load(..., mmap=True)`` works). See
``_torch_format.py`` for the layout and the reader.
"""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

from ._torch_format import _STORAGE_DTYPES

__all__ = ["save_torch"]

_NAME_OF_DTYPE = {np.dtype(v): k for k, v in _STORAGE_DTYPES.items()
                  if k not in ("UntypedStorage", "BFloat16Storage")}


class _Ref:
    """A global written by name (``torch._utils._rebuild_tensor_v2``) without importing it."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is only a name written into a pickle")


_REFS = {}


def _ref(module, name):
    key = (module, name)
    if key not in _REFS:
        _REFS[key] = _Ref(module, name)
    return _REFS[key]


class _StorageRef:
    def __init__(self, key, storage_name, numel):
        self.key, self.storage_name, self.numel = key, storage_name, numel


class _TorchPickler(pickle._Pickler):
    """Pickles ember tensors as torch's rebuild calls on storages kept in ``self.storages``."""

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = []  # [(key, contiguous little-endian array)]

    def save(self, obj, save_persistent_id=True):
        from .dtypes import dtype
        if isinstance(obj, dtype):  # a bare global, as torch pickles torch.float32
            obj = _ref("torch", str(obj).replace("ember.", ""))
        if isinstance(obj, _Ref):
            memo = self.memo.get(id(obj))
            if memo is not None:
                self.write(self.get(memo[0]))
                return
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
            self.memoize(obj)
            return
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _ref("torch", obj.storage_name), obj.key, "cpu", obj.numel)
        return None

    def _storage(self, t):
        arr = t.detach().cpu().numpy()
        dt = np.dtype(arr.dtype).newbyteorder("=")
        if dt not in _NAME_OF_DTYPE:
            raise TypeError(f"ember.save: cannot write a tensor of dtype {arr.dtype} to a PyTorch file")
        arr = np.ascontiguousarray(arr, dtype=dt.newbyteorder("<"))
        key = str(len(self.storages))
        self.storages.append((key, arr))
        return _StorageRef(key, _NAME_OF_DTYPE[dt], arr.size)

    def reducer_override(self, obj):
        from .backend import device
        from .nn.parameter import Parameter
        from .tensor import Size, Tensor
        if isinstance(obj, Tensor):
            shape = tuple(obj.shape)
            stride, acc = [], 1
            for n in reversed(shape):
                stride.append(acc)
                acc *= n
            args = (self._storage(obj), 0, shape, tuple(reversed(stride)),
                    bool(obj.requires_grad) and not isinstance(obj, Parameter),
                    collections.OrderedDict())
            if isinstance(obj, Parameter):
                inner = (_ref("torch._utils", "_rebuild_tensor_v2"), args[:4] + (False, args[5]))
                return (_ref("torch._utils", "_rebuild_parameter"),
                        (_Reduced(inner), bool(obj.requires_grad), collections.OrderedDict()))
            return (_ref("torch._utils", "_rebuild_tensor_v2"), args)
        if isinstance(obj, _Reduced):
            return obj.rv
        if isinstance(obj, Size):
            return (_ref("torch", "Size"), (tuple(obj),))
        if isinstance(obj, device):
            return (_ref("torch", "device"), (str(obj),))
        return NotImplemented


class _Reduced:
    def __init__(self, rv):
        self.rv = rv


def _write_zip(out, archive, records):
    """Uncompressed zip of ``records`` [(name, bytes)], each record's data 64-byte aligned."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for rec, data in records:
            info = zipfile.ZipInfo(f"{archive}/{rec}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            start = out.tell() + 30 + len(info.filename.encode("utf-8")) + 4
            pad = (-start) % 64
            info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # "FB" padding, as torch
            zf.writestr(info, data)


def save_torch(obj, archive="archive"):
    """The bytes of ``obj`` in PyTorch's zip checkpoint format."""
    pkl = io.BytesIO()
    pickler = _TorchPickler(pkl)
    pickler.dump(obj)
    records = [("data.pkl", pkl.getvalue()), (".format_version", b"1"),
               (".storage_alignment", b"64"), ("byteorder", b"little")]
    records += [(f"data/{key}", arr.tobytes()) for key, arr in pickler.storages]
    records += [("version", b"3\n"), (".data/serialization_id", os.urandom(20).hex().encode()[:40])]
    out = io.BytesIO()
    _write_zip(out, archive, records)
    return out.getvalue()
