from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal import services
from portal.models import Area, AreaKind, Household, Role

from .factories import UserFactory, build_community


@dataclass
class District:
    district: Area
    street_a: Area
    street_b: Area
    community_a: Area  # in street A
    community_b: Area  # in street A
    community_c: Area  # in street B

    def household(self, community: Area, grid: int = 1, label: str = "101") -> Household:
        return Household.objects.get(unit__code=f"{community.code}-b{grid}-u1", label=label)

    def grid(self, community: Area, number: int = 1) -> Area:
        return Area.objects.get(code=f"{community.code}-g{number}")


def make_district() -> District:
    district = Area.add_root(name="测试区", kind=AreaKind.DISTRICT, code="t")
    street_a = district.add_area(name="甲街道", kind=AreaKind.STREET, code="t-a")
    street_b = district.add_area(name="乙街道", kind=AreaKind.STREET, code="t-b")
    community_a = build_community(street_a, "甲社区", "t-a-ca")
    community_b = build_community(street_a, "乙社区", "t-a-cb")
    community_c = build_community(street_b, "丙社区", "t-b-cc")
    return District(district, street_a, street_b, community_a, community_b, community_c)


@pytest.fixture(autouse=True)
def _fresh_site_roots():
    """Wagtail caches the site roots; a test that rebuilt the page tree must not see
    the previous test's roots (page URLs would come out as None)."""
    from wagtail.models import Site

    Site.clear_site_root_paths_cache()
    yield


@pytest.fixture
def district(db) -> District:
    return make_district()


def staff_of(area: Area, role: str = Role.COMMUNITY_STAFF, **kwargs):
    user = UserFactory(**kwargs)
    services.assign_role(actor=None, user=user, role=role, area=area)
    return user
