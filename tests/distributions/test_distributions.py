"""ember.distributions against torch.distributions: log_prob (values and parameter
gradients), entropy, mean, variance, KL; sample statistics; validation."""
import numpy as np
import pytest

import ember
import ember.distributions as ED
from tests.helpers import check_op, torch, require_torch

TD = torch.distributions if torch is not None else None
R = np.random.default_rng(0)


def _pos(*shape, lo=0.5, hi=2.5):
    return R.uniform(lo, hi, shape)


def _simplex(*shape):
    p = R.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


# name, parameter arrays (positional), value array, kwargs names (None: positional)
CASES = {
    "Normal": ([R.standard_normal((2, 3)), _pos(2, 3)], R.standard_normal((4, 2, 3)), None),
    "Laplace": ([R.standard_normal(3), _pos(3)], R.standard_normal((2, 3)), None),
    "Exponential": ([_pos(3)], _pos(2, 3), None),
    "Uniform": ([R.uniform(-2, -1, 3), R.uniform(1, 2, 3)], R.uniform(-0.9, 0.9, (2, 3)), None),
    "Bernoulli": ([R.uniform(0.2, 0.8, 4)], (R.random((3, 4)) > 0.5).astype(np.float64), ["probs"]),
    "Bernoulli_logits": ([R.standard_normal(4)], (R.random((3, 4)) > 0.5).astype(np.float64), ["logits"]),
    "Categorical": ([_simplex(2, 4)], np.array([[0, 3], [2, 1], [1, 1]]), ["probs"]),
    "Categorical_logits": ([R.standard_normal((2, 4))], np.array([[0, 3], [2, 1]]), ["logits"]),
    "OneHotCategorical": ([_simplex(2, 4)], np.eye(4)[[[0, 3], [2, 1]]], ["probs"]),
    "Beta": ([_pos(3), _pos(3)], R.uniform(0.1, 0.9, (2, 3)), None),
    "Gamma": ([_pos(3), _pos(3)], _pos(2, 3), None),
    "Dirichlet": ([_pos(2, 3)], _simplex(2, 3), None),
    "Poisson": ([_pos(3, lo=1, hi=4)], np.array([[0.0, 2.0, 5.0]]), None),
}


