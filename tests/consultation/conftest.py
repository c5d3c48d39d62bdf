import pytest
from django.test import Client
from django.utils import translation

from .builders import build_hall_site


@pytest.fixture
def site(db):
    return build_hall_site()


@pytest.fixture
def client():
    # Messages are translated when stored, at POST time: ask for English throughout.
    return Client(headers={"accept-language": "en"})


@pytest.fixture(autouse=True)
def english():
    # Rules are asserted by their English message, whatever the catalogue holds today.
    with translation.override("en"):
        yield
