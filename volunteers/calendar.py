"""iCalendar files for shifts, and the QR code that opens a shift's check-in page."""

from __future__ import annotations

import io

import segno
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from icalendar import Calendar, Event

from .models import Shift


def build(shifts: list[Shift], request: HttpRequest) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Yinzhou portal//volunteering//")
    cal.add("version", "2.0")
    for shift in shifts:
        activity = shift.activity
        event = Event()
        event.add("uid", f"shift-{shift.pk}@{request.get_host()}")
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("summary", f"{activity.theme.colour_label} · {activity.title}")
        event.add("location", activity.place)
        event.add(
            "url", request.build_absolute_uri(reverse("volunteers:activity", args=[activity.pk]))
        )
        if shift.cancelled:
            event.add("status", "CANCELLED")
        cal.add_component(event)
    return cal.to_ical()


def response(shifts: list[Shift], filename: str, request: HttpRequest) -> HttpResponse:
    result = HttpResponse(build(shifts, request), content_type="text/calendar; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result


def qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, xmldecl=False, svgns=True)
    return out.getvalue().decode()
