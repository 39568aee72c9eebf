"""Console output of a run: a tqdm progress bar per epoch and one summary line per epoch."""
import math
import sys
import time

from .callbacks import Callback

__all__ = ["ProgressBar", "EpochPrinter", "format_record"]


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar(Callback):
    """A tqdm bar over each epoch's batches showing the running loss and throughput
    (samples/s). Shown only when stdout and stderr are terminals (or ``enable=True``);
    silently absent without tqdm.

    Args:
        enable (bool, optional): force the bar on or off.
        file: where to draw it (default ``sys.stderr``).
        mininterval (float): least seconds between redraws.
    """

    def __init__(self, enable=None, file=None, mininterval=0.1):
        self.enable = enable
        self.file = file
        self.mininterval = mininterval
        self.bar = None

    def _active(self):
        if self.enable is not None:
            return self.enable
        return _isatty(sys.stdout) and _isatty(sys.stderr)

    def on_epoch_begin(self, state):
        self.bar = None
        if not self._active():
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        try:
            total = len(state.train_loader)
        except TypeError:
            total = None
        self.bar = tqdm(total=total, desc=f"epoch {state.epoch + 1}/{state.epochs}",
                        leave=False, unit="batch", file=self.file or sys.stderr,
                        dynamic_ncols=True, mininterval=self.mininterval)
        self.loss, self.n, self.t0 = 0.0, 0, time.perf_counter()

    def on_batch_end(self, state, logs):
        if self.bar is None:
            return
        bs = logs["batch_size"]
        self.loss += logs["loss"] * bs
        self.n += bs
        rate = self.n / max(time.perf_counter() - self.t0, 1e-9)
        self.bar.set_postfix_str(f"loss {self.loss / self.n:.4f}, {rate:,.0f} samples/s",
                                 refresh=False)
        self.bar.update(1)

    def on_epoch_end(self, state, logs):
        self.close()

    def on_train_end(self, state):
        self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _pct(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}%"


def _num(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4f}"


def format_record(record, epochs=None):
    """One line summarising an epoch record."""
    ep = f"epoch {record['epoch']}" + (f"/{epochs}" if epochs else "")
    parts = [ep]
    splits = [k[:-5] for k in record if k.endswith("_loss")]
    for s in splits:
        text = f"{s} loss {_num(record.get(s + '_loss'))}"
        acc = record.get(s + "_accuracy")
        if acc is not None and not (isinstance(acc, float) and math.isnan(acc)):
            text += f" acc {_pct(acc)}"
        parts.append(text)
    if "lr" in record:
        parts.append(f"lr {record['lr']:.3g}")
    if "seconds" in record:
        parts.append(f"{record['seconds']:.1f}s")
    return " | ".join(parts)


class EpochPrinter(Callback):
    """Print one line per epoch: losses, accuracies, learning rate and time."""

    def __init__(self, file=None):
        self.file = file

    def on_epoch_end(self, state, logs):
        print(format_record(logs, state.epochs), file=self.file or sys.stdout, flush=True)
