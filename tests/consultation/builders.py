"""Halls for tests, built through Wagtail's page tree like staff would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from cms.models import CommunityPage
from consultation.models import HallPage
from portal.models import User

from ..conftest import District, staff_of
from ..factories import resident
from ..helpers import build_site


@dataclass
class HallSite:
    district: District
    community_page: CommunityPage
    hall: HallPage
    alice: User  # verified, 甲社区 grid 1
    bob: User  # verified, 甲社区 grid 1
    carol: User  # verified, 甲社区 grid 2
    outsider: User  # verified, 乙社区
    staff: User  # community staff of 甲社区


def add_hall(
    community_page: CommunityPage, title: str = "83号楼楼顶漏雨维修方案", **fields
) -> HallPage:
    now = timezone.now()
    defaults = {
        "summary": "楼顶漏雨，讨论维修方案。",
        "discussion_opens_at": now - timedelta(days=1),
        "voting_opens_at": now + timedelta(days=6),
        "closes_at": now + timedelta(days=9),
    }
    defaults.update(fields)
    scope = defaults.pop("scope", None)
    slug = f"hall-{HallPage.objects.count() + 1}"
    hall = community_page.add_child(instance=HallPage(title=title, slug=slug, **defaults))
    if scope:
        hall.scope.set(scope)
    hall.save_revision().publish()
    return HallPage.objects.get(pk=hall.pk)


def build_hall_site(**hall_fields) -> HallSite:
    district, _index = build_site()
    community_page = CommunityPage.objects.get(area=district.community_a)
    hall = add_hall(community_page, **hall_fields)
    ca = district.community_a
    return HallSite(
        district=district,
        community_page=community_page,
        hall=hall,
        alice=resident(district.household(ca, 1, "101"), name="Alice"),
        bob=resident(district.household(ca, 1, "102"), name="Bob"),
        carol=resident(district.household(ca, 2, "101"), name="Carol"),
        outsider=resident(district.household(district.community_b, 1, "101"), name="Olga"),
        staff=staff_of(ca),
    )
