"""``record``: the decorator torchrun scripts put on ``main``.

In PyTorch it writes the failing rank's traceback to an error file for the launcher;
ember's launcher already prints every failing rank's traceback and ends the job, so
``record`` only re-raises (after naming the rank).

Example:
    >>> from ember.distributed.elastic.multiprocessing.errors import record
    >>> @record
    ... def main():
    ...     ...
"""
import functools
import os
import sys

__all__ = ["record", "ChildFailedError"]


class ChildFailedError(Exception):
    """A rank of the job failed (PyTorch's name)."""


def record(fn=None, error_handler=None):
    """Decorate ``fn`` so an exception in it names the rank on stderr, then propagates."""
    def wrap(f):
        @functools.wraps(f)
        def run(*args, **kwargs):
            try:
                return f(*args, **kwargs)
            except Exception:
                sys.stderr.write(f"ember: {f.__qualname__} failed on rank "
                                 f"{os.environ.get('RANK', '0')}\n")
                raise
        return run
    return wrap(fn) if fn is not None else wrap
