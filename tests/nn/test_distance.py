"""pairwise_distance, cosine_similarity, pdist and their modules against PyTorch."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import check_op, torch, require_torch
from tests.nn._nn_common import compare_module

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0}, {"p": 3.0, "keepdim": True},
                                    {"eps": 0.0}])
def test_pairwise_distance(kwargs):
    tF = None if torch is None else torch.nn.functional
    check_op(lambda a, b: F.pairwise_distance(a, b, **kwargs),
             tF and (lambda a, b: tF.pairwise_distance(a, b, **kwargs)),
             shapes=[(5, 4), (5, 4)])
    check_op(lambda a, b: F.pairwise_distance(a, b, **kwargs),
             tF and (lambda a, b: tF.pairwise_distance(a, b, **kwargs)),
             shapes=[(5, 4), (1, 4)])


@pytest.mark.parametrize("shapes,dim", [([(5, 4), (5, 4)], 1), ([(3, 5, 4), (1, 5, 4)], -1),
                                        ([(6, 3), (6, 3)], 0)])
def test_cosine_similarity(shapes, dim):
    tF = None if torch is None else torch.nn.functional
    check_op(lambda a, b: F.cosine_similarity(a, b, dim=dim),
             tF and (lambda a, b: tF.cosine_similarity(a, b, dim=dim)), shapes=shapes)


def test_cosine_similarity_zero_vector_and_modules():
    y = F.cosine_similarity(ember.zeros(2, 3), ember.ones(2, 3))
    assert np.all(np.isfinite(y.numpy())) and np.all(y.numpy() == 0)
    require_torch()
    a, b = RNG.standard_normal((4, 6)), RNG.standard_normal((4, 6))
    compare_module(nn.CosineSimilarity(dim=1), torch.nn.CosineSimilarity(dim=1), [a, b])
    compare_module(nn.PairwiseDistance(p=1.0), torch.nn.PairwiseDistance(p=1.0), [a, b])


def test_pdist():
    tF = None if torch is None else torch.nn.functional
    check_op(F.pdist, tF and tF.pdist, shapes=[(5, 3)])
    check_op(lambda x: F.pdist(x, p=1.0), tF and (lambda x: tF.pdist(x, p=1.0)),
             shapes=[(4, 3)])
    with pytest.raises(RuntimeError, match="2D"):
        F.pdist(ember.zeros(2, 2, 2))
