"""ember/__init__.py: every lazily imported name exists."""
import importlib

import pytest

import ember


@pytest.mark.parametrize("name", sorted(ember._LAZY))
def test_every_lazy_name_imports(name):
    obj = getattr(ember, name)
    assert obj is not None
    if name not in ("save", "load", "summary"):  # functions; the rest are subpackages
        assert obj is importlib.import_module(f"ember.{name}")


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_module'"):
        ember.no_such_module
