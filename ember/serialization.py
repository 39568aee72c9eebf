"""``ember.save`` / ``ember.load``: objects of tensors in the safetensors format, or in
PyTorch's ``.pt`` format (``_torch_format.py``) for ``.pt``/``.pth`` names and torch files.

File layout (a valid `safetensors <https://huggingface.co/docs/safetensors>`_ file, so
any safetensors reader opens the tensors)::

    8 bytes   little-endian u64: N, the length of the JSON header
    N bytes   JSON header: {"__metadata__": {...}, "<key>": {"dtype": "F32",
              "shape": [...], "data_offsets": [begin, end]}, ...}, space-padded
    rest      the tensors' bytes, little-endian, row-major

The ``__metadata__`` of an ember file holds ``format: "ember"``, ``format_version``,
``structure`` (the saved object as JSON: dicts, lists, tuples, numbers, strings,
``None``, bools, with each tensor replaced by a reference to its key) and ``sha256``, a
SHA-256 of the structure, the tensor table and the tensor bytes, checked on load.
Files are written atomically (temporary file in the same folder, ``fsync``,
``os.replace``), so an interrupted save never leaves a half-written file.

The tensors are written and read by the ``safetensors`` package (``pip install
'ember[train]'``); ember adds the structure and the checksum in the metadata. A plain
safetensors file (no ember metadata) loads as a ``dict`` of tensors.
"""
import collections
import hashlib
import json
import math
import os
import struct
import tempfile

import numpy as np

__all__ = ["save", "load", "SerializationError", "FORMAT_VERSION", "add_safe_globals",
           "get_safe_globals", "clear_safe_globals", "safe_globals"]

FORMAT_VERSION = 1
_MAGIC = "ember"
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header

from ._torch_format import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals  # noqa: E402,F401

_CODES = {np.dtype(t) for t in (np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32,
                                 np.uint64, np.int64, np.float16, np.float32, np.float64)}


def _safetensors():
    try:
        import safetensors.numpy
        return safetensors.numpy
    except ImportError:
        raise ImportError("ember.save/ember.load need the safetensors package: "
                          "pip install 'ember[train]' (or pip install safetensors)") from None


class SerializationError(RuntimeError):
    """A file could not be loaded: not a safetensors file, truncated, or corrupt.

    The message names the file, what is wrong and what to do about it.
    """


# ----------------------------------------------------------------------------- saving
class _Encoder:
    """Turns an object into JSON-able structure + a table of named arrays."""

    def __init__(self):
        self.arrays = {}      # key -> contiguous little-endian numpy array
        self.by_id = {}       # id(tensor) -> key (a tensor saved twice is stored once)
        self.keep = []        # keep tensors alive so ids stay unique while encoding
        self.active = set()   # ids of the containers on the current path (cycle check)

    def _key(self, path):
        base = ".".join(path) or "tensor"
        key, n = base, 1
        while key in self.arrays or key == "__metadata__":
            key, n = f"{base}#{n}", n + 1
        return key

    def _array(self, arr, path, what):
        arr = np.asarray(arr)
        if arr.dtype.newbyteorder("=") not in _CODES:
            raise TypeError(f"ember.save: cannot save {what} of dtype {arr.dtype} at "
                            f"{_where(path)}; supported dtypes: bool, (u)int8/16/32/64, "
                            "float16/32/64")
        key = self._key(path)
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        self.arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        return key

    def encode(self, obj, path=()):
        from .tensor import Tensor
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"$type": "float", "value": repr(obj)}  # inf, -inf, nan
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if isinstance(obj, np.ndarray):
            return {"$type": "ndarray", "key": self._array(obj, path, "array")}
        if isinstance(obj, np.generic):
            return {"$type": "npscalar", "key": self._array(np.asarray(obj), path, "scalar")}
        if isinstance(obj, complex):
            return {"$type": "complex", "real": self.encode(obj.real),
                    "imag": self.encode(obj.imag)}
        if isinstance(obj, (bytes, bytearray)):
            return {"$type": "bytes", "hex": bytes(obj).hex()}
        special = _encode_special(obj)
        if special is not None:
            return special
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self.active:
                raise ValueError(f"ember.save: the object contains itself at {_where(path)}; "
                                 "cyclic structures cannot be saved")
            self.active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self.active.discard(id(obj))
        raise TypeError(f"ember.save: cannot save an object of type {type(obj).__name__} at "
                        f"{_where(path)}; ember.save stores tensors, NumPy arrays, numbers, "
                        "strings, bools, None and dicts/lists/tuples of them (it never "
                        "pickles): save its state_dict() instead, or use a .pt file name "
                        "(PyTorch's pickle-based format)")

    def _container(self, obj, path):
        if isinstance(obj, dict):
            items = [[self.encode(k, path + ("<key>",)), self.encode(v, path + (str(k),))]
                     for k, v in obj.items()]
            kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
            return {"$type": kind, "items": items}
        vals = [self.encode(v, path + (str(i),)) for i, v in enumerate(obj)]
        if isinstance(obj, list):
            return vals
        from .tensor import Size
        if isinstance(obj, Size):
            return {"$type": "size", "items": vals}
        return {"$type": "tuple", "items": vals}

    def _tensor(self, t, path):
        key = self.by_id.get(id(t))
        if key is None:
            arr = t._data
            if hasattr(arr, "get"):  # a CuPy array: bring it to the host
                arr = arr.get()
            key = self._array(arr, path, "tensor")
            self.by_id[id(t)] = key
            self.keep.append(t)
        node = {"$type": "tensor", "key": key, "device": str(t.device)}
        if t.requires_grad:
            node["requires_grad"] = True
        from .nn.parameter import Parameter
        if isinstance(t, Parameter):
            node["parameter"] = True
        return node


