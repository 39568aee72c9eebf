"""PyTorch's checkpoint format (``.pt`` / ``.pth``), read and written without torch.

What ``torch.save`` writes (PyTorch >= 1.6) is an uncompressed zip archive::

    <name>/data.pkl                 the object, pickled (protocol 2); every tensor is a
                                    call of torch._utils._rebuild_tensor_v2 on a storage
                                    given by "persistent id" ('storage', type, key, location, n)
    <name>/data/<key>               each storage's raw little-endian bytes (64-byte aligned)
    <name>/byteorder, version, .format_version, .storage_alignment, .data/serialization_id

Reading goes through a restricted unpickler (PyTorch's ``weights_only=True``): the only
globals it resolves are the tensor/parameter rebuild functions, storage types, dtypes,
``torch.Size``, ``torch.device``, ``OrderedDict`` and plain containers -- each mapped to
ember's own -- plus whatever the user allow-lists with ``add_safe_globals``. Anything
else (a class, ``os.system``, ...) is refused with PyTorch's message before it is called.
``weights_only=False`` unpickles everything (only for files you trust) and is what a
whole pickled ``nn.Module`` needs.

Writing (``_torch_save.py``) produces the same layout with the same global names, so
``torch.load(f, weights_only=True)`` reads ember's files.
"""
import collections
import contextlib
import io
import pickle
import struct
import warnings
import zipfile

import numpy as np

__all__ = ["is_torch_zip", "load_torch", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "UNSAFE_MESSAGE"]

# PyTorch's own wording (torch/serialization.py), so users recognise the advice
UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
    "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source.")

EMBER_UNSAFE_MESSAGE = (
    "ember.load defaults to `weights_only=True`, as torch.load does since PyTorch 2.6. Re-running "
    "`ember.load` with `weights_only` set to `False` will likely succeed, but it can result in "
    "arbitrary code execution. Do it only if you got the file from a trusted source.")

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "BFloat16Storage": "bfloat16", "UntypedStorage": np.uint8,
}
_TORCH_DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
                 "float16": "float16", "half": "float16", "int64": "int64", "long": "int64",
                 "int32": "int32", "int": "int32", "int16": "int16", "short": "int16",
                 "int8": "int8", "uint8": "uint8", "bool": "bool"}


# ----------------------------------------------------------------------------- allow-list
_USER_SAFE = []   # add_safe_globals: callables or (callable, "module.name")


def add_safe_globals(safe_globals):
    """Allow these classes/functions in ``weights_only=True`` loads (PyTorch's
    ``torch.serialization.add_safe_globals``). Entries: an object, or ``(object, "module.name")``."""
    _USER_SAFE.extend(safe_globals)


def get_safe_globals():
    return list(_USER_SAFE)


def clear_safe_globals():
    del _USER_SAFE[:]


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow-list ``safe_globals`` inside a ``with`` block only."""
    n = len(_USER_SAFE)
    _USER_SAFE.extend(safe_globals)
    try:
        yield
    finally:
        del _USER_SAFE[n:]


def _user_lookup(full):
    for entry in _USER_SAFE:
        obj, name = entry if isinstance(entry, tuple) else (entry, None)
        if name is None:
            name = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}"
        if name == full:
            return obj
    return None


class _StorageType:
    """Stands for ``torch.FloatStorage`` etc. in a loaded pickle."""

    def __init__(self, name):
        self.name = name


class _Storage:
    def __init__(self, array, location):
        self.array, self.location = array, location


def storage_dtype(stype):
    """The NumPy dtype of a storage type from a pickle (``torch.FloatStorage`` -> float32)."""
    name = stype.name if isinstance(stype, _StorageType) else getattr(stype, "__name__", str(stype))
    if name not in _STORAGE_DTYPES:
        raise pickle.UnpicklingError(f"storage type {name} is not supported by ember "
                                     f"(supported: {', '.join(sorted(_STORAGE_DTYPES))})")
    return _STORAGE_DTYPES[name]


def array_of(raw, dt):
    """A storage's bytes as a flat array (bfloat16, which NumPy lacks, widened to float32)."""
    if dt == "bfloat16":
        return (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, dt)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, False, None)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    from .tensor import Tensor
    size, stride = tuple(size), tuple(stride)
    if getattr(storage, "pending", None) is not None:  # legacy file: the bytes come later
        dest = np.empty(size, dtype=storage.dtype)
        storage.pending.append((dest, storage_offset, stride))
        t = Tensor._wrap(dest)
        return t.requires_grad_(True) if requires_grad else t
    arr = storage.array
    if arr.size and size:
        need = storage_offset + 1 + sum((n - 1) * s for n, s in zip(size, stride) if n)
        if need > arr.size or min(size) < 0 or min(stride) < 0:
            raise pickle.UnpicklingError(f"a tensor of size {size}, stride {stride} at offset "
                                         f"{storage_offset} does not fit its storage of {arr.size} "
                                         "elements; the file is corrupt")
    base = arr[storage_offset:] if arr.size else arr
    out = np.lib.stride_tricks.as_strided(base, size, [s * arr.itemsize for s in stride]) \
        if np.prod(size, dtype=np.int64) else np.empty(size, arr.dtype)
    t = _map_location(Tensor._wrap(np.array(out, copy=True, order="C")), storage.location)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    for k, v in (state or {}).items():
        setattr(p, k, v)
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    from .nn.parameter import Parameter
    t = func(*args)
    if new_type is Parameter and not isinstance(t, Parameter):
        t = _rebuild_parameter(t, t.requires_grad, None)
    return t


def _encode(text, encoding="latin1"):  # _codecs.encode, used by protocol-2 pickles for bytes
    return text.encode(encoding)


