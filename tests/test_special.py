"""ember.special against finite differences and torch.special (float64 and float32)."""
import numpy as np
import pytest

import ember
import ember.special as S
from tests.helpers import check_op, torch, require_torch

TS = torch.special if torch is not None else None


def _t(name, *args):
    return (lambda *a: getattr(TS, name)(*args, *a)) if TS is not None else None


UNARY = [("gammaln", (0.1, 8.0)), ("gammaln", (-3.7, -3.2)), ("digamma", (0.2, 30.0)),
         ("digamma", (-2.8, -2.2)), ("erfcx", (-3.0, 30.0)), ("erfinv", (-0.9, 0.9)),
         ("expit", None), ("log_ndtr", (-40.0, 6.0)), ("ndtr", None), ("ndtri", (0.05, 0.95)),
         ("entr", (0.1, 3.0)), ("sinc", None), ("logit", (0.05, 0.95))]


@pytest.mark.parametrize("name,domain", UNARY, ids=[f"{n}{d}" for n, d in UNARY])
def test_unary(name, domain):
    check_op(getattr(S, name), _t(name), [(3, 5)], domain=domain, gradcheck_atol=1e-4)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma(n):
    check_op(lambda x: S.polygamma(n, x), _t("polygamma", n), [(4, 3)], domain=(0.3, 25.0),
             gradcheck_atol=1e-4)


def test_binary_and_multigammaln():
    check_op(S.xlogy, _t("xlogy"), [(3, 4), (3, 4)], domain="positive")
    check_op(S.xlog1py, _t("xlog1py"), [(3, 4), (4,)], domain="positive")
    check_op(lambda x: S.multigammaln(x, 3), _t("multigammaln") and (lambda x: TS.multigammaln(x, 3)),
             [(2, 3)], domain=(1.5, 5.0))
    check_op(lambda x: S.logit(x, eps=0.2), lambda x: TS.logit(x, eps=0.2) if TS else None,
             [(3, 4)], domain=(0.05, 0.95), gradcheck=False)


def test_extreme_values_match_torch():
    require_torch()
    x = np.array([-1e3, -200.0, -38.5, -30.0, -29.9, -5.0, 0.0, 1e-8, 5.0, 40.0])
    for name in ("log_ndtr", "erfcx", "expit"):  # (ndtr: torch underflows to 0 below -28)
        np.testing.assert_allclose(getattr(S, name)(ember.tensor(x)).numpy(),
                                   getattr(TS, name)(torch.tensor(x)).numpy(), rtol=1e-12,
                                   err_msg=name)
    g = np.array([1.0, 2.0, 0.5, 1e-5, 150.0, 171.5, 1e4, -0.5, -10.5])
    np.testing.assert_allclose(S.gammaln(ember.tensor(g)).numpy(), TS.gammaln(torch.tensor(g)).numpy(),
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(S.digamma(ember.tensor(g)).numpy(), TS.digamma(torch.tensor(g)).numpy(),
                               rtol=1e-12, atol=1e-13)
    poles = ember.tensor([0.0, -1.0, -2.0])
    assert np.isinf(S.gammaln(poles).numpy()).all()


def test_dtype_and_second_derivative():
    x = ember.tensor([0.5, 2.0], dtype=ember.float32)
    assert S.gammaln(x).dtype == ember.float32 and S.digamma(x).dtype == ember.float32
    y = ember.tensor([0.7, 3.0], dtype=ember.float64, requires_grad=True)
    ember.autograd.gradgradcheck(S.gammaln, (y,))
    ember.autograd.gradgradcheck(S.log_ndtr, (y,))
    with pytest.raises(RuntimeError, match="negative n"):
        S.polygamma(-1, y)