def _encode_special(obj):
    from . import dtypes
    from .backend import device
    if isinstance(obj, dtypes.dtype):
        return {"$type": "dtype", "name": str(obj).replace("ember.", "")}
    if isinstance(obj, device):
        return {"$type": "device", "name": str(obj)}
    return None


def _where(path):
    return "obj" + "".join(f"[{p!r}]" for p in path) if path else "the top level"


def _digest(structure, arrays):
    """SHA-256 of the structure JSON and every tensor's key, dtype, shape and bytes."""
    h = hashlib.sha256()
    h.update(structure.encode())
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(b"\0" + key.encode() + b"\0" + a.dtype.str.encode() + repr(a.shape).encode())
        h.update(memoryview(a).cast("B") if a.size else b"")
    return h.hexdigest()


def _serialize(obj):
    """The bytes of ``obj`` as an ember safetensors file."""
    st = _safetensors()
    enc = _Encoder()
    structure = json.dumps(enc.encode(obj), separators=(",", ":"), allow_nan=False)
    meta = {"format": _MAGIC, "format_version": str(FORMAT_VERSION), "structure": structure,
            "sha256": _digest(structure, enc.arrays)}
    return st.save(enc.arrays, metadata=meta)


_TORCH_SUFFIXES = (".pt", ".pth", ".pth.tar", ".pt.tar")


def _torch_format_wanted(f, format):
    if format is not None:
        if format not in ("torch", "safetensors"):
            raise ValueError(f"ember.save: format must be 'torch' or 'safetensors', got {format!r}")
        return format == "torch"
    name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", None)
    return isinstance(name, (str, os.PathLike)) and os.fspath(name).lower().endswith(_TORCH_SUFFIXES)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         *, format=None):
    """Save an object of tensors to a file (PyTorch's ``torch.save``).

    Two formats:

    * **PyTorch's** (``.pt``, ``.pth``, ``.pth.tar`` names, or ``format="torch"``): the zip
      archive ``torch.save`` writes, so ``torch.load(f, weights_only=True)`` reads it. Any
      picklable object can be saved this way, a whole ``nn.Module`` included (loading
      that back needs ``ember.load(f, weights_only=False)``, as in PyTorch).
    * **safetensors** (every other name, file objects, ``format="safetensors"``): tensors,
      NumPy arrays, numbers, strings, bools, ``None``, dtypes, devices and
      dicts/lists/tuples of them, with no pickle at all.

    Args:
        obj: what to save, e.g. ``model.state_dict()`` or ``{"model": ..., "epoch": 3}``.
        f (str, os.PathLike or binary file object): where to write. A path is written
            atomically: to a temporary file in the same folder, flushed to disk, then
            renamed over ``f``.
        pickle_module, pickle_protocol: accepted for PyTorch compatibility and ignored.
        format (str, optional): ``"torch"`` or ``"safetensors"``; default from the name.

    Raises:
        TypeError: in the safetensors format, ``obj`` holds something else (a module, a
            function, ...); the message says where.

    Example:
        >>> ember.save(model.state_dict(), "model.pt")       # torch.load reads it
        >>> ember.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
    """
    if _torch_format_wanted(f, format):
        from ._torch_save import save_torch
        name = f if isinstance(f, (str, os.PathLike)) else "archive"
        stem = os.path.basename(os.fspath(name)).split(".")[0] or "archive"
        payload = save_torch(obj, archive=stem)
    else:
        payload = _serialize(obj)
    if hasattr(f, "write"):
        f.write(payload)
        if hasattr(f, "flush"):
            f.flush()
        return
    atomic_write_bytes(os.fspath(f), payload)


