import math

import pytest

import ember
from ember.train import Accuracy, Mean, accuracy, correct


def test_accuracy_and_topk():
    out = ember.tensor([[0.1, 0.9, 0.0], [0.8, 0.15, 0.05], [0.2, 0.3, 0.5]])
    y = ember.tensor([1, 1, 0])
    assert correct(out, y) == 1
    assert accuracy(out, y) == pytest.approx(1 / 3)
    assert correct(out, y, topk=2) == 2
    with pytest.raises(RuntimeError, match=r"output \(N, C\)"):
        accuracy(out, ember.tensor([1, 1]))


def test_running_metrics():
    m = Mean()
    assert math.isnan(m.compute())
    m.update(1.0, 3)
    m.update(3.0, 1)
    assert m.compute() == pytest.approx(1.5)
    a = Accuracy()
    a.update(ember.tensor([[1.0, 0.0], [0.0, 1.0]]), ember.tensor([0, 0]))
    a.update(ember.tensor([[1.0, 0.0]]), ember.tensor([0]))
    assert a.compute() == pytest.approx(2 / 3)