def _build(lib, name, kw):
    cls = getattr(lib, name.split("_")[0])

    def make(*params):
        return cls(**dict(zip(kw, params))) if kw else cls(*params)
    return make


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_entropy_moments_match_torch(name):
    params, value, kw = CASES[name]
    em, tm = _build(ED, name, kw), (_build(TD, name, kw) if TD else None)
    val_e = ember.tensor(value)
    val_t = torch.tensor(value) if torch else None
    discrete = name.startswith(("Categorical", "Bernoulli", "OneHot", "Poisson"))
    check_op(lambda *p: em(*p).log_prob(val_e.to(p[0].dtype) if not name.startswith("Categorical") else val_e),
             (lambda *p: tm(*p).log_prob(val_t.to(p[0].dtype) if not name.startswith("Categorical") else val_t))
             if tm else None, inputs=params, gradcheck_atol=1e-4)
    if name != "Poisson":
        check_op(lambda *p: em(*p).entropy(), (lambda *p: tm(*p).entropy()) if tm else None,
                 inputs=params, gradcheck_atol=1e-4)
    if not name.startswith("Categorical"):
        check_op(lambda *p: em(*p).mean, (lambda *p: tm(*p).mean) if tm else None, inputs=params,
                 gradcheck=False)
        check_op(lambda *p: em(*p).variance, (lambda *p: tm(*p).variance) if tm else None,
                 inputs=params, gradcheck=False)
    d = em(*[ember.tensor(p) for p in params])
    s = d.sample((2,))
    assert tuple(s.shape) == (2,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert not s.requires_grad
    if discrete:
        assert bool(d.support.check(s).all())


def test_multivariate_normal_matches_torch():
    d = 3
    loc = R.standard_normal((2, d))
    a = R.standard_normal((d, d))
    cov = a @ a.T + d * np.eye(d)
    value = R.standard_normal((4, 2, d))
    for kind in ("covariance_matrix", "precision_matrix", "scale_tril"):
        mat = np.linalg.cholesky(cov) if kind == "scale_tril" else cov

        def e(l_, m):
            return ED.MultivariateNormal(l_, **{kind: m})

        def t(l_, m):
            return TD.MultivariateNormal(l_, **{kind: m})
        check_op(lambda l_, m: e(l_, m).log_prob(ember.tensor(value).to(l_.dtype)),
                 (lambda l_, m: t(l_, m).log_prob(torch.tensor(value).to(l_.dtype))) if TD else None,
                 inputs=[loc, mat], gradcheck=False)
        check_op(lambda l_, m: e(l_, m).entropy(), (lambda l_, m: t(l_, m).entropy()) if TD else None,
                 inputs=[loc, mat], gradcheck=False)
    mvn = ED.MultivariateNormal(ember.tensor(loc), ember.tensor(cov))
    np.testing.assert_allclose(mvn.covariance_matrix.numpy()[0], cov, atol=1e-12)
    np.testing.assert_allclose(mvn.variance.numpy()[1], np.diag(cov), atol=1e-12)
    # finite differences through the Cholesky route
    l_ = ember.tensor(np.linalg.cholesky(cov), requires_grad=True)
    ember.autograd.gradcheck(lambda m: ED.MultivariateNormal(ember.tensor(loc), scale_tril=m, validate_args=False)
                             .log_prob(ember.tensor(value)), (l_,), atol=1e-5)


def test_independent():
    loc, scale = R.standard_normal((3, 4)), _pos(3, 4)
    value = R.standard_normal((2, 3, 4))
    check_op(lambda m, s: ED.Independent(ED.Normal(m, s), 1).log_prob(ember.tensor(value).to(m.dtype)),
             (lambda m, s: TD.Independent(TD.Normal(m, s), 1).log_prob(torch.tensor(value).to(m.dtype)))
             if TD else None, inputs=[loc, scale])
    d = ED.Independent(ED.Normal(ember.tensor(loc), ember.tensor(scale)), 2)
    assert tuple(d.batch_shape) == () and tuple(d.event_shape) == (3, 4)
    assert tuple(d.entropy().shape) == () and tuple(d.rsample((5,)).shape) == (5, 3, 4)


KL_PAIRS = [("Normal", 2), ("Laplace", 2), ("Exponential", 1), ("Bernoulli", 1), ("Categorical", 1),
            ("OneHotCategorical", 1), ("Beta", 2), ("Gamma", 2), ("Dirichlet", 1), ("Poisson", 1)]


@pytest.mark.parametrize("name,n", KL_PAIRS, ids=[p[0] for p in KL_PAIRS])
def test_kl_matches_torch(name, n):
    p_params, _, kw = CASES[name]
    q_params = [p[::-1].copy() if p.ndim == 1 else p[::-1].copy() for p in p_params]
    em, tm = _build(ED, name, kw), (_build(TD, name, kw) if TD else None)
    check_op(lambda *a: ED.kl_divergence(em(*a[:n]), em(*a[n:])),
             (lambda *a: TD.kl_divergence(tm(*a[:n]), tm(*a[n:]))) if tm else None,
             inputs=list(p_params) + q_params, gradcheck_atol=1e-4)


def test_kl_uniform_mvn_independent_and_missing():
    require_torch()
    e = ED.kl_divergence(ED.Uniform(ember.tensor([0.0, -1.0]), ember.tensor([1.0, 0.5])),
                         ED.Uniform(ember.tensor([-1.0, 0.0]), ember.tensor([2.0, 3.0])))
    t = TD.kl_divergence(TD.Uniform(torch.tensor([0.0, -1.0]), torch.tensor([1.0, 0.5])),
                         TD.Uniform(torch.tensor([-1.0, 0.0]), torch.tensor([2.0, 3.0])))
    np.testing.assert_allclose(e.numpy(), t.numpy())  # the second is inf: q misses part of p
    d = 3
    a, b = R.standard_normal((d, d)), R.standard_normal((d, d))
    ca, cb = a @ a.T + np.eye(d), b @ b.T + np.eye(d)
    la, lb = R.standard_normal(d), R.standard_normal((2, d))
    e = ED.kl_divergence(ED.MultivariateNormal(ember.tensor(la), ember.tensor(ca)),
                         ED.MultivariateNormal(ember.tensor(lb), ember.tensor(cb)))
    t = TD.kl_divergence(TD.MultivariateNormal(torch.tensor(la), torch.tensor(ca)),
                         TD.MultivariateNormal(torch.tensor(lb), torch.tensor(cb)))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10)
    m, s = R.standard_normal((2, 3)), _pos(2, 3)
    e = ED.kl_divergence(ED.Independent(ED.Normal(ember.tensor(m), ember.tensor(s)), 1),
                         ED.Independent(ED.Normal(ember.tensor(s), ember.tensor(s + 1)), 1))
    t = TD.kl_divergence(TD.Independent(TD.Normal(torch.tensor(m), torch.tensor(s)), 1),
                         TD.Independent(TD.Normal(torch.tensor(s), torch.tensor(s + 1)), 1))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="Normal and q type Gamma"):
        ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Gamma(1.0, 1.0))

    class MyNormal(ED.Normal):
        pass
    assert float(ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(0.0, 1.0))) == 0.0

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)
    assert float(ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(0.0, 1.0))) == 42.0


