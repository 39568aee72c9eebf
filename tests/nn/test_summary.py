"""ember.summary: layer table, output shapes, parameter counts, side-effect free."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.summary import summary


def _mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(32, 10))


def test_summary_table_and_totals(capsys):
    m = _mlp()
    s = summary(m, (1, 28, 28))
    out = capsys.readouterr().out
    assert out.strip() == s.text.strip()
    assert s.total_params == 784 * 32 + 32 + 32 * 10 + 10 == s.trainable_params
    assert s.non_trainable_params == 0
    names = [r.name for r in s.layers]
    assert names == ["Flatten-1", "Linear-1", "ReLU-1", "Dropout-1", "Linear-2"]
    assert [r.output_shape for r in s.layers] == [[-1, 784], [-1, 32], [-1, 32], [-1, 32],
                                                  [-1, 10]]
    assert [r.num_params for r in s.layers] == [0, 25120, 0, 0, 330]
    assert "Total params: 25,450" in s.text and "Layer (type)" in s.text
    assert "Linear-1" in s.text and "[-1, 32]" in s.text
    assert "ModelSummary" in repr(s)


def test_summary_is_side_effect_free_and_counts_frozen():
    m = _mlp()
    m[1].requires_grad_(False)
    m.train()
    handles_before = [len(x._forward_hooks) for x in m.modules()]
    s = summary(m, (1, 28, 28), batch_size=16, print_summary=False)
    assert m.training and all(x.training for x in m.modules())
    assert [len(x._forward_hooks) for x in m.modules()] == handles_before
    assert s.trainable_params == 330 and s.non_trainable_params == 25120
    assert s.layers[1].output_shape == [16, 32]


def test_summary_custom_module_multiple_inputs_and_int_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.fc = nn.Linear(4 + 3, 2)

        def forward(self, idx, x):
            return self.fc(ember.cat([self.emb(idx), x], dim=-1))

    s = summary(Two(), [(5,), (5, 3)], dtypes=[ember.int64, ember.float32],
                print_summary=False)
    assert [r.name for r in s.layers] == ["Embedding-1", "Linear-1"]
    assert s.layers[0].output_shape == [-1, 5, 4]
    assert s.total_params == 40 + 7 * 2 + 2
    # a single leaf module summarises itself
    s = summary(nn.Linear(3, 2), (3,), print_summary=False)
    assert [r.name for r in s.layers] == ["Linear-1"] and s.total_params == 8
    with pytest.raises(TypeError, match="ember.nn.Module"):
        summary(lambda x: x, (3,))


def test_summary_exposed_on_package():
    s = ember.summary(nn.Sequential(nn.Linear(2, 2)), (2,), print_summary=False)
    assert s.total_params == 6
    assert np.isfinite(s.total_params)
