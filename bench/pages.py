#!/usr/bin/env python3
"""Server time and query count of the portal's main pages, with production settings.

    .venv/bin/python bench/pages.py [--runs 30] [--profile]

Runs in this process through Django's test client (no network, no nginx): what is
timed is the server's own work for one request, middleware and template included.
Each page is requested `--runs` times after a warm-up; the table gives the median and
the 90th percentile, and the SQL queries of one request.

Pages, all as a verified resident of 居然社区 in the demo district (database
`portal_bench`, shared with bench/votes.py; fixtures are added once and reused):

- the baseline: a plain Wagtail page with one rich-text field (a notice whose body is
  one paragraph);
- the home page, 居然社区's community page, its grid map;
- a deliberation hall with 500 posts (and one with 50, to show the query count is flat);
- the volunteer activity list with 200 upcoming shifts (and with 20).

Target: every page within 2 × the baseline's median, and the same number of queries for
the small and the large list. `--profile` writes a pyinstrument profile of every page
that misses the time target next to the output.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT), str(BENCH_DIR)]

from _common import load_average, percentile, table  # noqa: E402

DB_NAME = "portal_bench"
MARK = "基准"  # prefixes every fixture this script adds, so a rerun finds them


def setup_django():
    """Point Django at the benchmark database; return the Redis process started for it."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY="pages-benchmark-" + "k" * 50,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        DEMO_DATA_ALLOWED="1",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
    )
    # The same cache backend as production, on a Redis of our own: a shared one would
    # mix this database's cached site roots with another site's.
    redis_proc = None
    if "REDIS_URL" not in os.environ:
        import tempfile

        from _common import free_port
        from votes import start_redis

        port = free_port()
        redis_proc = start_redis(port, Path(tempfile.mkdtemp(prefix="portal-pages-")))
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    return redis_proc


def fixtures() -> dict:
    """Pages to measure: {label: url}, plus what the list pages hold."""
    from django.utils import timezone

    from cms.models import CommunityPage, NoticeIndexPage, NoticePage
    from consultation.models import HallPage, Post, Stance
    from portal.models import Area, AreaKind, ResidentProfile, ResidentStatus, User
    from volunteers.models import Activity, ServiceTheme, Shift

    juran = Area.objects.get(kind=AreaKind.COMMUNITY, code__endswith="-juran")
    community_page = CommunityPage.objects.get(area=juran)
    now = timezone.now()

    # The baseline page.
    index = NoticeIndexPage.objects.child_of(community_page).first()
    plain = NoticePage.objects.child_of(index).filter(title=f"{MARK} plain").first()
    if plain is None:
        plain = index.add_child(
            instance=NoticePage(
                title=f"{MARK} plain",
                slug="bench-plain",
                body=[("paragraph", "<p>" + "停水通知：明天上午九点至十二点停水。" * 8 + "</p>")],
            )
        )
        plain.save_revision().publish()

    # Authors for the hall posts: verified residents of 居然社区.
    residents = list(
        User.objects.filter(
            resident_profile__status=ResidentStatus.VERIFIED,
            resident_profile__household__unit__path__startswith=juran.path,
        )[:40]
    )
    if len(residents) < 40:
        from portal.models import Household

        homes = list(Household.objects.filter(unit__path__startswith=juran.path)[:40])
        for i in range(40 - len(residents)):
            user = User.objects.create(
                username=f"pages-{i}-{now:%H%M%S}", email=f"pages-{i}-{now:%H%M%S}@bench.example"
            )
            ResidentProfile.objects.create(
                user=user, household=homes[i], status=ResidentStatus.VERIFIED, decided_at=now
            )
            residents.append(user)
    viewer = residents[0]

    def hall(n: int) -> HallPage:
        page = HallPage.objects.child_of(community_page).filter(slug=f"bench-hall-{n}").first()
        if page is None:
            page = community_page.add_child(
                instance=HallPage(
                    title=f"{MARK} hall {n}",
                    slug=f"bench-hall-{n}",
                    summary="基准测试用的议事厅。",
                    community=juran,
                    discussion_opens_at=now - timedelta(days=1),
                    voting_opens_at=now + timedelta(days=300),
                    closes_at=now + timedelta(days=310),
                )
            )
            page.save_revision().publish()
        have = Post.objects.filter(hall=page).count()
        stances = list(Stance)
        # Four top-level posts out of five, every fifth a reply to the post before it.
        for i in range(have, n):
            parent = None
            if i % 5 == 4:
                parent = Post.objects.filter(hall=page, parent=None).order_by("-id").first()
            Post.objects.create(
                hall=page,
                author=residents[i % len(residents)],
                stance=stances[i % len(stances)],
                body=f"第{i + 1}条意见：" + "楼道灯坏了很久，希望尽快修好。" * 3,
                parent=parent,
                created_at=now - timedelta(minutes=n - i),
            )
        return page

    small_hall, big_hall = hall(50), hall(500)

    def activity(community: Area, n: int) -> Activity:
        title = f"{MARK} activity"
        act = Activity.objects.filter(community=community, title=title).first()
        if act is None:
            act = Activity.objects.create(
                theme=ServiceTheme.objects.order_by("sort_order").first(),
                community=community,
                title=title,
                place="社区服务中心",
                description="基准测试用的志愿活动。",
            )
        upcoming = Shift.objects.filter(activity=act, cancelled=False, ends_at__gt=now)
        if upcoming.count() != n:
            Shift.objects.filter(activity=act).delete()
            Shift.objects.bulk_create(
                Shift(
                    activity=act,
                    starts_at=now + timedelta(days=1, hours=3 * i),
                    ends_at=now + timedelta(days=1, hours=3 * i + 2),
                    capacity=10,
                )
                for i in range(n)
            )
        return act

    # Listing an activity's shifts must not cost a query per shift: the same list is
    # measured with 20 and then 200 upcoming shifts of one activity.
    def shifts(n: int) -> None:
        activity(juran, n)

    def listed_shifts(community: Area) -> int:
        return Shift.objects.filter(
            activity__community=community,
            activity__cancelled=False,
            cancelled=False,
            ends_at__gt=now,
        ).count()

    return {
        "viewer": viewer,
        "pages": [
            ("plain Wagtail page (baseline)", plain.url),
            ("home page", "/"),
            ("community page (居然社区)", community_page.url),
            ("grid map (居然社区)", f"/maps/{juran.pk}/"),
            (f"hall, {Post.objects.filter(hall=small_hall).count()} posts", small_hall.url),
            (f"hall, {Post.objects.filter(hall=big_hall).count()} posts", big_hall.url),
        ],
        "activity_list": f"/volunteers/?community={juran.pk}",
        "set_shifts": shifts,
        "listed_shifts": lambda: listed_shifts(juran),
    }


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # templates compiled, caches filled
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Read now: every request starts by clearing the connection's query log.
    query_count = len(queries.captured_queries)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p90_ms": round(percentile(times, 90) * 1000, 1),
        "queries": query_count,
    }


