import numpy as np
import pytest

import ember
from tests.helpers import check_op, torch, require_torch


def test_reshape_view_flatten():
    for f in (lambda x: x.reshape(4, 6), lambda x: x.reshape(-1), lambda x: x.view(2, -1),
              lambda x: x.flatten(), lambda x: x.flatten(1), lambda x: x.unflatten(1, (3, 1)),
              lambda x: x.reshape(2, 3, 4).permute(2, 0, 1).reshape(4, 6)):
        check_op(f, f, [(2, 3, 4)])


def test_view_errors_and_sharing():
    x = ember.arange(6.0).reshape(2, 3)
    v = x.view(3, 2)
    v[0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(-1)
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        x.reshape(4, 2)


def test_permute_transpose_squeeze():
    check_op(lambda x: x.T, lambda x: x.permute(2, 1, 0), [(2, 3, 4)])  # torch deprecates .T on 3-d
    for f in (lambda x: x.permute(2, 0, 1), lambda x: x.transpose(0, 2), lambda x: x.mT,
              lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(-1), lambda x: x.movedim(0, -1),
              lambda x: x.swapaxes(1, 2)):
        check_op(f, f, [(2, 3, 4)])
    for f in (lambda x: x.squeeze(), lambda x: x.squeeze(1), lambda x: x.squeeze(0), lambda x: x.squeeze((1, 3))):
        check_op(f, f, [(2, 1, 3, 1)])
    check_op(lambda x: x.t(), lambda x: x.t(), [(3, 4)])


def test_expand_repeat():
    check_op(lambda x: x.expand(2, 3, 4), lambda x: x.expand(2, 3, 4), [(3, 1)])
    check_op(lambda x: x.expand(-1, 5), lambda x: x.expand(-1, 5), [(3, 1)])
    check_op(lambda x: x.repeat(2, 3), lambda x: x.repeat(2, 3), [(3, 2)])
    check_op(lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [(3, 2)])
    with pytest.raises(RuntimeError, match="must match the existing size"):
        ember.ones(3, 2).expand(3, 4)


def test_cat_stack_split_chunk():
    check_op(lambda a, b: ember.cat([a, b], 1), lambda a, b: torch.cat([a, b], 1), [(2, 3), (2, 4)])
    check_op(lambda a, b: ember.cat([a, b], -2), lambda a, b: torch.cat([a, b], -2), [(2, 3), (1, 3)])
    check_op(lambda a, b: ember.stack([a, b], 1), lambda a, b: torch.stack([a, b], 1), [(2, 3), (2, 3)])
    check_op(lambda x: x.split(2, 1), lambda x: x.split(2, 1), [(3, 5)])
    check_op(lambda x: x.split([1, 4], 1), lambda x: x.split([1, 4], 1), [(3, 5)])
    check_op(lambda x: x.chunk(3, 0), lambda x: x.chunk(3, 0), [(7, 2)])
    check_op(lambda x: x.unbind(1), lambda x: x.unbind(1), [(2, 3)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        ember.cat([ember.ones(2, 3), ember.ones(3, 3)], 1)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ember.stack([ember.ones(2), ember.ones(3)])


def test_flip_roll_narrow_pad():
    check_op(lambda x: x.flip(0), lambda x: x.flip(0), [(3, 4)])
    check_op(lambda x: x.flip((0, 1)), lambda x: x.flip((0, 1)), [(3, 4)])
    check_op(lambda x: x.roll(1, 1), lambda x: x.roll(1, 1), [(3, 4)])
    check_op(lambda x: x.roll((1, -2), (0, 1)), lambda x: x.roll((1, -2), (0, 1)), [(3, 4)])
    check_op(lambda x: x.roll(3), lambda x: x.roll(3), [(3, 4)])
    check_op(lambda x: x.narrow(1, 1, 2), lambda x: x.narrow(1, 1, 2), [(3, 4)])
    import ember.ops.shape as S
    for mode in ("constant", "reflect", "replicate", "circular"):
        check_op(lambda x: S.pad(x, (1, 2, 2, 1), mode=mode),
                 lambda x: torch.nn.functional.pad(x, (1, 2, 2, 1), mode=mode), [(1, 2, 4, 5)])
    check_op(lambda x: S.pad(x, (1, -1), value=3.0), lambda x: torch.nn.functional.pad(x, (1, -1), value=3.0), [(2, 4)])


def test_tril_triu_diag():
    check_op(lambda x: x.tril(), lambda x: x.tril(), [(4, 4)])
    check_op(lambda x: x.triu(1), lambda x: x.triu(1), [(3, 5)])
    check_op(lambda x: x.diagonal(), lambda x: x.diagonal(), [(3, 4)])
    check_op(lambda x: ember.diag(x), lambda x: torch.diag(x), [(3,)])
    check_op(lambda x: ember.diag(x), lambda x: torch.diag(x), [(3, 3)])


def test_clone_contiguous():
    check_op(lambda x: x.clone() * 2, lambda x: x.clone() * 2, [(3, 4)])
    x = ember.randn(3, 4).t()
    assert not x.is_contiguous() and x.contiguous().is_contiguous()


def test_empty_and_size_one_dims():
    check_op(lambda x: x.reshape(0, 3).sum(0), lambda x: x.reshape(0, 3).sum(0), [(0, 3)])
    check_op(lambda x: (x * 2).expand(4, 1, 3), lambda x: (x * 2).expand(4, 1, 3), [(1, 3)])
