"""CIFAR-10/100 in the "python version" layout (what torchvision downloads).

``root/cifar-10-batches-py/data_batch_{1..5}``, ``test_batch``, ``batches.meta`` and
``root/cifar-100-python/train``, ``test``, ``meta`` are pickles of dicts holding only
byte strings, lists of ints and NumPy uint8 arrays. They are read with a restricted
unpickler that resolves exactly the globals such a pickle needs to rebuild an array
(``numpy.ndarray``, ``numpy.dtype``, NumPy's ``_reconstruct`` and ``_codecs.encode``);
a file asking for anything else (``os.system``, a class) is refused before it runs.
"""
import os
import pickle

import numpy as np

from .utils import CorruptFileError

__all__ = ["PYTHON_LAYOUTS", "read_python_layout", "load_cifar_pickle"]

# base folder, train files, test files, meta file, label keys (binary-layout order)
PYTHON_LAYOUTS = {
    1: ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"],
        "batches.meta", [b"labels"]),
    2: ("cifar-100-python", ["train"], ["test"], "meta", [b"coarse_labels", b"fine_labels"]),
}


def _reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct as r
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct as r
    return r


def _encode(text, encoding="latin1"):
    return text.encode(encoding)


class _CifarUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                   ("numpy.core.multiarray", "_reconstruct"): _reconstruct(),
                   ("numpy._core.multiarray", "_reconstruct"): _reconstruct(),
                   ("_codecs", "encode"): _encode}
        if (module, name) in allowed:
            return allowed[(module, name)]
        raise pickle.UnpicklingError(f"refusing global {module}.{name}: a CIFAR batch holds only "
                                     "arrays, lists and strings")


def load_cifar_pickle(path):
    """The dict in one CIFAR python-version file (keys as bytes, as the files store them).

    Raises:
        CorruptFileError: not a pickle, truncated, or it asks for a global beyond arrays.
    """
    try:
        with open(path, "rb") as f:
            obj = _CifarUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise CorruptFileError(f"{path}: not a CIFAR python-version batch ({e}); delete it and "
                               "download again") from None
    if not isinstance(obj, dict):
        raise CorruptFileError(f"{path}: expected a dict, found {type(obj).__name__}")
    # Python 2 pickles read with latin1 may give str keys: use bytes keys throughout
    return {(k.encode("latin1") if isinstance(k, str) else k): v for k, v in obj.items()}


def _names(values):
    return [v.decode("latin1") if isinstance(v, bytes) else str(v) for v in values]


def read_python_layout(root, label_bytes, train):
    """(images (N, 32, 32, 3) uint8, labels (N, label_bytes) int64, meta dict) from the python
    layout under ``root``, or None when its folder has not all the files."""
    base, train_files, test_files, meta, keys = PYTHON_LAYOUTS[label_bytes]
    folder = os.path.join(root, base)
    if not all(os.path.isfile(os.path.join(folder, n)) for n in train_files + test_files):
        return None
    images, labels = [], []
    for name in train_files if train else test_files:
        path = os.path.join(folder, name)
        batch = load_cifar_pickle(path)
        data = np.asarray(batch.get(b"data"))
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise CorruptFileError(f"{path}: 'data' should be an (N, 3072) uint8 array, found "
                                   f"{data.dtype} {data.shape}")
        cols = []
        for key in keys:
            lab = np.asarray(batch.get(key, []), dtype=np.int64)
            if lab.shape != (len(data),):
                raise CorruptFileError(f"{path}: {len(data)} images but {lab.size} {key.decode()}")
            cols.append(lab)
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.stack(cols, 1))
    names = {}
    meta_path = os.path.join(folder, meta)
    if os.path.isfile(meta_path):
        m = load_cifar_pickle(meta_path)
        for key in (b"label_names", b"fine_label_names", b"coarse_label_names"):
            if key in m:
                names[key.decode()] = _names(m[key])
    return (np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels), names)
