"""LBFGS against torch.optim.LBFGS on a Rosenbrock-like function, with and without the
strong-Wolfe line search."""
import copy

import numpy as np
import pytest

import ember
from tests.helpers import require_torch, torch

B = 10.0  # a milder Rosenbrock valley: fixed-step L-BFGS stays stable on it
X0 = np.array([-1.2, 1.0, -0.5, 0.8, 1.3, -0.7])


def rosenbrock(x):
    """Extended Rosenbrock plus a small quartic (float64 math); returns (f, grad)."""
    x = x.astype(np.float64)
    a, b = x[:-1], x[1:]
    f = np.sum(B * (b - a ** 2) ** 2 + (1 - a) ** 2) + 0.01 * np.sum(x ** 4)
    g = np.zeros_like(x)
    g[:-1] += -4 * B * a * (b - a ** 2) - 2 * (1 - a)
    g[1:] += 2 * B * (b - a ** 2)
    g += 0.04 * x ** 3
    return f, g


def ember_closure(opt, p):
    def closure():
        opt.zero_grad()
        f, g = rosenbrock(p._data)
        p.grad = ember.tensor(g.astype(p._data.dtype))
        return ember.tensor(f, dtype=ember.float64)
    return closure


def torch_closure(opt, p):
    def closure():
        opt.zero_grad()
        f, g = rosenbrock(p.detach().numpy())
        p.grad = torch.from_numpy(g.astype(p.detach().numpy().dtype))
        return torch.tensor(f, dtype=torch.float64)
    return closure


KW = [dict(), dict(line_search_fn="strong_wolfe"),
      dict(lr=0.5, max_iter=5, history_size=3),
      dict(line_search_fn="strong_wolfe", history_size=4, max_iter=7, max_eval=9),
      dict(line_search_fn="strong_wolfe", tolerance_grad=1e-3, tolerance_change=1e-4)]


def _run_pair(kw, dtype, steps):
    ep = ember.tensor(X0.astype(dtype), requires_grad=True)
    tp = torch.tensor(X0.astype(dtype), requires_grad=True)
    eo, to = ember.optim.LBFGS([ep], **kw), torch.optim.LBFGS([tp], **kw)
    ec, tc = ember_closure(eo, ep), torch_closure(to, tp)
    losses = [(float(eo.step(ec)), float(to.step(tc))) for _ in range(steps)]
    return ep, tp, eo, to, losses


@pytest.mark.parametrize("kw", KW, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items())
                         or "default")
def test_lbfgs_matches_torch_float64(kw):
    require_torch()
    ep, tp, eo, to, losses = _run_pair(kw, np.float64, steps=4)
    for el, tl in losses:
        assert el == pytest.approx(tl, rel=1e-9)
    np.testing.assert_allclose(ep._data, tp.detach().numpy(), rtol=1e-9, atol=1e-9)
    es, ts = eo.state[ep], to.state[tp]
    assert es["func_evals"] == ts["func_evals"]
    assert es["n_iter"] == ts["n_iter"]
    assert len(es["old_dirs"]) == len(ts["old_dirs"])
    np.testing.assert_allclose(es["d"]._data, ts["d"].numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kw", KW[:4], ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items())
                         or "default")
def test_lbfgs_matches_torch_float32(kw):
    """float32: the first iterations agree to rounding; L-BFGS on a curved valley
    amplifies last-bit differences mid-run (PyTorch fuses a*x+y into FMAs), so the
    runs are compared where they have converged."""
    require_torch()
    ep, tp, *_ = _run_pair(dict(kw, max_iter=1), np.float32, steps=3)
    np.testing.assert_allclose(ep._data, tp.detach().numpy(), rtol=1e-6, atol=1e-6)
    ep, tp, eo, to, losses = _run_pair(kw, np.float32, steps=4)
    assert ep._data.dtype == np.float32
    assert losses[-1][0] == pytest.approx(losses[-1][1], rel=1e-4, abs=1e-6)
    np.testing.assert_allclose(ep._data, tp.detach().numpy(), rtol=2e-4, atol=2e-4)


def test_lbfgs_converges_and_resumes():
    x = ember.tensor(X0, requires_grad=True)
    opt = ember.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=50)
    closure = ember_closure(opt, x)
    for _ in range(2):
        opt.step(closure)
    f, _ = rosenbrock(x._data)
    assert f < 1e-3 + rosenbrock(np.ones(6) * 0.99)[0]

    # resume from a state dict == uninterrupted
    a = ember.tensor(X0, requires_grad=True)
    oa = ember.optim.LBFGS([a], max_iter=5)
    ref = ember.tensor(X0, requires_grad=True)
    oref = ember.optim.LBFGS([ref], max_iter=5)
    for _ in range(4):
        oref.step(ember_closure(oref, ref))
    for _ in range(2):
        oa.step(ember_closure(oa, a))
    sd = copy.deepcopy(oa.state_dict())
    b = ember.tensor(a._data.copy(), requires_grad=True)
    ob = ember.optim.LBFGS([b], max_iter=5)
    ob.load_state_dict(sd)
    for _ in range(2):
        ob.step(ember_closure(ob, b))
    np.testing.assert_array_equal(b._data, ref._data)


def test_lbfgs_errors():
    x = ember.tensor(X0, requires_grad=True)
    with pytest.raises(ValueError, match="line_search_fn"):
        ember.optim.LBFGS([x], line_search_fn="armijo")
    with pytest.raises(ValueError, match="parameter groups"):
        ember.optim.LBFGS([{"params": [x]}, {"params": [ember.zeros(2, requires_grad=True)]}])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        ember.optim.LBFGS([x], lr=-1)
    with pytest.raises(TypeError, match="closure"):
        ember.optim.LBFGS([x]).step()


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_autograd_two_params(line_search_fn):
    """Closure written with each library's own ops and autograd; two parameters."""
    require_torch()

    def make(lib):
        a = lib.tensor(X0[:3].copy(), requires_grad=True)
        b = lib.tensor(X0[3:].copy(), requires_grad=True)
        opt = lib.optim.LBFGS([a, b], history_size=5, max_iter=10,
                              line_search_fn=line_search_fn)

        def closure():
            opt.zero_grad()
            x = lib.cat([a, b])
            u, v = x[:-1], x[1:]
            loss = (B * (v - u ** 2) ** 2 + (1 - u) ** 2).sum() + 0.01 * (x ** 4).sum()
            loss.backward()
            return loss
        return a, b, opt, closure

    ea, eb, eo, ec = make(ember)
    ta, tb, to, tc = make(torch)
    for _ in range(3):
        el = eo.step(ec)
        tl = to.step(tc)
        assert float(el) == pytest.approx(float(tl.detach()), rel=1e-8)
    np.testing.assert_allclose(ea._data, ta.detach().numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(eb._data, tb.detach().numpy(), rtol=1e-7, atol=1e-9)
    assert eo.state[ea]["func_evals"] == to.state[ta]["func_evals"]
