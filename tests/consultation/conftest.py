import pytest

from .builders import build_hall_site


@pytest.fixture
def site(db):
    return build_hall_site()
