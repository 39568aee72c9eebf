"""The ``out=`` keyword (ember/ops/_out.py): PyTorch's semantics for every op that has it."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import require_torch

OPS_WITH_OUT = [
    ("add", lambda m, a, b: (a, b)), ("sub", lambda m, a, b: (a, b)), ("mul", lambda m, a, b: (a, b)),
    ("div", lambda m, a, b: (a, b)), ("pow", lambda m, a, b: (a.abs(), b)), ("atan2", lambda m, a, b: (a, b)),
    ("maximum", lambda m, a, b: (a, b)), ("eq", lambda m, a, b: (a, b)), ("exp", lambda m, a, b: (a,)),
    ("sqrt", lambda m, a, b: (a.abs(),)), ("floor", lambda m, a, b: (a,)), ("sigmoid", lambda m, a, b: (a,)),
    ("clamp", lambda m, a, b: (a, -0.5, 0.5)), ("where", lambda m, a, b: (a > 0, a, b)),
    ("sum", lambda m, a, b: (a, 1)), ("mean", lambda m, a, b: (a, 0)), ("prod", lambda m, a, b: (a, 1)),
    ("amax", lambda m, a, b: (a, 1)), ("argmax", lambda m, a, b: (a, 1)), ("cumsum", lambda m, a, b: (a, 1)),
    ("logsumexp", lambda m, a, b: (a, 1)), ("std", lambda m, a, b: (a, 1)),
    ("matmul", lambda m, a, b: (a, b.T)), ("mm", lambda m, a, b: (a, b.T)),
    ("cat", lambda m, a, b: ([a, b],)), ("stack", lambda m, a, b: ([a, b],)), ("tril", lambda m, a, b: (a,)),
    ("index_select", lambda m, a, b: (a, 1, m.tensor([0, 2]))),
]


@pytest.mark.parametrize("name,args", OPS_WITH_OUT, ids=[o[0] for o in OPS_WITH_OUT])
def test_out_matches_torch_and_returns_out(name, args):
    torch = require_torch()
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    expect = getattr(torch, name)(*args(torch, torch.tensor(A), torch.tensor(B)))
    out = ember.empty(0, dtype=ember.float64 if expect.is_floating_point() else
                      getattr(ember, str(expect.dtype).split(".")[-1]))
    got = getattr(ember, name)(*args(ember, ember.tensor(A), ember.tensor(B)), out=out)
    assert got is out
    assert tuple(out.shape) == tuple(expect.shape) and str(out.dtype)[6:] == str(expect.dtype)[6:]
    np.testing.assert_allclose(out.numpy(), expect.numpy(), rtol=1e-12)


def test_out_writes_into_existing_storage_and_bumps_version():
    out = ember.zeros(3)
    view = out[1:]
    v0 = out._version
    ember.add(ember.ones(3), 1, out=out)
    assert view.tolist() == [2.0, 2.0] and out._version > v0


def test_out_is_resized_with_pytorch_warning_unless_empty():
    a = ember.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.add(a, a, out=ember.empty(0))  # empty: resized silently
    with pytest.warns(UserWarning, match="resized since it had shape \\[2\\]"):
        out = ember.add(a, a, out=ember.empty(2))
    assert out.shape == (3,)


def test_out_dtype_rules_follow_pytorch():
    a = ember.ones(3)
    with pytest.raises(RuntimeError, match="add.*Float can't be cast to the desired output type Long"):
        ember.add(a, a, out=ember.empty(3, dtype=ember.int64))
    assert ember.add(a.long(), 1, out=ember.empty(3)).dtype == ember.float32  # int result into float: cast
    assert ember.add(a, a, out=ember.empty(3, dtype=ember.float64)).dtype == ember.float64
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.add(a.long(), 1, out=ember.empty(3, dtype=ember.bool))


def test_out_refuses_autograd_like_pytorch():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="add\\(\\): functions with out=... arguments don't support automatic"):
        ember.add(w, 1, out=ember.empty(3))
    with pytest.raises(RuntimeError, match="matmul"):
        ember.matmul(ember.ones(2, 3), ember.ones(3, requires_grad=True), out=ember.empty(2))
    with ember.no_grad():  # no graph recorded: allowed
        assert ember.add(w, 1, out=ember.empty(3)).tolist() == [2.0, 2.0, 2.0]


def test_out_tuple_for_ops_with_several_outputs():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = ember.empty(0), ember.empty(0, dtype=ember.int64)
    r = ember.max(x, 1, out=(values, indices))
    assert r.values is values and r.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]


def test_out_keyword_on_module_functions_and_operators_unaffected():
    c = ember.empty(2)
    assert ember.ops.elementwise.add(ember.ones(2), ember.ones(2), out=c) is c
    a = ember.ones(2)
    assert (a + a).tolist() == [2.0, 2.0]  # operators bypass the wrapper
    assert ember.add.__wrapped__(a, a).tolist() == [2.0, 2.0]


OUT_NAMES = ("add sub mul div true_divide floor_divide remainder fmod pow neg negative exp exp2 log log2 log10 "
             "log1p expm1 sqrt rsqrt square abs absolute sign sgn sin cos tan asin acos atan sinh cosh atan2 floor "
             "ceil round trunc frac reciprocal clamp clip maximum minimum fmax fmin where eq ne lt le gt ge "
             "logical_and logical_or logical_xor logical_not bitwise_not lerp addcmul addcdiv nan_to_num signbit "
             "erfinv xlogy hypot deg2rad rad2deg sum nansum mean nanmean var std prod max min amax amin aminmax "
             "argmax argmin logsumexp norm cumsum cumprod all any median mode matmul mm bmm mv dot outer addmm "
             "baddbmm tensordot sigmoid tanh cat concat stack tril triu gather index_select masked_select take "
             "zeros ones empty full arange linspace logspace eye rand randn randint randperm").split()


@pytest.mark.parametrize("name", OUT_NAMES)
def test_every_pytorch_function_with_out_takes_it(name):
    assert hasattr(getattr(ember, name), "__wrapped__"), f"ember.{name} has no out= keyword"


@pytest.mark.parametrize("name,call", [
    ("sum", lambda m, x, o: m.sum(x, 1, out=o)), ("prod", lambda m, x, o: m.prod(x, 1, out=o)),
    ("cumsum", lambda m, x, o: m.cumsum(x, 1, out=o)), ("mean", lambda m, x, o: m.mean(x, 1, out=o)),
    ("exp", lambda m, x, o: m.exp(x, out=o)), ("amax", lambda m, x, o: m.amax(x, 1, out=o)),
    ("argmax", lambda m, x, o: m.argmax(x, 1, out=o)), ("matmul", lambda m, x, o: m.matmul(x, x, out=o)),
    ("eq", lambda m, x, o: m.eq(x, x, out=o)), ("std", lambda m, x, o: m.std(x, 1, out=o)),
])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float64"])
def test_out_dtype_policy_per_op_matches_torch(name, call, dtype):
    """PyTorch's ops differ: sum/prod/cumsum compute in out's dtype, amax/argmax/matmul need
    it exact, the rest allow the casts ``torch.can_cast`` allows."""
    torch = require_torch()
    data = np.array([[1.5, 2.5], [1.0, 1.0]], dtype=np.float32)
    try:
        expect = call(torch, torch.tensor(data), torch.empty(0, dtype=getattr(torch, dtype)))
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            call(ember, ember.tensor(data), ember.empty(0, dtype=getattr(ember, dtype)))
        return
    got = call(ember, ember.tensor(data), ember.empty(0, dtype=getattr(ember, dtype)))
    assert str(got.dtype)[6:] == str(expect.dtype)[6:]
    np.testing.assert_allclose(got.numpy(), expect.numpy(), rtol=1e-6)


def test_expanded_out_raises_runtime_error():
    out = ember.zeros(1).expand(3)
    with pytest.raises(RuntimeError, match="add.*single memory location"):
        ember.add(ember.ones(3), 1, out=out)
