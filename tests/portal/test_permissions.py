"""Scope is data: roles reach down the tree from where they are assigned, and no further."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal import services
from portal.models import ResidentProfile, ResidentStatus, Role
from portal.permissions import Action, can, restrict

from ..conftest import staff_of
from ..factories import UserFactory, resident

pytestmark = pytest.mark.django_db


def test_community_staff_manage_their_own_community_only(district):
    staff = staff_of(district.community_a)
    unit_a = district.household(district.community_a).unit
    unit_b = district.household(district.community_b).unit
    assert can(staff, Action.VERIFY_RESIDENTS, unit_a)
    assert can(staff, Action.MANAGE_CONTENT, district.grid(district.community_a, 2))
    assert not can(staff, Action.VERIFY_RESIDENTS, unit_b)
    assert not can(staff, Action.MANAGE_CONTENT, district.community_b)
    # Not upwards either: staff of a community do not manage its sub-district.
    assert not can(staff, Action.MANAGE_CONTENT, district.street_a)


def test_street_admin_reaches_every_community_of_the_street_and_no_other(district):
    admin = staff_of(district.street_a, role=Role.STREET_ADMIN)
    assert can(admin, Action.VERIFY_RESIDENTS, district.community_a)
    assert can(admin, Action.VERIFY_RESIDENTS, district.community_b)
    assert not can(admin, Action.VERIFY_RESIDENTS, district.community_c)


def test_grid_worker_sees_residents_of_the_grid_but_cannot_verify(district):
    worker = staff_of(district.grid(district.community_a, 1), role=Role.GRID_WORKER)
    home = district.household(district.community_a, grid=1)
    assert can(worker, Action.VIEW_RESIDENTS, home.unit)
    assert not can(worker, Action.VERIFY_RESIDENTS, home.unit)
    assert not can(worker, Action.VIEW_RESIDENTS, district.household(district.community_a, 2).unit)


def test_resident_lists_are_restricted_to_the_viewers_community(district):
    in_a = resident(district.household(district.community_a), ResidentStatus.PENDING)
    in_b = resident(district.household(district.community_b), ResidentStatus.PENDING)
    staff = staff_of(district.community_a)
    visible = restrict(
        ResidentProfile.objects.all(), staff, Action.VIEW_RESIDENTS, "household__unit__path"
    )
    assert list(visible) == [in_a.resident_profile]
    assert in_b.resident_profile not in visible


def test_verified_resident_participates_in_areas_that_contain_their_home(district):
    user = resident(district.household(district.community_a, grid=1))
    assert can(user, Action.PARTICIPATE, district.community_a)
    assert can(user, Action.PARTICIPATE, district.grid(district.community_a, 1))
    assert can(user, Action.PARTICIPATE, district.district)
    assert not can(user, Action.PARTICIPATE, district.grid(district.community_a, 2))
    assert not can(user, Action.PARTICIPATE, district.community_b)
    # Residents hold no staff rights at all.
    assert not can(user, Action.VIEW_RESIDENTS, district.community_a)


def test_pending_or_rejected_residents_do_not_participate(district):
    pending = resident(district.household(district.community_a), ResidentStatus.PENDING)
    rejected = resident(
        district.household(district.community_a, label="102"), ResidentStatus.REJECTED
    )
    assert not can(pending, Action.PARTICIPATE, district.community_a)
    assert not can(rejected, Action.PARTICIPATE, district.community_a)


def test_verify_service_refuses_staff_of_another_community(district):
    user = resident(district.household(district.community_b), ResidentStatus.PENDING)
    with pytest.raises(PermissionDenied):
        services.verify_resident(
            actor=staff_of(district.community_a), profile_id=user.resident_profile.pk
        )
    user.resident_profile.refresh_from_db()
    assert user.resident_profile.status == ResidentStatus.PENDING


def test_a_decided_request_cannot_be_decided_again(district):
    user = resident(district.household(district.community_a), ResidentStatus.PENDING)
    staff = staff_of(district.community_a)
    services.verify_resident(actor=staff, profile_id=user.resident_profile.pk)
    with pytest.raises(ValidationError):
        services.reject_resident(actor=staff, profile_id=user.resident_profile.pk, reason="x")
    user.resident_profile.refresh_from_db()
    assert user.resident_profile.status == ResidentStatus.VERIFIED


def test_roles_go_to_the_matching_kind_of_area_and_only_within_the_actors_scope(district):
    staff = staff_of(district.community_a)
    worker = UserFactory()
    with pytest.raises(ValidationError):
        services.assign_role(
            actor=staff, user=worker, role=Role.GRID_WORKER, area=district.community_a
        )
    with pytest.raises(PermissionDenied):
        services.assign_role(
            actor=staff,
            user=worker,
            role=Role.GRID_WORKER,
            area=district.grid(district.community_b),
        )
    assignment = services.assign_role(
        actor=staff, user=worker, role=Role.GRID_WORKER, area=district.grid(district.community_a)
    )
    assert assignment.area == district.grid(district.community_a)
    assert worker.has_perm("wagtailadmin.access_admin")


def test_inactive_or_anonymous_users_may_do_nothing(district):
    from django.contrib.auth.models import AnonymousUser

    staff = staff_of(district.community_a)
    staff.is_active = False
    staff.save()
    assert not can(staff, Action.VIEW_RESIDENTS, district.community_a)
    assert not can(AnonymousUser(), Action.PARTICIPATE, district.community_a)


def assert_refused_by_admin(response):
    # Wagtail admin answers PermissionDenied by sending the user back to the dashboard.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_staff_browse_and_add_households_only_in_their_community(district):
    from decimal import Decimal

    from django.test import Client
    from django.urls import reverse

    from portal.models import Household

    client = Client()
    client.force_login(staff_of(district.community_a))
    url = reverse("portal_places")
    top = client.get(url)
    assert top.status_code == 200
    assert "甲社区" in top.text and "乙社区" not in top.text

    grid = client.get(url, {"area": district.grid(district.community_a).pk})
    assert grid.status_code == 200 and "1号楼" in grid.text
    assert_refused_by_admin(client.get(url, {"area": district.community_b.pk}))

    unit_a = district.household(district.community_a).unit
    response = client.post(f"{url}?area={unit_a.pk}", {"label": "201", "floor_area": "66.5"})
    assert response.status_code == 302
    assert Household.objects.get(unit=unit_a, label="201").floor_area == Decimal("66.50")

    duplicate = client.post(f"{url}?area={unit_a.pk}", {"label": "201"})
    assert duplicate.status_code == 200
    assert duplicate.context["form"].errors
    assert Household.objects.filter(unit=unit_a, label="201").count() == 1

    unit_b = district.household(district.community_b).unit
    assert_refused_by_admin(client.post(f"{url}?area={unit_b.pk}", {"label": "999"}))
    assert not Household.objects.filter(unit=unit_b, label="999").exists()


def test_residents_and_grid_workers_do_not_get_the_places_screen(district):
    from django.test import Client
    from django.urls import reverse

    worker = staff_of(district.grid(district.community_a), role=Role.GRID_WORKER)
    client = Client()
    client.force_login(worker)
    assert_refused_by_admin(client.get(reverse("portal_places")))
    # But a grid worker does see the residents of the grid.
    assert client.get(reverse("portal_admin:residents")).status_code == 200
