"""Console output of a run: progress within each epoch (a tqdm bar on a terminal, plain
lines every few seconds elsewhere) and one summary line per epoch."""
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


def _clock(seconds):
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class ProgressBar(Callback):
    """Progress within each epoch: the running loss, throughput (samples/s) and time
    left.

    On a terminal it is a tqdm bar (silently absent without tqdm). When stdout is not a
    terminal (a pipe, a log file, a batch scheduler, CI) it prints a plain line every
    ``log_interval`` seconds instead, so a long epoch still shows life::

        epoch 1/10: step 120/469 (26%), loss 0.5123, 1,234 samples/s, ETA 0:35

    Args:
        enable (bool, optional): force the tqdm bar on (True) or all progress off
            (False); default: the bar on a terminal, log lines elsewhere.
        file: where to draw the bar (default ``sys.stderr``) or print the lines
            (default ``sys.stdout``, next to the epoch summaries).
        mininterval (float): least seconds between bar redraws.
        log_interval (float): seconds between log lines when not on a terminal.
    """

    def __init__(self, enable=None, file=None, mininterval=0.1, log_interval=10.0):
        self.enable = enable
        self.file = file
        self.mininterval = mininterval
        self.log_interval = float(log_interval)
        self.bar = None
        self.logging = False

    def _mode(self):
        if self.enable is not None:
            return "bar" if self.enable else None
        return "bar" if _isatty(sys.stdout) and _isatty(sys.stderr) else "log"

    def on_epoch_begin(self, state):
        self.bar, self.logging = None, False
        self.loss, self.n, self.batches = 0.0, 0, 0
        self.t0 = self.last = time.perf_counter()
        try:
            self.total = len(state.train_loader)
        except TypeError:
            self.total = None
        mode = self._mode()
        if mode == "log":
            self.logging = True
            return
        if mode is None:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=self.total, desc=f"epoch {state.epoch + 1}/{state.epochs}",
                        leave=False, unit="batch", file=self.file or sys.stderr,
                        dynamic_ncols=True, mininterval=self.mininterval)

    def on_batch_end(self, state, logs):
        if self.bar is None and not self.logging:
            return
        bs = logs["batch_size"]
        self.loss += logs["loss"] * bs
        self.n += bs
        self.batches += 1
        now = time.perf_counter()
        rate = self.n / max(now - self.t0, 1e-9)
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss {self.loss / self.n:.4f}, {rate:,.0f} samples/s",
                                     refresh=False)
            self.bar.update(1)
        elif now - self.last >= self.log_interval:
            self.last = now
            print(self.line(state, rate, now), file=self.file or sys.stdout, flush=True)

    def line(self, state, rate, now):
        """The log line: epoch, step within it, running loss, samples/s, ETA."""
        where = f"step {self.batches}"
        eta = ""
        if self.total:
            where += f"/{self.total} ({100 * self.batches / self.total:.0f}%)"
            left = (now - self.t0) / self.batches * (self.total - self.batches)
            eta = f", ETA {_clock(left)}"
        return (f"epoch {state.epoch + 1}/{state.epochs}: {where}, loss "
                f"{self.loss / self.n:.4f}, {rate:,.0f} samples/s{eta}")

    def on_epoch_end(self, state, logs):
        self.close()

    def on_train_end(self, state):
        self.close()

    def close(self):
        self.logging = False
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
