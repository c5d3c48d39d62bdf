import pytest
from django.core.cache import cache
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


@pytest.fixture(autouse=True)
def fresh_site_roots():
    # Test sites are made with Site.objects.update(), which sends no signal to clear
    # Wagtail's cached site roots; leave none behind for the next test to trip on.
    cache.delete("wagtail_site_root_paths")
    yield
    cache.delete("wagtail_site_root_paths")
