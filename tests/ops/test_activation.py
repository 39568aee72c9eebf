import numpy as np
import pytest

import ember
from tests.helpers import check_op, torch


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(dim):
    check_op(lambda x: x.softmax(dim), lambda x: x.softmax(dim), [(3, 4)])
    check_op(lambda x: x.log_softmax(dim), lambda x: x.log_softmax(dim), [(3, 4)])


def test_softmax_stability():
    x = np.array([[1e4, 0.0, -1e4], [500.0, 500.0, 500.0]])
    check_op(lambda x: x.log_softmax(1), lambda x: x.log_softmax(1), inputs=[x], gradcheck=False)
    check_op(lambda x: x.softmax(1), lambda x: x.softmax(1), inputs=[x], gradcheck=False)
    out = ember.tensor(x).log_softmax(1)
    assert np.isfinite(out.numpy()).all()


def test_sigmoid_stability():
    x = ember.tensor([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(x.sigmoid().numpy(), [0.0, 0.5, 1.0])


def test_relu_grad_at_zero():
    check_op(lambda x: x.relu(), lambda x: x.relu(), inputs=[np.array([-1.0, 0.0, 2.0])], gradcheck=False)
