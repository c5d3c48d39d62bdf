"""Two server processes share PostgreSQL and Redis: a ballot cast on one reaches a
subscriber of the other, and a subscriber that drops and comes back on the other
process catches up from its snapshot.

Both servers are fresh daphne interpreters on the test database, as in production
behind a load balancer. Nothing is published from the test process: the only way an
event reaches process B is from process A through Redis.
"""

from __future__ import annotations

import http.client
import json
import os
import re
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from websockets.sync.client import connect

from consultation import poll_services as ps

from ..conftest import make_district, staff_of
from ..factories import resident

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two server processes need one shared database: PostgreSQL",
    ),
    pytest.mark.skipif(not REDIS_URL, reason="events cross between processes through Redis"),
]

EVENT_WAIT = 5  # seconds: a cross-process event arrives in milliseconds when all is well


@pytest.fixture(scope="module")
def servers(django_db_setup):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    # Imported here: the module also brings in the browser driver, needed by none of this.
    from ..e2e.base import DaphneServer

    started = []
    try:
        for _ in range(2):
            server = DaphneServer(redis_url=REDIS_URL)
            server.start()
            started.append(server)
        yield started
    finally:
        for server in started:
            server.stop()


def login_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://") + "/ws/live/"


@contextmanager
def subscribed(server, cookie: str, topic: str):
    """A socket on `server` as the cookie's user, subscribed to `topic`: (socket, snapshot)."""
    with connect(ws_url(server), origin=server.url, additional_headers={"Cookie": cookie}) as ws:
        ws.send(json.dumps({"action": "subscribe", "topic": topic}))
        message = json.loads(ws.recv(timeout=EVENT_WAIT))
        assert message["type"] == "snapshot", message
        assert message["topic"] == topic
        yield ws, message["data"]


def next_event(ws) -> dict:
    while True:
        message = json.loads(ws.recv(timeout=EVENT_WAIT))
        assert message["type"] != "error", message
        if message["type"] == "event":
            return message["event"]


def vote_over_http(server, cookie: str, poll_id: int, option_id: int) -> None:
    """Vote as a browser would: load the poll page for the CSRF token, post the form."""
    host = urlsplit(server.url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    try:
        conn.request("GET", f"/polls/{poll_id}/", headers={"Cookie": cookie})
        page = conn.getresponse()
        html = page.read().decode()
        assert page.status == 200, (page.status, html[:500])
        csrf_cookie = next(
            value.split(";")[0]
            for name, value in page.getheaders()
            if name.lower() == "set-cookie" and value.startswith(settings.CSRF_COOKIE_NAME + "=")
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        body = urlencode({"option": option_id, "csrfmiddlewaretoken": token})
        conn.request(
            "POST",
            f"/polls/{poll_id}/vote/",
            body=body,
            headers={
                "Cookie": f"{cookie}; {csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": server.url,
            },
        )
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 302, answer.status
        assert urlsplit(answer.getheader("Location")).path == f"/polls/{poll_id}/"
    finally:
        conn.close()


def test_ballot_on_one_process_reaches_a_subscriber_of_the_other_who_catches_up_after_a_drop(
    servers,
):
    a, b = servers
    district = make_district()
    ca = district.community_a
    staff = staff_of(ca)
    alice = resident(district.household(ca, 1, "101"), name="Alice")
    bob = resident(district.household(ca, 1, "102"), name="Bob")
    carol = resident(district.household(ca, 2, "101"), name="Carol")  # only watches
    now = timezone.now()
    poll = ps.create_poll(
        actor=staff,
        community=ca,
        question="小区停车位划线方案",
        kind="single",
        options=["方案一", "方案二"],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
    )
    first, second = poll.options.order_by("position").values_list("pk", flat=True)
    topic = ps.poll_topic(poll.pk)
    watcher = login_cookie(carol)

    with subscribed(b, watcher, topic) as (ws, snapshot):
        assert snapshot["ballots"] == 0
        vote_over_http(a, login_cookie(alice), poll.pk, first)
        event = next_event(ws)
    assert event["poll"] == poll.pk
    assert event["ballots"] == 1
    assert {o["id"]: o["votes"] for o in event["options"]} == {first: 1, second: 0}

    # While the watcher is away, Bob votes on process B; nobody is subscribed to hear it.
    vote_over_http(b, login_cookie(bob), poll.pk, second)

    # Back on the other process, the snapshot alone brings the watcher up to date.
    with subscribed(a, watcher, topic) as (ws, snapshot):
        assert snapshot["ballots"] == 2
        assert {o["id"]: o["votes"] for o in snapshot["options"]} == {first: 1, second: 1}
        assert snapshot["eligible"] == 3

        # And live again from there on: Carol's own ballot on B reaches her socket on A.
        vote_over_http(b, watcher, poll.pk, first)
        event = next_event(ws)
    assert event["ballots"] == 3
    assert {o["id"]: o["votes"] for o in event["options"]} == {first: 2, second: 1}