def profile(client, url: str, out: Path) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(10):
        client.get(url)
    profiler.stop()
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return str(out)


def main() -> int:
    parser = argparse.ArgumentParser(description="Server time and queries of the main pages.")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="profile pages over the target")
    parser.add_argument("--profile-dir", default=str(Path.cwd()))
    args = parser.parse_args()

    redis_proc = setup_django()
    try:
        return run(args)
    finally:
        if redis_proc is not None:
            redis_proc.stop()


def run(args) -> int:
    from django.test import Client

    data = fixtures()
    client = Client()
    client.force_login(data["viewer"])
    results = [(label, url, measure(client, url, args.runs)) for label, url in data["pages"]]
    for n in (20, 200):
        data["set_shifts"](n)
        label = f"activity list, {data['listed_shifts']()} shifts ({n} in one activity)"
        results.append(
            (label, data["activity_list"], measure(client, data["activity_list"], args.runs))
        )
    base = results[0][2]["median_ms"]
    rows = []
    misses = []
    for label, _url, m in results:
        ratio = m["median_ms"] / base
        ok = ratio <= 2.0
        if not ok:
            misses.append((label, _url, ratio))
        rows.append(
            [
                label,
                m["median_ms"],
                m["p90_ms"],
                f"{ratio:.2f}",
                m["queries"],
                "yes" if ok else "no",
            ]
        )
    print(table(["page", "median ms", "p90 ms", "× baseline", "queries", "≤ 2×"], rows))

    def queries_of(prefix: str) -> list[int]:
        return [m["queries"] for label, _u, m in results if label.startswith(prefix)]

    flat = {name: len(set(queries_of(name))) == 1 for name in ("hall,", "activity list,")}
    print()
    for name, is_flat in flat.items():
        print(f"{name.rstrip(',')}: queries {queries_of(name)} → {'flat' if is_flat else 'GROWS'}")
    if args.profile:
        Path(args.profile_dir).mkdir(parents=True, exist_ok=True)
        for label, url, ratio in misses:
            slug = "".join(
                ch if ch.isalnum() else "-" for ch in label.encode("ascii", "ignore").decode()
            ).strip("-")
            path = profile(client, url, Path(args.profile_dir) / f"profile-{slug}.txt")
            print(f"profile of {label} ({ratio:.2f}× baseline): {path}")
    print(f"\n{args.runs} runs per page; load average {load_average()} on {os.cpu_count()} cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
