"""Anomaly detection: ``detect_anomaly()`` / ``set_detect_anomaly(True)``.

While it is on, every op records the Python stack of its forward call, and backward
checks each gradient an op returns: a NaN raises ``RuntimeError`` naming the op
(``Function 'DivBackward0' returned nan values in its 0th output.``) with the forward
traceback that created it, as PyTorch does. It costs a stack capture per op: a
debugging tool, off by default.
"""
import warnings

from .grad_mode import STATE

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled():
    return STATE.anomaly


def is_anomaly_check_nan_enabled():
    return STATE.anomaly


class detect_anomaly:
    """Context manager / decorator turning anomaly detection on.

    Example:
        >>> with ember.autograd.detect_anomaly():
        ...     y = (x / x).sum()      # x holds a 0: 0/0 = nan in backward
        ...     y.backward()           # RuntimeError: Function 'DivBackward0' returned nan ...
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = STATE.anomaly
        STATE.anomaly = bool(self.check_nan)

    def __exit__(self, *exc):
        STATE.anomaly = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off; works as a call or as a context manager."""

    def __init__(self, mode, check_nan=True):
        self._prev = STATE.anomaly
        STATE.anomaly = bool(mode) and bool(check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.anomaly = self._prev
        return False
