"""``curves.png``: loss and accuracy per epoch (matplotlib, Agg canvas; pyplot and the
user's backend are never touched)."""
import io
import math
import os

from ember.serialization import atomic_write_bytes

from .callbacks import Callback
from .loggers import warn_missing

__all__ = ["plot_curves", "CurvePlotter"]


def _series(history, key):
    pts = [(r["epoch"], r[key]) for r in history
           if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_curves(history, path, title=None):
    """Draw the loss and accuracy of each split over the epochs into a PNG at ``path``
    (written atomically). Returns False (after a one-line warning) without matplotlib.

    Args:
        history (list of dict): epoch records as returned by :func:`ember.train.fit`.
        path (str): the image file.
        title (str, optional): the figure's title.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        warn_missing("matplotlib", "curves.png")
        return False
    keys = list(history[0].keys()) if history else []
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    for i, metric in enumerate(("loss", "accuracy")):
        ax = fig.add_subplot(1, 2, i + 1)
        for key in keys:
            if key.endswith("_" + metric):
                xs, ys = _series(history, key)
                if metric == "accuracy":
                    ys = [100 * y for y in ys]
                if xs:
                    ax.plot(xs, ys, marker="o", label=key[: -len(metric) - 1])
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric + (" (%)" if metric == "accuracy" else ""))
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(os.fspath(path), buf.getvalue())
    return True


class CurvePlotter(Callback):
    """Redraw ``path`` (e.g. ``runs/a/curves.png``) after every epoch."""

    def __init__(self, path, title=None):
        self.path, self.title = os.fspath(path), title
        self.enabled = True

    def on_epoch_end(self, state, logs):
        if self.enabled:
            self.enabled = plot_curves(state.history, self.path, self.title)
