import numpy as np
import pytest

import ember
from tests.helpers import check_op, torch, require_torch

MATMUL = [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
          ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)), ((1, 4), (4, 1))]


@pytest.mark.parametrize("shapes", MATMUL, ids=str)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes, noncontiguous=True)


def test_mm_bmm_mv_dot_outer():
    check_op(ember.mm, torch.mm if torch else None, [(3, 4), (4, 2)])
    check_op(ember.bmm, torch.bmm if torch else None, [(2, 3, 4), (2, 4, 2)])
    check_op(ember.mv, torch.mv if torch else None, [(3, 4), (4,)])
    check_op(ember.dot, torch.dot if torch else None, [(4,), (4,)])
    check_op(ember.outer, torch.outer if torch else None, [(3,), (4,)])


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(3, 4\) and \(5, 6\) cannot be multiplied"):
        ember.ones(3, 4) @ ember.ones(5, 6)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)"):
        ember.mm(ember.ones(3, 4), ember.ones(5, 6))
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.ones(2, 2) @ ember.ones(2, 2, dtype=ember.float64)


EINSUM = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ij->ji", [(3, 4)]),
          ("ij->", [(3, 4)]), ("i,j->ij", [(3,), (4,)]), ("ij,ij->i", [(3, 4), (3, 4)]), ("ij,jk", [(3, 4), (4, 2)]),
          ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]), ("ijk->k", [(2, 3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)])]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    check_op(lambda *xs: ember.einsum(eq, *xs), (lambda *xs: torch.einsum(eq, *xs)) if torch else None, shapes)


