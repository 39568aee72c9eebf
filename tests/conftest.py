import os

import pytest
from hypothesis import settings, HealthCheck

import ember

# a quick hypothesis profile for CI (2 cores, the whole suite under 20 minutes)
settings.register_profile("ci", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global RNG state."""
    ember.manual_seed(0)
    yield
