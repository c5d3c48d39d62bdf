"""Volunteering pages over HTTP: no JavaScript needed; bad input gets a clear message."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from portal.models import ResidentStatus
from volunteers import services
from volunteers.models import Shift, Signup, SignupStatus, VolunteerProfile

from ..conftest import staff_of
from ..factories import resident
from .conftest import make_activity, make_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def volunteer(district):
    return resident(district.household(district.community_a))


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def test_activity_list_filters_by_colour_date_and_grid(district, activity):
    green = make_activity(
        district.community_a,
        slug="green",
        title="Saturday clean-up",
        grid=district.grid(district.community_a, 2),
    )
    make_shift(activity, in_hours=24)
    make_shift(green, in_hours=72)
    make_activity(district.community_a, title="No shifts yet")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = text(client.get(reverse("volunteers:list")))
    assert activity.title in page and "Saturday clean-up" in page and "No shifts yet" not in page
    page = text(client.get(reverse("volunteers:colour", args=["green"])))
    assert activity.title not in page and "Saturday clean-up" in page
    assert "Clean and green" in page  # colour named in words, not only shown
    day = timezone.localdate(timezone.now() + timedelta(hours=72))
    page = text(client.get(reverse("volunteers:list"), {"date": day.isoformat()}))
    assert activity.title not in page and "Saturday clean-up" in page
    grid1 = district.grid(district.community_a, 1)
    page = text(client.get(reverse("volunteers:list"), {"grid": grid1.pk}))
    assert activity.title in page and "Saturday clean-up" not in page
    assert client.get(reverse("volunteers:colour", args=["purple"])).status_code == 404


def test_detail_shows_free_seats_and_full_shifts_offer_the_waitlist(district, activity, volunteer):
    shift = make_shift(activity, capacity=1)
    client = client_for(volunteer)
    page = text(client.get(reverse("volunteers:activity", args=[activity.pk])))
    assert "1 of 1 seats free" in page
    services.sign_up(user=resident(district.household(district.community_a, 2)), shift=shift)
    page = text(client.get(reverse("volunteers:activity", args=[activity.pk])))
    assert "full — join waitlist" in page and "Join the waiting list" in page


def test_sign_up_and_cancel_by_form_post(activity, volunteer):
    shift = make_shift(activity, capacity=1)
    client = client_for(volunteer)
    response = client.post(reverse("volunteers:sign_up", args=[shift.pk]), follow=True)
    assert "You are signed up" in text(response)
    signup = Signup.objects.get(user=volunteer, shift=shift)
    response = client.post(reverse("volunteers:cancel", args=[signup.pk]), follow=True)
    assert "Your sign-up is cancelled" in text(response)
    shift.refresh_from_db()
    assert shift.taken == 0


def test_full_shift_puts_the_volunteer_on_the_waitlist_with_position(district, activity, volunteer):
    shift = make_shift(activity, capacity=1)
    services.sign_up(user=resident(district.household(district.community_a, 2)), shift=shift)
    response = client_for(volunteer).post(
        reverse("volunteers:sign_up", args=[shift.pk]), follow=True
    )
    assert "You are number 1 on the waiting list" in text(response)


@pytest.mark.parametrize(
    "case", ["past", "cancelled", "out_of_scope", "twice", "overlap", "unverified"]
)
def test_bad_sign_ups_get_a_clear_message_and_change_nothing(district, activity, volunteer, case):
    shift = make_shift(activity)
    user = volunteer
    expected = {
        "past": "already started",
        "cancelled": "has been cancelled",
        "out_of_scope": "for residents of",
        "twice": "already signed up",
        "overlap": "already have a shift at that time",
        "unverified": "Only verified residents",
    }[case]
    if case == "past":
        Shift.objects.filter(pk=shift.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    elif case == "cancelled":
        Shift.objects.filter(pk=shift.pk).update(cancelled=True)
    elif case == "out_of_scope":
        shift = make_shift(make_activity(district.community_c))
    elif case == "twice":
        services.sign_up(user=user, shift=shift)
    elif case == "overlap":
        services.sign_up(
            user=user, shift=make_shift(make_activity(district.community_a, title="b"), in_hours=47)
        )
    elif case == "unverified":
        user = resident(district.household(district.community_a, 2), ResidentStatus.PENDING)
    before = list(Signup.objects.values_list("pk", "status"))
    response = client_for(user).post(reverse("volunteers:sign_up", args=[shift.pk]), follow=True)
    assert expected in text(response)
    assert list(Signup.objects.values_list("pk", "status")) == before


def test_cancel_after_the_cut_off_over_http_is_refused(activity, volunteer):
    shift = make_shift(activity)
    signup = services.sign_up(user=volunteer, shift=shift)
    Shift.objects.filter(pk=shift.pk).update(starts_at=timezone.now() + timedelta(minutes=90))
    response = client_for(volunteer).post(
        reverse("volunteers:cancel", args=[signup.pk]), follow=True
    )
    assert "too late to cancel" in text(response)
    signup.refresh_from_db()
    assert signup.status == SignupStatus.CONFIRMED


def test_anonymous_visitors_are_sent_to_log_in(activity):
    shift = make_shift(activity)
    client = Client()
    response = client.post(reverse("volunteers:sign_up", args=[shift.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Signup.objects.exists()


def test_a_verified_resident_joins_from_a_page(district, volunteer):
    client = client_for(volunteer)
    assert client.get(reverse("volunteers:join")).status_code == 200
    response = client.post(
        reverse("volunteers:join"),
        {
            "themes": ["1"],
            "skills": "first aid",
            "availability": "evenings",
            "phone": "13812345678",
        },
    )
    assert response.status_code == 302
    profile = VolunteerProfile.objects.get(user=volunteer)
    assert profile.phone == "13812345678" and profile.skills == "first aid"
    pending = resident(district.household(district.community_a, 2), ResidentStatus.PENDING)
    page = text(client_for(pending).get(reverse("volunteers:join")))
    assert "Only verified residents can join" in page
    client_for(pending).post(reverse("volunteers:join"), {"skills": "x"})
    assert not VolunteerProfile.objects.filter(user=pending).exists()


def test_phone_is_shown_to_organisers_only(district, activity, volunteer, staff):
    services.join_volunteers(user=volunteer, phone="13812345678")
    shift = make_shift(activity)
    services.sign_up(user=volunteer, shift=shift)
    assert "13812345678" in text(
        client_for(staff).get(reverse("volunteers:roster", args=[shift.pk]))
    )
    other = resident(district.household(district.community_a, 2))
    assert client_for(other).get(reverse("volunteers:roster", args=[shift.pk])).status_code == 403
    assert "13812345678" not in text(
        client_for(other).get(reverse("volunteers:activity", args=[activity.pk]))
    )


def test_shift_ics_and_personal_feed_parse_as_icalendar(activity, volunteer):
    shift = make_shift(activity)
    services.sign_up(user=volunteer, shift=shift)
    response = Client().get(reverse("volunteers:shift_ics", args=[shift.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    assert events[0].decoded("dtstart") == shift.starts_at.replace(microsecond=0)
    assert activity.title in str(events[0]["summary"])
    token = VolunteerProfile.objects.get(user=volunteer).calendar_token
    feed = Calendar.from_ical(Client().get(reverse("volunteers:feed", args=[token])).content)
    assert [str(e["uid"]) for e in feed.walk("VEVENT")] == [f"shift-{shift.pk}@testserver"]
    assert Client().get(reverse("volunteers:feed", args=["wrong"])).status_code == 404


def test_roster_csv_and_message_are_for_the_activitys_managers(
    district, activity, volunteer, staff, mailoutbox, django_capture_on_commit_callbacks
):
    shift = make_shift(activity)
    services.sign_up(user=volunteer, shift=shift)
    response = client_for(staff).get(reverse("volunteers:roster_csv", args=[shift.pk]))
    body = response.content.decode("utf-8-sig")
    assert volunteer.email in body and "Confirmed" in body
    outsider = staff_of(district.community_b)
    assert (
        client_for(outsider).get(reverse("volunteers:roster_csv", args=[shift.pk])).status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("volunteers:message", args=[shift.pk]),
            {"subject": "Bring gloves", "body": "Thanks"},
        )
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[volunteer.email]]
    assert (
        client_for(outsider)
        .post(reverse("volunteers:message", args=[shift.pk]), {"subject": "x", "body": "y"})
        .status_code
        == 403
    )
    assert len(mailoutbox) == 1


def test_community_page_lists_upcoming_activities():
    from ..helpers import build_site

    site_district, _index = build_site()
    community = site_district.community_a
    act = make_activity(community, title="Evening patrol")
    make_shift(act)
    page = text(Client(HTTP_ACCEPT_LANGUAGE="en").get("/ca/"))
    assert "Volunteering" in page and "Evening patrol" in page
