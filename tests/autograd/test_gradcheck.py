"""gradcheck's messages and its float32 warning (ember/autograd/gradcheck.py)."""
import warnings

import pytest

import ember
from ember.autograd.function import Function


class _WrongGrad(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad * 3  # deliberately wrong


def test_mismatch_message_has_plain_numbers():
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        ember.autograd.gradcheck(lambda t: _WrongGrad.apply(t), (x,))
    msg = str(e.value)
    assert "np." not in msg and "int64" not in msg and "float64(" not in msg
    assert "input 0 (shape (2, 3))" in msg and "at index (" in msg


def test_float32_input_warns_like_torch():
    x = ember.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        ember.autograd.gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.autograd.gradcheck(lambda t: t * 2, (x.double().detach().requires_grad_(),))
