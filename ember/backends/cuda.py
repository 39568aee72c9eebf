"""``ember.backends.cuda``: PyTorch's CUDA math flags (``matmul.allow_tf32``, ...), recorded only."""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: settable flags that ember records."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()
_precision = "highest"


def is_built():
    """Whether ember can use a CUDA GPU at all (CuPy installed and a GPU present)."""
    from ..backend import is_cuda_available
    return is_cuda_available()


def preferred_linalg_library(backend=None):
    return "default"


def flash_sdp_enabled():
    return False


def math_sdp_enabled():
    return True
