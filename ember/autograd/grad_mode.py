"""Gradient mode: whether ops record the graph (``no_grad``, ``enable_grad``,
``set_grad_enabled``), usable as context managers and as decorators."""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _State:
    __slots__ = ("enabled", "anomaly")

    def __init__(self):
        self.enabled = True
        self.anomaly = False  # anomaly detection (ember.autograd.detect_anomaly)


STATE = _State()


def is_grad_enabled():
    """True when new ops record the autograd graph."""
    return STATE.enabled


class _GradMode:
    _target = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._target

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: ops inside record no graph (evaluation, updates).

    Example:
        >>> with ember.no_grad():
        ...     y = model(x)          # y.requires_grad is False
    """
    _target = False


class enable_grad(_GradMode):
    """Context manager / decorator: turn graph recording back on inside ``no_grad``."""
    _target = True


class inference_mode(_GradMode):
    """Like ``no_grad`` (ember has no separate inference tensors)."""
    _target = False

    def __init__(self, mode=True):
        self._target = not mode


class set_grad_enabled(_GradMode):
    """Set grad mode on (True) or off (False); works as a function call too.

    Example:
        >>> with ember.set_grad_enabled(is_train):
        ...     loss = model(x).sum()
    """

    def __init__(self, mode):
        self._prev = STATE.enabled
        self._target = bool(mode)
        STATE.enabled = self._target

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        STATE.enabled = self._prev  # used as a decorator: don't change mode at definition
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
