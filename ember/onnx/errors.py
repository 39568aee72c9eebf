"""PyTorch's ONNX export exceptions (``torch.onnx.errors``)."""

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """An error raised by the ONNX exporter."""


class UnsupportedOperatorError(OnnxExporterError):
    """The traced model used an op that has no ONNX conversion (the message names it)."""
