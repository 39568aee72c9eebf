"""``repr`` of tensors, close to PyTorch's: ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""
import numpy as np

_DEFAULT_SHOWN = {"float32", "int64", "bool"}

# ember.set_printoptions writes here (PyTorch's defaults)
OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def _format_array(arr, indent):
    if arr.size == 0:
        return "[]"
    o = OPTIONS
    opts = dict(separator=", ", prefix=" " * indent, threshold=o["threshold"],
                edgeitems=o["edgeitems"], max_line_width=o["linewidth"])
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        ints = finite.size == 0 or np.all(finite == np.round(finite))
        mags = np.abs(finite[finite != 0])
        sci = mags.size and (mags.max() >= 1e8 or mags.min() < 1e-4 or
                             (mags.max() / mags.min() > 1e3 and not ints))
        if o["sci_mode"] is not None:
            sci = o["sci_mode"]
        p = o["precision"]
        if sci:
            fmt = ("{:.%de}" % p).format
        elif ints:
            fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)  # noqa: E731
        else:
            fmt = ("{:.%df}" % p).format
        sample = np.concatenate([arr.reshape(-1)[:1000], finite.reshape(-1)[[0, -1]] if finite.size else [],
                                 [finite.min(), finite.max()] if finite.size else []])
        width = max(len(fmt(v)) if np.isfinite(v) else len(str(v)) for v in sample)
        opts["formatter"] = {"float_kind": lambda v: (fmt(v) if np.isfinite(v) else str(v)).rjust(width)}
    elif arr.dtype.kind == "b":
        opts["formatter"] = {"bool": lambda v: ("True" if v else "False").rjust(5 if not arr.all() else 4)}
    return np.array2string(arr, **opts)


def tensor_repr(t, prefix="tensor("):
    from .backend import to_device_array, CPU
    arr = to_device_array(t._data, CPU)
    body = _format_array(arr, len(prefix))
    extras = []
    if arr.size == 0 and arr.shape != (0,):
        extras.append(f"size={tuple(arr.shape)}")
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if arr.dtype.name not in _DEFAULT_SHOWN or (arr.size == 0 and arr.dtype.name != "float32"):
        extras.append(f"dtype=ember.{arr.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
