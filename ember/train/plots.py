"""``curves.png``: loss, accuracy and learning rate per epoch (matplotlib, Agg canvas; pyplot and the
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
    """Draw the loss and accuracy of each split, and the learning rate, over the epochs
    into a PNG at ``path`` (written atomically). Returns False (after a one-line warning) without matplotlib.

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
    has_lr = any(isinstance(r.get("lr"), (int, float)) for r in history)
    panels = ("loss", "accuracy") + (("lr",) if has_lr else ())
    fig = Figure(figsize=(5 * len(panels), 4), dpi=100)
    FigureCanvasAgg(fig)
    for i, metric in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        if metric == "lr":
            xs, ys = _series(history, "lr")
            ax.plot(xs, ys, marker="o", color="tab:green")
            ax.set_ylabel("learning rate (start of epoch)")
            if ys and min(ys) > 0 and max(ys) / min(ys) > 20:
                ax.set_yscale("log")
        for key in keys if metric != "lr" else ():
            if key.endswith("_" + metric):
                xs, ys = _series(history, key)
                if metric == "accuracy":
                    ys = [100 * y for y in ys]
                if xs:
                    ax.plot(xs, ys, marker="o", label=key[: -len(metric) - 1])
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric != "lr":
            ax.set_ylabel(metric + (" (%)" if metric == "accuracy" else ""))
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
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
