"""``SummaryWriter``: PyTorch's TensorBoard writer, on ``tensorboardX``.

tensorboardX writes the event files; this class gives it PyTorch's signatures and
turns ember tensors (which tensorboardX does not know) into NumPy arrays first.
"""
import os
import time

import numpy as np

__all__ = ["SummaryWriter"]


def _tbx():
    try:
        import tensorboardX
        return tensorboardX
    except ImportError:
        raise ImportError("ember.utils.tensorboard needs the tensorboardX package: "
                          "pip install 'ember[train]' (or pip install tensorboardX)") from None


def _np(x):
    """ember Tensors (also inside lists/tuples/dicts) -> NumPy arrays; anything else as is."""
    from ...tensor import Tensor
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, (list, tuple)) and any(isinstance(v, Tensor) for v in x):
        return type(x)(_np(v) for v in x)
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    return x


def _scalar(v, what):
    v = _np(v)
    if isinstance(v, np.ndarray):
        if v.size != 1:
            raise ValueError(f"{what}: expected a scalar value, got an array of shape {v.shape}")
        v = v.reshape(())[()]
    return v.item() if isinstance(v, np.generic) else v


class SummaryWriter:
    """Writes TensorBoard event files to ``log_dir`` (PyTorch's ``SummaryWriter``).

    Args:
        log_dir (str, optional): where to write; default ``runs/<date>_<host><comment>``.
        comment (str): appended to the default ``log_dir``.
        purge_step (int, optional): hide events at or after this step left by a crashed run.
        max_queue (int): events queued before a write; flush_secs (int): seconds between flushes.
        filename_suffix (str): appended to the event file's name.

    Example:
        >>> from ember.utils.tensorboard import SummaryWriter
        >>> with SummaryWriter("runs/exp1") as writer:
        ...     for step in range(100):
        ...         writer.add_scalar("loss/train", loss.item(), step)
        ...         writer.add_histogram("fc1.weight", model.fc1.weight, step)
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if log_dir is None:
            import socket
            from datetime import datetime
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = os.fspath(log_dir)
        self._writer = _tbx().SummaryWriter(logdir=self.log_dir, purge_step=purge_step,
                                            max_queue=max_queue, flush_secs=flush_secs,
                                            filename_suffix=filename_suffix)
        self._sub_writers = {}  # add_scalars: one writer per curve's folder

    def get_logdir(self):
        """The folder the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One point of the curve ``tag`` (a number or a one-element tensor)."""
        self._writer.add_scalar(tag, _scalar(scalar_value, "add_scalar"), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves in one chart: ``{"train": 0.3, "val": 0.4}`` under ``main_tag``
        (each is written to its own sub-folder ``log_dir/main_tag_train``, as PyTorch does)."""
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            sub = self._sub_writers.get(folder)
            if sub is None:
                sub = self._sub_writers[folder] = _tbx().SummaryWriter(logdir=folder)
            sub.add_scalar(main_tag, _scalar(value, "add_scalars"), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """Histogram of ``values`` (e.g. a weight tensor)."""
        self._writer.add_histogram(tag, np.asarray(_np(values)), global_step, bins, walltime, max_bins)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: float in [0, 1] or uint8 in [0, 255], laid out as ``dataformats``."""
        self._writer.add_image(tag, np.asarray(_np(img_tensor)), global_step, walltime, dataformats)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images shown as a grid."""
        self._writer.add_images(tag, np.asarray(_np(img_tensor)), global_step, walltime, dataformats)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them), rendered to an image."""
        self._writer.add_figure(tag, figure, global_step, close, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (Markdown) under ``tag``."""
        self._writer.add_text(tag, text_string, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Hyperparameters and their final metrics, for TensorBoard's HPARAMS tab (written, as
        in PyTorch, to a sub-folder ``run_name`` -- default: the current time)."""
        hp = {k: _scalar(v, "add_hparams") if not isinstance(v, (str, bool)) else v
              for k, v in hparam_dict.items()}
        metrics = {k: _scalar(v, "add_hparams") for k, v in metric_dict.items()}
        name = run_name if run_name is not None else str(time.time())
        self._writer.add_hparams(hp, metrics, name=name, global_step=global_step)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Vectors (rows of ``mat``) for TensorBoard's projector, with optional labels and images."""
        self._writer.add_embedding(np.asarray(_np(mat)), metadata=_np(metadata),
                                   label_img=None if label_img is None else np.asarray(_np(label_img)),
                                   global_step=global_step, tag=tag, metadata_header=metadata_header)

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):
        """Precision-recall curve of binary ``labels`` against ``predictions`` in [0, 1]."""
        self._writer.add_pr_curve(tag, np.asarray(_np(labels)), np.asarray(_np(predictions)),
                                  global_step, num_thresholds, _np(weights), walltime)

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        self._writer.add_video(tag, np.asarray(_np(vid_tensor)), global_step, fps, walltime)

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        self._writer.add_audio(tag, np.asarray(_np(snd_tensor)), global_step, sample_rate, walltime)

    def add_custom_scalars(self, layout):
        self._writer.add_custom_scalars(layout)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Trace one forward of ``model`` on ``input_to_model`` and write its graph of ops
        for TensorBoard's Graphs tab (ops grouped by submodule, with shapes).

        Args:
            model (nn.Module): the model.
            input_to_model (Tensor or tuple of Tensors): example inputs.
            verbose (bool): also print the traced graph.
        """
        from ._graph import graph_def
        if input_to_model is None:
            raise ValueError("SummaryWriter.add_graph: pass input_to_model (example inputs to trace)")
        gdef = graph_def(model, input_to_model, verbose)
        self._writer._get_file_writer().add_onnx_graph(gdef)  # (writes a GraphDef event)

    def flush(self):
        """Write pending events to disk."""
        self._writer.flush()
        for sub in self._sub_writers.values():
            sub.flush()

    def close(self):
        """Flush and close the event files."""
        self._writer.close()
        for sub in self._sub_writers.values():
            sub.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