N = 40000


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Exponential", "Uniform", "Bernoulli",
                                  "Beta", "Gamma", "Dirichlet", "Poisson", "OneHotCategorical"])
def test_sample_statistics(name):
    params, _, kw = CASES[name]
    d = _build(ED, name, kw)(*[ember.tensor(p) for p in params])
    s = d.sample((N,)).numpy()
    mean, var = d.mean.numpy(), d.variance.numpy()
    se = np.sqrt(var / N)
    assert np.all(np.abs(s.mean(0) - mean) < 5 * se + 1e-12), (s.mean(0), mean)
    np.testing.assert_allclose(s.var(0), var, rtol=0.1)


def test_categorical_sample_frequencies():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    s = ED.Categorical(ember.tensor(p)).sample((N,)).numpy()
    assert s.dtype == np.int64
    freq = np.bincount(s, minlength=4) / N
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / N))


def test_mvn_sample_covariance():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    s = ED.MultivariateNormal(ember.tensor([1.0, -1.0], dtype=ember.float64),
                              ember.tensor(cov)).sample((N,)).numpy()
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.05)
    np.testing.assert_allclose(s.mean(0), [1.0, -1.0], atol=0.05)


NR = 20000  # rsample gradients: the implicit Gamma gradient costs more per draw


def test_rsample_gradients_are_reparameterised():
    """d/dparam E[f(x)] estimated from rsample gradients equals the analytic derivative."""
    a = ember.tensor([2.0, 0.7], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([3.0, 1.5], dtype=ember.float64, requires_grad=True)
    ED.Gamma(a, b).rsample((NR,)).mean(0).sum().backward()   # E = a / b
    np.testing.assert_allclose(a.grad.numpy(), 1 / b.detach().numpy(), rtol=0.03)
    np.testing.assert_allclose(b.grad.numpy(), -a.detach().numpy() / b.detach().numpy() ** 2, rtol=0.03)
    a.grad = b.grad = None
    ED.Beta(a, b).rsample((NR,)).mean(0).sum().backward()    # E = a / (a + b)
    an, bn = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), bn / (an + bn) ** 2, rtol=0.05)
    c = ember.tensor([1.5, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    (ED.Dirichlet(c).rsample((NR,))[:, 0].mean()).backward()   # E[x0] = c0 / sum c
    cn = c.detach().numpy()
    expect = -cn[0] / cn.sum() ** 2 * np.ones(3)
    expect[0] += 1 / cn.sum()
    np.testing.assert_allclose(c.grad.numpy(), expect, rtol=0.1, atol=2e-3)
    loc = ember.tensor([0.5], requires_grad=True)
    scale = ember.tensor([2.0], requires_grad=True)
    x = ED.Normal(loc, scale).rsample((8,))
    (x.sum()).backward()
    assert float(loc.grad) == 8.0 and scale.grad is not None


def test_standard_gamma_grad_matches_torch():
    require_torch()
    from ember.distributions.gamma import standard_gamma_grad
    alpha = np.array([0.05, 0.5, 1.0, 3.0, 20.0, 150.0])
    z = np.array([1e-3, 0.3, 1.2, 2.0, 25.0, 140.0])
    np.testing.assert_allclose(standard_gamma_grad(alpha, z),
                               torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(z)).numpy(),
                               rtol=2e-3)


def test_validation():
    with pytest.raises(ValueError, match=r"Expected parameter scale .* constraint GreaterThan"):
        ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))
    ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)  # no check
    with pytest.raises(ValueError, match="within the support"):
        ED.Bernoulli(probs=ember.tensor([0.5])).log_prob(ember.tensor([0.5]))
    with pytest.raises(ValueError, match="within the support"):
        ED.Categorical(probs=ember.tensor([0.5, 0.5])).log_prob(ember.tensor(2))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        ED.Categorical()
    with pytest.raises(ValueError, match="Expected parameter probs"):
        ED.Categorical(probs=ember.tensor([[-1.0, 2.0]]))
    try:
        ED.Distribution.set_default_validate_args(False)
        assert np.isinf(ED.Uniform(0.0, 1.0).log_prob(ember.tensor(2.0)).numpy())
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(NotImplementedError, match="rsample"):
        ED.Categorical(logits=ember.zeros(3)).rsample()


