import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from tests.helpers import check_op, torch, require_torch

BCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ()), ((1,), (3, 1)),
         ((2, 0, 3), (3,))]


@pytest.mark.parametrize("shapes", BCAST)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary_broadcast(name, shapes):
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b}[name]
    if name == "div":
        a, b = np.random.default_rng(0).standard_normal(shapes[0]), np.random.default_rng(1).uniform(0.5, 2, shapes[1])
        check_op(fn, fn, inputs=[a, b])
    else:
        check_op(fn, fn, shapes)


@pytest.mark.parametrize("c", [2, 2.5, -1.5, 0])
def test_scalar_ops(c):
    fns = [lambda x: x + c, lambda x: c + x, lambda x: x - c, lambda x: c - x, lambda x: x * c,
           lambda x: c * x, lambda x: x / (c or 1), lambda x: (c or 1) / x, lambda x: -x]
    for f in fns:
        check_op(f, f, [(2, 3)], domain="positive")


@pytest.mark.parametrize("e", [2, 3, 0.5, -1.5, 0, 1])
def test_pow_scalar(e):
    check_op(lambda x: x ** e, lambda x: x ** e, [(3, 2)], domain="positive")


def test_pow_tensor_and_rpow():
    check_op(lambda a, b: a ** b, lambda a, b: a ** b, [(3, 4), (4,)], domain="positive")
    check_op(lambda x: 2.0 ** x, lambda x: 2.0 ** x, [(3,)])
    check_op(lambda a, b: ember.pow(a, b), lambda a, b: torch.pow(a, b), [(2, 3), (2, 3)], domain="positive")


UNARY = [("exp", None), ("log", "positive"), ("log1p", "positive"), ("expm1", None), ("sqrt", "positive"),
         ("rsqrt", "positive"), ("abs", None), ("sin", None), ("cos", None), ("tan", "unit"),
         ("tanh", None), ("sigmoid", None), ("relu", None), ("reciprocal", "positive"), ("square", None),
         ("asin", "unit"), ("acos", "unit"), ("atan", None), ("sinh", None), ("cosh", None),
         ("log2", "positive"), ("log10", "positive"), ("exp2", None), ("erf", None)]


@pytest.mark.parametrize("name,domain", UNARY)
def test_unary(name, domain):
    check_op(lambda x: getattr(ember, name)(x), lambda x: getattr(torch, name)(x) if torch else None,
             [(3, 5)], domain=domain, noncontiguous=True)
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [()], domain=domain)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign", "frac"])
def test_piecewise_constant(name):
    check_op(lambda x: getattr(ember, name)(x), lambda x: getattr(torch, name)(x) if torch else None,
             inputs=[np.array([[-2.7, -0.4, 0.3], [1.2, 2.5, 3.7]])], gradcheck=False)


def test_erf_accuracy():
    x = np.linspace(-6, 6, 2001)
    import math
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ember.erf(ember.tensor(x, dtype=ember.float64)).numpy(), ref, atol=3e-7)


def test_clamp():
    x = [np.array([[-2.0, -0.5, 0.2], [0.7, 1.5, 3.0]])]
    check_op(lambda x: x.clamp(-1, 1), lambda x: x.clamp(-1, 1), inputs=x)
    check_op(lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1), inputs=x)
    check_op(lambda x: x.clamp(max=0.1), lambda x: x.clamp(max=0.1), inputs=x)
    check_op(lambda x, lo: ember.clamp(x, min=lo), lambda x, lo: torch.clamp(x, min=lo),
             inputs=[x[0], np.array([0.0, -1.0, 0.5])])
    with pytest.raises(RuntimeError, match="At least one"):
        ember.clamp(ember.ones(2))


def test_maximum_minimum_with_ties():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 3.0, 2.0, -2.0])
    check_op(ember.maximum, torch.maximum if torch else None, inputs=[a, b], gradcheck=False)
    check_op(ember.minimum, torch.minimum if torch else None, inputs=[a, b], gradcheck=False)
    check_op(ember.maximum, torch.maximum if torch else None, [(3, 1), (4,)])


def test_where():
    cond = np.array([[True, False, True], [False, False, True]])
    check_op(lambda a, b: ember.where(ember.from_numpy(cond), a, b),
             lambda a, b: torch.where(torch.from_numpy(cond), a, b), [(2, 3), (3,)])
    check_op(lambda a: ember.where(ember.from_numpy(cond), a, 0.0),
             lambda a: torch.where(torch.from_numpy(cond), a, 0.0), [(2, 3)])


