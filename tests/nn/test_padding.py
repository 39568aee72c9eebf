import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import check_op, torch, require_torch


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_functional_pad(mode):
    check_op(lambda x: F.pad(x, (1, 2, 0, 1), mode=mode),
             lambda x: torch.nn.functional.pad(x, (1, 2, 0, 1), mode=mode), [(2, 3, 4, 5)])


@pytest.mark.parametrize("name,args", [("ZeroPad2d", (1,)), ("ConstantPad1d", ((2, 1), 3.5)),
                                       ("ReflectionPad2d", ((1, 1, 2, 0),)), ("ReplicationPad1d", (2,)),
                                       ("CircularPad2d", (1,)), ("ReflectionPad1d", (1,)), ("ZeroPad1d", ((0, 2),))])
def test_padding_modules_match_torch(name, args):
    require_torch()
    shape = (2, 3, 5) if "1d" in name else (2, 3, 4, 5)
    x = np.random.default_rng(0).standard_normal(shape)
    e = getattr(nn, name)(*args)
    t = getattr(torch.nn, name)(*args)
    np.testing.assert_allclose(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy())
    assert repr(e) == repr(t)


def test_padding_errors():
    with pytest.raises(ValueError, match="ZeroPad2d: expected 3D or 4D input"):
        nn.ZeroPad2d(1)(ember.ones(2))
    with pytest.raises(RuntimeError, match="reflect"):
        F.pad(ember.ones(1, 1, 2), (3, 3), mode="reflect")
