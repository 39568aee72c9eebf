"""Top-level switches PyTorch code calls that have nothing to switch in ember:
``compile``, ``use_deterministic_algorithms``, ``set_printoptions``, ``set_float32_matmul_precision``."""
__all__ = ["compile", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_printoptions",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]

_DETERMINISTIC = {"mode": False, "warn_only": False}
_MATMUL_PRECISION = ["highest"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """Return ``model`` (a module or function) unchanged: ember has no compiler.

    PyTorch's ``torch.compile`` traces and compiles for speed without changing results;
    ember runs eagerly, so the "compiled" model is the model itself and outputs are
    identical. Works as ``torch.compile(model)``, ``@torch.compile`` and
    ``@torch.compile(mode="max-autotune")``.

    Example:
        >>> model = ember.compile(model)      # same object, same outputs
    """
    if model is None:
        return lambda m: m
    return model


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record PyTorch's determinism switch. ember's kernels are deterministic already (the
    same inputs and seed give the same bits), so nothing changes."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms: expected a bool, got {type(mode).__name__}")
    _DETERMINISTIC.update(mode=mode, warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled():
    return _DETERMINISTIC["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _DETERMINISTIC["warn_only"]


_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """How tensors print, as PyTorch's ``torch.set_printoptions``.

    Args:
        precision (int): digits after the decimal point (default 4).
        threshold (int): elements beyond which the repr is summarised with ``...`` (1000).
        edgeitems (int): items shown at each end of a summarised dimension (3).
        linewidth (int): characters per line (80).
        profile (str): 'default', 'short' or 'full' (sets all of the above first).
        sci_mode (bool or None): force scientific notation on/off; None chooses.
    """
    import sys
    from ._printing import OPTIONS
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; "
                             f"expected one of {sorted(_PROFILES)}")
        OPTIONS.update(_PROFILES[profile])
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            OPTIONS[k] = v
    if OPTIONS["threshold"] == float("inf"):
        OPTIONS["threshold"] = sys.maxsize
    OPTIONS["sci_mode"] = sci_mode


def set_float32_matmul_precision(precision):
    """Record 'highest', 'high' or 'medium' (ember's float32 matmul is always full precision)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: invalid precision {precision!r}; "
                           "expected 'highest', 'high' or 'medium'")
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision():
    return _MATMUL_PRECISION[0]