def _umask():
    """The process's umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, payload):
    """Write ``payload`` to ``path`` atomically: temp file in the same folder, fsync,
    ``os.replace``; the temp file is removed on any error."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            # mkstemp makes the file 0600; give it the mode open() would (0644 under
            # the usual umask), so every file ember writes has the same permissions
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# ----------------------------------------------------------------------------- loading
def _read(f):
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        return f.read(), (os.fspath(name) if isinstance(name, (str, os.PathLike))
                          else "<file object>")
    path = os.fspath(f)
    try:
        with open(path, "rb") as fh:
            return fh.read(), path
    except FileNotFoundError:
        raise FileNotFoundError(f"ember.load: no such file: {path}") from None


def _parse(buf, name):
    """(metadata dict, {key: numpy array}) from the bytes of a safetensors file."""
    fix = "the file is truncated or corrupt; restore it from a good copy or re-create it"
    # The metadata is in the JSON header (8-byte length, then JSON); the safetensors
    # package's numpy API returns only the tensors, so the header is read here.
    if len(buf) < 8:
        raise SerializationError(f"{name}: not a safetensors/ember file ({len(buf)} bytes, "
                                 f"too short for a header); {fix}")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > _MAX_HEADER:
        raise SerializationError(f"{name}: not a safetensors/ember file (header length "
                                 f"{n} is implausible); ember.load reads ember.save, "
                                 "safetensors and torch.save (zip) files")
    if 8 + n > len(buf):
        raise SerializationError(f"{name}: truncated: the header needs {8 + n} bytes but "
                                 f"the file holds {len(buf)}; {fix}")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
    except (ValueError, UnicodeDecodeError) as e:
        raise SerializationError(f"{name}: not a safetensors/ember file (bad header: {e}); "
                                 f"{fix}") from None
    meta = header.get("__metadata__") or {}
    try:
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"),
                  default=0)
    except (KeyError, TypeError, ValueError, IndexError):
        raise SerializationError(f"{name}: bad tensor entry in the header; {fix}") from None
    if 8 + n + end > len(buf):
        raise SerializationError(f"{name}: truncated: the tensors need {8 + n + end} bytes but "
                                 f"the file holds {len(buf)}; {fix}")
    try:
        arrays = _safetensors().load(bytes(buf))
    except ImportError:
        raise
    except Exception as e:  # safetensors_rust.SafetensorError: truncated / inconsistent
        raise SerializationError(f"{name}: {e}; {fix}") from None
    arrays = {k: np.array(v, copy=True) for k, v in arrays.items()}  # writable, owned
    return meta, arrays


class _Decoder:
    def __init__(self, arrays, name, map_location):
        self.arrays, self.name, self.map_location = arrays, name, map_location
        self.tensors = {}

    def _array(self, node):
        key = node.get("key")
        if key not in self.arrays:
            raise SerializationError(f"{self.name}: the structure refers to tensor {key!r} "
                                     "which the file does not hold; the file is corrupt")
        return self.arrays[key]

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "$type" not in node:
            raise SerializationError(f"{self.name}: unexpected node {node!r} in the "
                                     "structure; the file is corrupt")
        kind = node["$type"]
        if kind in ("dict", "odict"):
            pairs = ((_hashable(self.decode(k)), self.decode(v)) for k, v in node["items"])
            return collections.OrderedDict(pairs) if kind == "odict" else dict(pairs)
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "size":
            from .tensor import Size
            return Size(self.decode(v) for v in node["items"])
        if kind == "tensor":
            return self._tensor(node)
        if kind == "ndarray":
            return self._array(node).copy()
        if kind == "npscalar":
            return self._array(node)[()]
        if kind == "float":
            return float(node["value"])
        if kind == "complex":
            return complex(self.decode(node["real"]), self.decode(node["imag"]))
        if kind == "bytes":
            return bytes.fromhex(node["hex"])
        if kind == "dtype":
            import ember
            return getattr(ember, node["name"])
        if kind == "device":
            from .backend import device
            return device(node["name"])
        raise SerializationError(f"{self.name}: unknown node type {kind!r} in the structure; "
                                 "was it written by a newer ember? upgrade ember")

    def _tensor(self, node):
        key = node.get("key")
        if key in self.tensors:
            return self.tensors[key]
        from .tensor import Tensor
        t = Tensor._wrap(self._array(node).copy())
        target = _map_device(node.get("device", "cpu"), self.map_location, t)
        if isinstance(target, Tensor):
            t = target
        elif target is not None and str(target) != "cpu":
            t = t.to(target)
        if node.get("parameter"):
            from .nn.parameter import Parameter
            t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
        elif node.get("requires_grad"):
            t.requires_grad_(True)
        self.tensors[key] = t
        return t


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(v) for v in k)
    return k


