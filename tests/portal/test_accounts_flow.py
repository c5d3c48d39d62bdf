"""Sign-up → e-mail confirmation → household choice → staff verification, over HTTP."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.models import ResidentProfile, ResidentStatus

from ..conftest import staff_of

pytestmark = pytest.mark.django_db

PICKER = reverse("portal:choose_household")


def picker_query(district, community, grid=1):
    unit = district.household(community, grid).unit
    building = unit.get_parent()
    return {
        "community": community.pk,
        "grid": building.get_parent().pk,
        "building": building.pk,
        "unit": unit.pk,
    }


def sign_up_and_confirm(client: Client, email: str) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": email,
            "name": "刘淑芬",
            "password1": "a-long-pass-2026",
            "password2": "a-long-pass-2026",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    confirm = client.post(link.group(1))
    assert confirm.status_code == 302


def test_new_resident_signs_up_confirms_chooses_household_and_is_verified(district):
    client = Client()
    sign_up_and_confirm(client, "liu@example.org")

    # Logged in after confirming; the account page asks where they live.
    page = client.get(reverse("portal:my_account"))
    assert page.status_code == 200
    assert "刘淑芬" in page.text
    assert PICKER in page.text

    # Step by step down the tree (no JavaScript needed): each step offers the next level.
    step = client.get(PICKER)
    assert "甲社区" in step.text and "丙社区" in step.text
    query = picker_query(district, district.community_a)
    step = client.get(PICKER, {"community": query["community"]})
    assert "第1网格" in step.text
    household = district.household(district.community_a)
    form = client.get(PICKER, query)
    assert f'value="{household.pk}"' in form.text

    response = client.post(
        PICKER + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        {"community": district.community_a.pk, "household": household.pk},
    )
    assert response.status_code == 302
    profile = ResidentProfile.objects.get(user__email="liu@example.org")
    assert profile.household == household
    assert profile.status == ResidentStatus.PENDING
    assert 'data-status="pending"' in client.get(reverse("portal:my_account")).text

    # Staff of that community see the request in their queue and verify it.
    staff = staff_of(district.community_a)
    staff_client = Client()
    staff_client.force_login(staff)
    queue = staff_client.get(reverse("portal_admin:residents"))
    assert queue.status_code == 200
    assert "liu@example.org" in queue.text
    staff_client.post(reverse("portal_admin:verify", args=[profile.pk]))
    profile.refresh_from_db()
    assert profile.status == ResidentStatus.VERIFIED
    assert profile.decided_by == staff

    page = client.get(reverse("portal:my_account"))
    assert 'data-status="verified"' in page.text


def test_staff_reject_needs_a_reason_and_the_resident_sees_it(district):
    user_client = Client()
    sign_up_and_confirm(user_client, "wrong@example.org")
    query = picker_query(district, district.community_a)
    user_client.post(
        PICKER + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        {
            "community": district.community_a.pk,
            "household": district.household(district.community_a).pk,
        },
    )
    profile = ResidentProfile.objects.get(user__email="wrong@example.org")
    staff_client = Client()
    staff_client.force_login(staff_of(district.community_a))

    staff_client.post(reverse("portal_admin:reject", args=[profile.pk]), {"reason": "  "})
    profile.refresh_from_db()
    assert profile.status == ResidentStatus.PENDING

    staff_client.post(
        reverse("portal_admin:reject", args=[profile.pk]), {"reason": "查无此户，请核对门牌号"}
    )
    profile.refresh_from_db()
    assert profile.status == ResidentStatus.REJECTED
    assert "查无此户" in user_client.get(reverse("portal:my_account")).text


def test_household_outside_the_chosen_community_is_refused(district):
    client = Client()
    sign_up_and_confirm(client, "mixed@example.org")
    query = picker_query(district, district.community_a)
    other = district.household(district.community_b)
    response = client.post(
        PICKER + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        {"community": district.community_a.pk, "household": other.pk},
    )
    assert response.status_code == 200
    assert "household" in response.context["form"].errors
    assert "errorlist" in response.text
    assert not ResidentProfile.objects.filter(user__email="mixed@example.org").exists()


def test_unknown_household_is_refused_with_a_form_error(district):
    client = Client()
    sign_up_and_confirm(client, "ghost@example.org")
    query = picker_query(district, district.community_a)
    response = client.post(
        PICKER + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        {"community": district.community_a.pk, "household": 999999},
    )
    assert response.status_code == 200
    assert "household" in response.context["form"].errors
    assert not ResidentProfile.objects.exists()


def test_picker_refuses_a_grid_from_another_community(district):
    client = Client()
    sign_up_and_confirm(client, "hop@example.org")
    response = client.get(
        PICKER,
        {"community": district.community_a.pk, "grid": district.grid(district.community_b).pk},
    )
    assert response.status_code == 200
    # The bad step is dropped: the page asks for a grid of community A again.
    assert f'value="{district.grid(district.community_a).pk}"' in response.text
    assert f'value="{district.grid(district.community_b).pk}"' not in response.text


def test_staff_cannot_verify_a_resident_of_another_community(district):
    from ..factories import resident

    user = resident(district.household(district.community_b), status=ResidentStatus.PENDING)
    staff_client = Client()
    staff_client.force_login(staff_of(district.community_a))
    assert user.email not in staff_client.get(reverse("portal_admin:residents")).text
    response = staff_client.post(
        reverse("portal_admin:verify", args=[user.resident_profile.pk]), follow=True
    )
    assert response.status_code == 200
    user.resident_profile.refresh_from_db()
    assert user.resident_profile.status == ResidentStatus.PENDING


def test_household_choice_needs_login(district):
    response = Client().get(PICKER)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
