"""PyTorch's legacy checkpoint format (``torch.save`` before 1.6, or with
``_use_new_zipfile_serialization=False``): read-only, with the same restricted unpickler.

The file is a sequence of pickles: a magic number, a protocol version (1001), a dict of
system information, the object itself -- whose storages are persistent ids
``('storage', type, key, location, numel, view_metadata)`` -- and the list of storage
keys in the order their bytes follow; then, per storage, its element count (8 bytes,
little-endian) and its raw bytes. Tensors are rebuilt while the object is unpickled,
before the bytes are read, so each gets an empty array that is filled in place once
its storage has been read. Legacy files load on the CPU.
"""
import io
import pickle

import numpy as np

from . import _torch_format as TF

__all__ = ["is_legacy_torch", "load_legacy"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def is_legacy_torch(buf):
    """A legacy torch.save file starts with the pickled magic number."""
    if not (len(buf) > 2 and buf[0] == 0x80 and buf[1] in (2, 3, 4, 5)):
        return False
    try:
        return _Plain(io.BytesIO(bytes(buf[:64]))).load() == MAGIC_NUMBER
    except Exception:  # noqa: BLE001 - any other pickle is simply not this format
        return False


class _Plain(pickle.Unpickler):
    """For the header pickles: numbers, strings, dicts only."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in a checkpoint header")


class _PendingStorage:
    def __init__(self, dtype, numel):
        self.dtype, self.numel, self.pending, self.location = dtype, numel, [], "cpu"
        self.views = []  # (offset, view storage) sharing this storage's bytes


class _LegacyUnpickler(TF._WeightsUnpickler):
    def __init__(self, file, restricted):
        super().__init__(file, None, "", restricted=restricted)
        self.storages = {}

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}; the file is corrupt "
                                         "or not a tensor checkpoint")
        _, stype, key, location, numel, view = pid
        dtype = TF.storage_dtype(stype)
        if dtype == "bfloat16":
            raise pickle.UnpicklingError("bfloat16 storages in legacy files are not supported")
        root = self.storages.setdefault(key, _PendingStorage(dtype, numel))
        if view is None:
            return root
        view_key, offset, view_size = view
        sub = self.storages.setdefault(view_key, _PendingStorage(dtype, view_size))
        root.views.append((offset, sub))
        return sub


def load_legacy(buf, name, weights_only=True):
    """The object in a legacy torch.save file (bytes ``buf``; ``name`` for messages)."""
    from .serialization import SerializationError
    f = io.BytesIO(bytes(buf))
    try:
        if _Plain(f).load() != MAGIC_NUMBER:
            raise SerializationError(f"{name}: not a PyTorch checkpoint (bad magic number)")
        if _Plain(f).load() != PROTOCOL_VERSION:
            raise SerializationError(f"{name}: unsupported legacy PyTorch protocol version")
        info = _Plain(f).load()
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise SerializationError(f"{name}: big-endian checkpoints are not supported")
        unpickler = _LegacyUnpickler(f, restricted=weights_only)
        obj = TF._unpickle(unpickler, name, weights_only)
        keys = _Plain(f).load()
        for key in keys:
            st = unpickler.storages.get(key)
            if st is None:
                raise SerializationError(f"{name}: storage {key} is not referenced; the file is corrupt")
            numel = int.from_bytes(f.read(8), "little")
            raw = f.read(numel * np.dtype(st.dtype).itemsize)
            if len(raw) != numel * np.dtype(st.dtype).itemsize:
                raise SerializationError(f"{name}: truncated: storage {key} is cut short")
            _fill(st, np.frombuffer(raw, st.dtype))
    except (EOFError, pickle.UnpicklingError, ValueError) as e:
        if isinstance(e, pickle.UnpicklingError) and "Weights only load failed" in str(e):
            raise
        raise SerializationError(f"{name}: a legacy PyTorch checkpoint that cannot be read ({e})") \
            from None
    return obj


def _fill(storage, arr):
    for dest, offset, stride in storage.pending:
        if dest.size:
            need = offset + 1 + sum((n - 1) * s for n, s in zip(dest.shape, stride) if n)
            if need > arr.size:
                raise pickle.UnpicklingError(f"a tensor of size {dest.shape} does not fit its storage "
                                             f"of {arr.size} elements; the file is corrupt")
            dest[...] = np.lib.stride_tricks.as_strided(arr[offset:], dest.shape,
                                                        [s * arr.itemsize for s in stride])
    for offset, view in storage.views:
        _fill(view, arr[offset:offset + view.numel])