def _map_device(saved, map_location, t):
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        return map_location.get(saved, saved)
    if callable(map_location) and not isinstance(map_location, str):
        return map_location(t, saved)
    return map_location


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **kwargs):
    """Load an object saved by :func:`save` or by PyTorch's ``torch.save`` (``torch.load``).

    The format is recognised from the file's first bytes: PyTorch's zip checkpoint
    (``.pt``/``.pth``, e.g. torchvision's published weights), PyTorch's legacy (pre-1.6)
    format (loaded on the CPU), or safetensors.

    Args:
        f (str, os.PathLike or binary file object): the file.
        map_location (str, ember.device, dict or callable, optional): where to put the
            tensors: ``"cpu"``, a device, a dict mapping saved device names to new ones,
            or ``fn(tensor, saved_device)``. Default: the device each was saved from.
        weights_only (bool, optional): for PyTorch files, ``True`` (the default, as in
            PyTorch >= 2.6) unpickles only tensors, parameters, storages, dtypes, sizes,
            devices, OrderedDicts and plain containers, plus the globals allowed by
            ``ember.serialization.add_safe_globals``; anything else is refused before it
            runs. ``False`` unpickles arbitrary objects (whole ``nn.Module`` files): only
            for files you trust; it warns. safetensors files never unpickle.
        pickle_module, mmap: accepted for PyTorch compatibility and ignored.

    Returns:
        The saved object, with new tensors (``nn.Parameter`` where a parameter was
        saved). A plain safetensors file without ember metadata gives a ``dict`` of
        tensors.

    Raises:
        FileNotFoundError: no such file.
        pickle.UnpicklingError: a PyTorch file needs a global that ``weights_only=True``
            does not allow (PyTorch's message, naming the global).
        SerializationError: the file is truncated or corrupt, or a safetensors file's
            SHA-256 does not match its contents; the message names the file.

    Example:
        >>> model.load_state_dict(ember.load("resnet18-f37072fd.pth"))
        >>> model.load_state_dict(ember.load("model.safetensors"))
    """
    buf, name = _read(f)
    from . import _torch_format
    if _torch_format.is_torch_zip(buf):
        return _torch_format.load_torch(buf, name, map_location,
                                        weights_only=weights_only is not False)
    from . import _torch_legacy
    if _torch_legacy.is_legacy_torch(buf):  # torch.save before PyTorch 1.6
        return _torch_legacy.load_legacy(buf, name, weights_only=weights_only is not False)
    meta, arrays = _parse(buf, name)
    if meta.get("format") != _MAGIC:  # a plain safetensors file
        dec = _Decoder(arrays, name, map_location)
        return {k: dec._tensor({"key": k}) for k in arrays}
    try:
        version = int(meta.get("format_version", "0"))
    except ValueError:
        version = -1
    if version < 1 or version > FORMAT_VERSION:
        raise SerializationError(f"{name}: ember file format version "
                                 f"{meta.get('format_version')!r} is not supported by this "
                                 f"ember (reads version 1..{FORMAT_VERSION}); upgrade ember")
    structure = meta.get("structure")
    if not isinstance(structure, str):
        raise SerializationError(f"{name}: the ember metadata has no structure; the file is "
                                 "corrupt; restore it from a good copy or re-create it")
    digest = _digest(structure, arrays)
    if digest != meta.get("sha256"):
        raise SerializationError(f"{name}: checksum mismatch: the file's SHA-256 is "
                                 f"{digest[:16]}... but its header records "
                                 f"{str(meta.get('sha256'))[:16]}...; the file is corrupt; "
                                 "restore it from a good copy or re-create it")
    try:
        tree = json.loads(structure)
    except ValueError as e:
        raise SerializationError(f"{name}: bad structure JSON ({e}); the file is corrupt") \
            from None
    return _Decoder(arrays, name, map_location).decode(tree)
