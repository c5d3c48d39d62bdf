"""Test data builders. Places are built through the same tree API the product uses."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from portal.models import Area, AreaKind, Household, ResidentProfile, ResidentStatus, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    name = factory.Sequence(lambda n: f"居民{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def build_community(street: Area, name: str, code: str, grids: int = 2) -> Area:
    """A community with `grids` grids, each one building of one unit with rooms 101 and 102."""
    community = street.add_area(name=name, kind=AreaKind.COMMUNITY, code=code)
    for g in range(1, grids + 1):
        grid = community.add_area(name=f"第{g}网格", kind=AreaKind.GRID, code=f"{code}-g{g}")
        building = grid.add_area(name=f"{g}号楼", kind=AreaKind.BUILDING, code=f"{code}-b{g}")
        unit = building.add_area(name="1单元", kind=AreaKind.UNIT, code=f"{code}-b{g}-u1")
        for label in ("101", "102"):
            Household.objects.create(unit=unit, label=label, floor_area="80.50")
    return community


def resident(household: Household, status: str = ResidentStatus.VERIFIED, **user_kwargs) -> User:
    user = UserFactory(**user_kwargs)
    ResidentProfile.objects.create(
        user=user,
        household=household,
        status=status,
        decided_at=timezone.now() if status != ResidentStatus.PENDING else None,
    )
    return user