def _allowed():
    import ember
    from .nn.parameter import Parameter
    table = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.Tensor": ember.Tensor,
        "torch.Size": ember.Size,
        "torch.device": ember.device,
        "_codecs.encode": _encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.frozenset": frozenset,
        "builtins.complex": complex,
        "torch.storage.UntypedStorage": _StorageType("UntypedStorage"),
    }
    for name in _STORAGE_DTYPES:
        table["torch." + name] = _StorageType(name)
    for name, ours in _TORCH_DTYPES.items():
        table["torch." + name] = getattr(ember, ours)
    return table


class _WeightsUnpickler(pickle.Unpickler):
    """Resolves only the allow-listed globals (PyTorch's ``weights_only=True``)."""

    def __init__(self, file, records, prefix, restricted=True):
        super().__init__(file)
        self.records, self.prefix, self.restricted = records, prefix, restricted
        self.table = _allowed()

    def find_class(self, module, name):
        # protocol-2 pickles name Python 2 modules (__builtin__.set): use Python 3's names
        from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
        module, name = NAME_MAPPING.get((module, name), (IMPORT_MAPPING.get(module, module), name))
        full = f"{module}.{name}"
        if full in self.table:
            return self.table[full]
        user = _user_lookup(full)
        if user is not None:
            return user
        if not self.restricted:
            if module.startswith("torch"):
                raise pickle.UnpicklingError(
                    f"{full}: this file holds a PyTorch object that ember cannot rebuild (only "
                    "tensors, parameters, storages, sizes, devices and dtypes have ember "
                    "equivalents); load the state_dict instead")
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{name}])` or the "
            f"`ember.serialization.safe_globals([{name}])` context manager to allowlist this "
            "global if you trust this class/function.")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}; the file is corrupt "
                                         "or not a tensor checkpoint")
        _, stype, key, location, numel = pid
        dt = storage_dtype(stype)
        return _Storage(array_of(self.records(f"{self.prefix}data/{key}"), dt), str(location))


def is_torch_zip(buf):
    return bytes(buf[:4]) == b"PK\x03\x04"


_LOADING = {"map_location": None}  # the map_location of the load in progress


def _map_location(t, saved):
    """``t`` (loaded on the CPU) moved where ``map_location`` sends storage location ``saved``."""
    from .tensor import Tensor
    map_location = _LOADING["map_location"]
    if map_location is None:
        target = saved
    elif isinstance(map_location, dict):
        target = map_location.get(saved, saved)
    elif callable(map_location) and not isinstance(map_location, str):
        target = map_location(t, saved)
        if isinstance(target, Tensor):
            return target
    else:
        target = map_location
    target = str(target)
    if target.startswith("cuda"):
        from .backend import is_cuda_available
        if not is_cuda_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "ember.cuda.is_available() is False. If you are running on a "
                               "CPU-only machine, please use ember.load with "
                               "map_location=ember.device('cpu') to map your storages to the CPU.")
        return t.to(target)
    return t


def load_torch(buf, name, map_location=None, weights_only=True):
    """The object in a PyTorch zip checkpoint (bytes ``buf``; ``name`` for messages)."""
    from .serialization import SerializationError
    try:
        zf = zipfile.ZipFile(io.BytesIO(buf))
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise SerializationError(f"{name}: not a readable PyTorch checkpoint (zip archive: {e}); "
                                 "the file is truncated or corrupt") from None
    pkl = next((n for n in names if n.endswith("data.pkl") and n.count("/") <= 1), None)
    if pkl is None:
        raise SerializationError(f"{name}: a zip archive but not a PyTorch checkpoint (no data.pkl); "
                                 "was it written by torch.jit.save? ember reads torch.save files")
    prefix = pkl[:-len("data.pkl")]
    order = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in names else "little"
    if order != "little":
        raise SerializationError(f"{name}: big-endian checkpoints are not supported")

    def records(rec):
        try:
            return zf.read(rec)
        except KeyError:
            raise pickle.UnpicklingError(f"missing record {rec}; the file is corrupt") from None
    unpickler = _WeightsUnpickler(io.BytesIO(zf.read(pkl)), records, prefix,
                                  restricted=weights_only)
    return _unpickle(unpickler, name, weights_only, map_location)


def _unpickle(unpickler, name, weights_only, map_location=None):
    """Run ``unpickler`` with PyTorch's messages for refused globals and corrupt data."""
    from .serialization import SerializationError
    if not weights_only:
        warnings.warn("ember.load with weights_only=False unpickles arbitrary objects: it can "
                      "result in arbitrary code execution. Do it only if you got the file from a "
                      "trusted source.", UserWarning, stacklevel=4)
    previous = _LOADING["map_location"]
    _LOADING["map_location"] = map_location
    try:
        return unpickler.load()
    except pickle.UnpicklingError as e:
        if weights_only and "Unsupported global" in str(e):
            raise pickle.UnpicklingError(
                f"Weights only load failed. This file ({name}) can still be loaded, to do so you "
                f"have two options, do those steps only if you trust the source of the checkpoint. "
                f"\n\t(1) {EMBER_UNSAFE_MESSAGE}\n\t(2) Alternatively, to "
                "load with `weights_only=True` please check the recommended steps in the "
                f"following error message.\n\tWeightsUnpickler error: {e}") from None
        raise pickle.UnpicklingError(f"{name}: {e}") from None
    except (EOFError, struct.error, ValueError, TypeError, AttributeError) as e:
        if not weights_only and not isinstance(e, (EOFError, struct.error)):
            raise
        raise SerializationError(f"{name}: the pickled object is corrupt ({type(e).__name__}: {e})") \
            from None
    finally:
        _LOADING["map_location"] = previous
