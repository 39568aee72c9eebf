"""``ember.onnx``: export a model to ONNX (PyTorch's ``torch.onnx.export``), to run it
outside Python with onnxruntime (C, C++, C#, Java, JavaScript) or any ONNX runtime.

The model is traced (one forward on the example inputs, ``ember._tracer``), each op is
converted to ONNX ops, and the ``onnx`` package builds and checks the model
(``pip install 'ember[onnx]'``).

Example:
    >>> model = ember.models.resnet18(num_classes=10).eval()
    >>> ember.onnx.export(model, (ember.randn(1, 3, 32, 32),), "resnet18.onnx",
    ...                   input_names=["image"], output_names=["logits"],
    ...                   dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    >>> import onnxruntime as ort
    >>> sess = ort.InferenceSession("resnet18.onnx")
    >>> logits = sess.run(None, {"image": images_numpy})[0]
"""
import os

from . import errors
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["export", "supported_ops", "is_in_onnx_export", "errors", "OnnxExporterError",
           "UnsupportedOperatorError", "TrainingMode"]

_EXPORTING = False


class TrainingMode:
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def is_in_onnx_export():
    """True while ``export`` runs the model's forward."""
    return _EXPORTING


def supported_ops():
    """The ember op classes (names) that ``export`` converts."""
    from . import _ops  # noqa: F401
    from ._builder import CONVERTERS
    return sorted(CONVERTERS)


def export(model, args=(), f=None, kwargs=None, *, export_params=True, verbose=False,
           input_names=None, output_names=None, opset_version=None, dynamic_axes=None,
           training=TrainingMode.EVAL, do_constant_folding=True, keep_initializers_as_inputs=None,
           dynamo=False, external_data=False, check=True, **unused):
    """Trace ``model`` on ``args`` and write it as an ONNX model to ``f``.

    Args:
        model (nn.Module or callable): the model (put in eval mode for the trace unless
            ``training=TrainingMode.PRESERVE``; its mode is restored afterwards).
        args (Tensor or tuple): example inputs; a trailing dict holds keyword inputs.
        f (str, path or file object): where to write (None: only return the model).
        input_names, output_names (list of str): names of the graph's inputs/outputs
            (default ``input0, ...``/``output``).
        opset_version (int): ONNX opset (default 17; 13-21).
        dynamic_axes (dict): ``{name: {axis: "label"}}`` or ``{name: [axis, ...]}``: axes
            of any size at run time (e.g. the batch). Shapes computed in the forward from
            such a size (``x.view(x.size(0), -1)``, ``ember.zeros(x.size(0), H)``, the
            ``batch * heads`` of attention) are rebuilt at run time: the tracer sees plain
            numbers, so a traced dimension equal to a dynamic axis's size is read as that
            axis. Trace with a batch size that no other dimension has (e.g. 7).
        check (bool): run ``onnx.checker.check_model`` on the result (default True).

    Returns:
        ``onnx.ModelProto``: the exported model.

    Raises:
        UnsupportedOperatorError: the model used an op without an ONNX conversion (the
            message names it and the submodule it ran in).
    """
    global _EXPORTING
    from .._tracer import trace
    from ._builder import _onnx, build_model
    onnx = _onnx()
    opset = 17 if opset_version is None else int(opset_version)
    if not 13 <= opset <= 21:
        raise ValueError(f"ember.onnx.export: opset_version {opset} is not supported (13 to 21)")
    from ..tensor import Tensor
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    if args and isinstance(args[-1], dict) and kwargs is None:
        args, kwargs = args[:-1], args[-1]
    was_training = getattr(model, "training", None)
    if was_training is not None and training != TrainingMode.PRESERVE:
        model.train(training == TrainingMode.TRAINING)
    _EXPORTING = True
    try:
        graph = trace(model, args, kwargs, input_names=input_names)
    finally:
        _EXPORTING = False
        if was_training is not None:
            model.train(was_training)
    proto = build_model(graph, opset, input_names, output_names, dynamic_axes, do_constant_folding)
    if check:
        onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if f is not None:
        data = proto.SerializeToString()
        if isinstance(f, (str, os.PathLike)):
            with open(f, "wb") as fh:
                fh.write(data)
        else:
            f.write(data)
    return proto
