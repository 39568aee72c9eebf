"""The :class:`Optimizer` base class: parameter groups, per-parameter state, closures,
hooks and a ``state_dict`` laid out exactly like PyTorch's.

Every concrete optimizer (``SGD``, ``Adam``, ...) updates the raw backend arrays in place
(``p._data``, ``p.grad._data`` and its state arrays) without going through autograd, using
``out=`` ufuncs and a few reusable scratch buffers, so one step on a model with N
parameters allocates no new N-sized arrays after the first.
"""
import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import get_array_module

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter that each parameter group has to give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_TENSOR = None


def _tensor_cls():
    global _TENSOR
    if _TENSOR is None:
        from ..tensor import Tensor
        _TENSOR = Tensor
    return _TENSOR


def _is_tensor(x):
    return isinstance(x, _tensor_cls())


def _wrap(arr):
    """An ember Tensor around ``arr`` (no copy)."""
    return _tensor_cls()._wrap(arr)


def _to_float(x):
    """A hyperparameter (Python number or 1-element Tensor) as a Python float."""
    if _is_tensor(x):
        return float(x._data.reshape(()))
    return float(x)


class _RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` unregisters."""
    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks = hooks_dict
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _wrap_step(step_fn):
    """Run ``step`` under ``no_grad`` with the step pre/post hooks, and remember that it
    was called (the LR schedulers warn when ``scheduler.step()`` comes first)."""
    if getattr(step_fn, "_ember_wrapped_step", False):
        return step_fn

    @functools.wraps(step_fn)
    def step(self, *args, **kwargs):
        if self.__dict__.get("_in_step", False):   # a subclass calling super().step()
            return step_fn(self, *args, **kwargs)
        for hook in list(self._optimizer_step_pre_hooks.values()):
            res = hook(self, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {res}.")
                args, kwargs = res
        self._opt_called = True
        self._in_step = True
        try:
            with no_grad():
                out = step_fn(self, *args, **kwargs)
        finally:
            self._in_step = False
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step._ember_wrapped_step = True
    return step


class Optimizer:
    """Base class of all optimizers.

    Args:
        params (iterable): Tensors to optimize, or dicts defining parameter groups
            (``{"params": [...], "lr": 0.1}``); a group's missing hyperparameters are
            taken from ``defaults``. ``(name, tensor)`` pairs (``named_parameters()``)
            are accepted too and the names are kept in ``param_names``.
        defaults (dict): default hyperparameters of the optimizer.

    Attributes:
        param_groups (list[dict]): the groups, each with its ``params`` and options.
        state (defaultdict[Tensor, dict]): per-parameter state (moment buffers, step
            counters), keyed by the parameter Tensor itself; state arrays are Tensors.
        defaults (dict): the default hyperparameters.

    Example:
        >>> opt = ember.optim.SGD([{"params": model.base.parameters()},
        ...                        {"params": model.head.parameters(), "lr": 1e-3}],
        ...                       lr=1e-2, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _wrap_step(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._init_hooks()
        if _is_tensor(params):
            raise TypeError("params argument given to the optimizer should be an iterable "
                            f"of Tensors or dicts, but got {type(params).__name__}")
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable "
                            "of Tensors or dicts, but got a dict (wrap one group in a list)")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch_bufs = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    def _init_hooks(self):
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_optimizer_step_pre_hooks" not in self.__dict__:
            self._init_hooks()
        self.__dict__.setdefault("_scratch_bufs", {})

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``params`` and optional hyperparameters),
        e.g. to start training layers that were frozen so far.

        Raises:
            TypeError: ``param_group`` is not a dict, or a param is not a Tensor.
            ValueError: a parameter is already in another group, or a required
                hyperparameter is missing.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if _is_tensor(params):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names, tensors = [], []
        for item in params:
            if isinstance(item, tuple):
                names.append(item[0])
                tensors.append(item[1])
            else:
                tensors.append(item)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not _is_tensor(p):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__module__ + "." + type(p).__name__)
            if not self.defaults.get("differentiable", None) and not (
                    getattr(p, "is_leaf", True) or getattr(p, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        existing = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not existing.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set ``.grad`` to None (default) instead of filling it
                with zeros. Parameters whose grad is None are skipped by ``step()``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if getattr(g, "grad_fn", None) is not None:
                        g = g.detach()
                        p.grad = g
                    g._data.fill(0)

    def step(self, closure=None):
        """Perform one optimization step (implemented by each optimizer).

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss.
        """
        raise NotImplementedError

    @staticmethod
    def _eval_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` runs
        before each ``step``. Returns a handle with ``remove()``."""
        h = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None`` runs after each ``step``."""
        h = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds its result."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> None or new state_dict``."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> None or new state_dict`` before loading."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _register(hooks, hook, prepend):
        h = _RemovableHandle(hooks)
        hooks[h.id] = hook
        if prepend:
            hooks.move_to_end(h.id, last=False)
        return h

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """The optimizer's state as a dict laid out like PyTorch's:

        ``{"state": {0: {"step": ..., "exp_avg": Tensor, ...}, 1: {...}},
        "param_groups": [{"lr": 0.01, ..., "params": [0, 1]}, ...]}``

        Parameters are replaced by their index in the order of ``param_groups``. The
        state Tensors are the live ones (not copies), as in PyTorch: serialise the dict
        (``ember.save``) or deepcopy it before stepping again if you keep it in memory.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        packed_state = {(mapping[id(k)] if _is_tensor(k) else k): v
                        for k, v in self.state.items()}
        sd = {"state": packed_state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            res = hook(self, sd)
            if res is not None:
                sd = res
        return sd

    def load_state_dict(self, state_dict):
        """Load a state from :meth:`state_dict` (this optimizer's or PyTorch-layout).

        Parameters are matched by position; state Tensors are copied and cast to their
        parameter's dtype (``step`` counters are kept as they are), so the loaded
        optimizer shares no arrays with ``state_dict`` and continues the run exactly.
        Call it after creating any LR scheduler (which sets ``initial_lr``).

        Raises:
            ValueError: the number of groups or of parameters in a group differs.
        """
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            res = hook(self, state_dict)
            if res is not None:
                state_dict = res
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)} vs {len(groups)} in the optimizer)")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group ({len(sg['params'])} "
                                 f"vs {len(g['params'])} parameters)")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = _cast_state(p, v, None)
            else:
                state[k] = deepcopy(v)

        new_groups = []
        for g, sg in zip(groups, saved_groups):
            sg["params"] = g["params"]
            if "param_names" in g and "param_names" not in sg:
                sg["param_names"] = g["param_names"]
            new_groups.append(sg)
        self.state = state
        self.param_groups = new_groups
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # ------------------------------------------------------------------ helpers
    def _scratch(self, slot, like, dtype=None):
        """A reusable scratch array shaped like ``like`` (contents undefined), of
        ``like``'s dtype unless ``dtype`` is given. Slots are independent; a slot's
        buffer grows to the largest parameter seen (it is not part of the state)."""
        dtype = like.dtype if dtype is None else np.dtype(dtype)
        key = (slot, dtype, type(like))
        buf = self._scratch_bufs.get(key)
        n = like.size
        if buf is None or buf.size < n:
            xp = get_array_module(like)
            buf = xp.empty(n, dtype=dtype)
            self._scratch_bufs[key] = buf
        return buf[:n].reshape(like.shape)

    def _grad_with_decay(self, p_arr, g_arr, weight_decay, maximize, scratch=None):
        """``(-grad if maximize else grad) + weight_decay * param`` as PyTorch computes
        it; the gradient array itself when neither applies (never modified). ``scratch``:
        the calling thread's buffer source (default: this optimizer's)."""
        scratch = scratch or self._scratch
        if weight_decay == 0:
            if not maximize:
                return g_arr
            out = scratch(0, g_arr)
            get_array_module(g_arr).negative(g_arr, out=out)
            return out
        xp = get_array_module(g_arr)
        out = scratch(0, g_arr)
        xp.multiply(p_arr, p_arr.dtype.type(weight_decay), out=out)
        if maximize:
            xp.subtract(out, g_arr, out=out)
        else:
            xp.add(g_arr, out, out=out)
        return out

    def _params_with_grad(self, group):
        for p in group["params"]:
            g = p.grad
            if g is not None:
                yield p, p._data, g._data


def _cast_state(param, value, key):
    """Deep-copy a saved state value, casting Tensors/arrays to ``param``'s dtype and
    device (except the ``step`` counter)."""
    if _is_tensor(value) or isinstance(value, np.ndarray):
        arr = value._data if _is_tensor(value) else value
        pa = param._data
        if key != "step" and arr.dtype.kind == "f" and pa.dtype.kind == "f":
            arr = arr.astype(pa.dtype, copy=True)
        else:
            arr = arr.copy()
        if key != "step" and get_array_module(pa) is not get_array_module(arr):
            from ..backend import device_of, to_device_array
            arr = to_device_array(arr, device_of(pa))
        return _wrap(arr)
    if hasattr(value, "__array__") and not isinstance(value, np.generic) and hasattr(value, "shape"):
        # an array-like from elsewhere (e.g. a PyTorch tensor in a PyTorch checkpoint)
        return _cast_state(param, np.array(value), key)  # host: another framework's tensor
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v, None) for v in value)
    return deepcopy(value)