def test_shapes_expand_enumerate_repr():
    require_torch()
    e = ED.Normal(ember.zeros(3), ember.ones(3)).expand((2, 3))
    assert tuple(e.batch_shape) == (2, 3)
    c = ED.Categorical(logits=ember.zeros(2, 4))
    assert tuple(c.enumerate_support().shape) == tuple(TD.Categorical(logits=torch.zeros(2, 4))
                                                      .enumerate_support().shape)
    assert repr(ED.Normal(ember.zeros(2), ember.ones(2))).replace("ember", "torch") == \
        repr(TD.Normal(torch.zeros(2), torch.ones(2)))
    assert tuple(ED.Bernoulli(logits=ember.zeros(3)).enumerate_support().shape) == (2, 3)
    assert tuple(ED.OneHotCategorical(logits=ember.zeros(3)).enumerate_support().shape) == (3, 3)
    m = ED.Categorical(logits=ember.tensor([0.0, 1.0]))
    assert int(m.mode) == 1 and np.isnan(m.mean.numpy()).all()


def test_seeded_samples_equal_torch():
    """Normal, Uniform, Laplace and MultivariateNormal draw as torch.distributions does."""
    require_torch()
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    cases = [("Normal", lambda L, t: L.Normal(t(np.zeros(3)), t(np.ones(3) * 2))),
             ("Uniform", lambda L, t: L.Uniform(t(-np.ones(3)), t(np.ones(3) * 2))),
             ("Laplace", lambda L, t: L.Laplace(t(np.zeros(3)), t(np.ones(3)))),
             ("MVN", lambda L, t: L.MultivariateNormal(t(np.zeros(2)), t(cov)))]
    for name, make in cases:
        for dt in (np.float32, np.float64):
            ember.manual_seed(3)
            e = make(ED, lambda a: ember.tensor(a.astype(dt))).rsample((4,))
            torch.manual_seed(3)
            t = make(TD, lambda a: torch.tensor(a.astype(dt))).rsample((4,))
            np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5 if dt == np.float32 else 1e-12,
                                       err_msg=f"{name} {dt.__name__}")