def test_comparisons_and_logic():
    require_torch()
    a = np.array([1.0, 2.0, np.nan, 4.0])
    b = np.array([1.0, 3.0, 2.0, -4.0])
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        e = getattr(ember, op)(ember.tensor(a), ember.tensor(b))
        t = getattr(torch, op)(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
        assert e.dtype == ember.bool
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    x = ember.tensor([True, False, True])
    y = ember.tensor([True, True, False])
    assert (x & y).tolist() == [True, False, False]
    assert (x | y).tolist() == [True, True, True]
    assert (~x).tolist() == [False, True, False]
    assert ember.isnan(ember.tensor(a)).tolist() == [False, False, True, False]


def test_division_variants():
    require_torch()
    a = [7, -7, 5, -5]
    b = [2, 2, -3, -3]
    for mode in (None, "trunc", "floor"):
        e = ember.div(ember.tensor(a), ember.tensor(b), rounding_mode=mode)
        t = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode)
        assert str(e.dtype)[6:] == str(t.dtype)[6:], (mode, e.dtype, t.dtype)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    np.testing.assert_array_equal((ember.tensor(a) // ember.tensor(b)).numpy(), (torch.tensor(a) // torch.tensor(b)).numpy())
    np.testing.assert_array_equal((ember.tensor(a) % 3).numpy(), (torch.tensor(a) % 3).numpy())
    check_op(lambda x, y: x % y, lambda x, y: x % y, inputs=[np.array([3.5, -2.2, 7.1]), np.array([2.0, 1.5, -3.0])])


PROMOTION_CASES = [
    ("float32", 2.5), ("float32", 2), ("int64", 2.5), ("int64", 2), ("bool", 1), ("bool", 1.5),
    ("uint8", 3), ("int32", 2.5), ("float64", 2), ("float16", 2.0),
]


@pytest.mark.parametrize("dt,scalar", PROMOTION_CASES)
def test_type_promotion_with_scalars(dt, scalar):
    require_torch()
    arr = np.array([1, 2, 3]).astype(dt)
    for op in (lambda x: x * scalar, lambda x: scalar + x, lambda x: x / 2, lambda x: x - scalar):
        if dt == "bool" and op(np.ones(1)) is not None and op.__code__.co_code == (lambda x: x - scalar).__code__.co_code:
            with pytest.raises(RuntimeError, match="bool"):
                op(ember.from_numpy(arr.copy()))
            continue
        e = op(ember.from_numpy(arr.copy()))
        t = op(torch.from_numpy(arr.copy()))
        assert str(e.dtype)[6:] == str(t.dtype)[6:], (dt, scalar, e.dtype, t.dtype)
        np.testing.assert_allclose(e.numpy().astype(float), t.numpy().astype(float), rtol=1e-3)


@pytest.mark.parametrize("da,db,shape_b", [("float32", "float64", (3,)), ("int64", "float32", (3,)),
                                          ("float32", "float64", ()), ("int32", "int64", ()),
                                          ("int64", "float64", ()), ("bool", "int64", (3,)),
                                          ("uint8", "int8", (3,))])
def test_type_promotion_tensors(da, db, shape_b):
    require_torch()
    a = np.array([1, 2, 3]).astype(da)
    b = np.ones(shape_b).astype(db)
    e = ember.from_numpy(a) + ember.from_numpy(b)
    t = torch.from_numpy(a) + torch.from_numpy(b)
    assert str(e.dtype)[6:] == str(t.dtype)[6:], (da, db, shape_b, e.dtype, t.dtype)


def test_mixed_dtype_grad():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, dtype=ember.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64


def test_float32_stays_float32():
    x = ember.ones(3)
    for y in (x * 2.5, x + np.float64(1.0), x ** 2, ember.exp(x), x / 3, 1 - x, x.mean(), x.std()):
        assert y.dtype == ember.float32, y


@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.integers(1, 3), min_size=0, max_size=3),
       st.integers(0, 2**16))
def test_broadcasting_hypothesis(sa, sb, seed):
    sa, sb = tuple(sa), tuple(sb)
    # make the pair broadcastable by setting mismatches to 1
    n = min(len(sa), len(sb))
    sb = list(sb)
    for i in range(1, n + 1):
        if sa[-i] != sb[-i]:
            sb[-i] = 1
    sb = tuple(sb)
    check_op(lambda a, b: a * b + b, (lambda a, b: a * b + b) if torch else None, [sa, sb], seed=seed,
             dtypes=("float64",))


# -- the operators' direct path (same-dtype float tensors, Python numbers) ---------------------

@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_operator_direct_path_matches_the_functions(op):
    """``a <op> b`` for float tensors and numbers goes straight to the op; other operand
    kinds (int tensors, mixed dtypes, bools, NumPy scalars) through the full function:
    same values and dtypes as the functional form either way."""
    fn = {"+": ember.add, "-": ember.sub, "*": ember.mul, "/": ember.div}[op]
    f32 = ember.tensor([1.5, -2.0, 4.0])
    cases = [(f32, f32 * 2), (f32, 3), (f32, 2.5), (3, f32), (2.5, f32), (f32, ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)),
             (ember.tensor([1, 2, 3]), 2), (ember.tensor([1, 2, 3]), ember.tensor([3, 2, 1])),
             (f32, np.float32(2.0)), (f32, ember.tensor(2.0)), (f32.double(), 0.1)]
    for a, b in cases:
        got = eval(f"a {op} b")
        want = fn(a, b)
        assert got.dtype == want.dtype and got.shape == want.shape, (a, b)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_operator_direct_path_errors_and_gradients():
    a = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="mul"):
        a * ember.ones(4)
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        ember.tensor([True]) - ember.tensor([False])
    (2.0 - a * 3 / 2.0 + 1 - 4 / (a + 1)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 3), -1.5 + 1.0))


def test_expand_to_on_arrays():
    from ember.ops.elementwise import expand_to
    g = np.float32(2.0)
    out = expand_to(np.asarray(g), (1, 1))        # only size-1 dims: a view
    assert out.shape == (1, 1) and out.dtype == np.float32
    small = expand_to(np.array([1.0, 2.0], np.float32), (3, 2))
    assert small.flags.writeable and small.tolist() == [[1.0, 2.0]] * 3
    big = expand_to(np.array([1.0], np.float32).reshape(1, 1), (300, 300))
    assert big.shape == (300, 300) and float(big.sum()) == 90000.0
