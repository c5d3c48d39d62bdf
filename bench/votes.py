#!/usr/bin/env python3
"""Votes under load, against the production setup (nginx + app servers + PostgreSQL + Redis).

    .venv/bin/python bench/votes.py                    # C = 50 and 200, then the Redis fault
    .venv/bin/python bench/votes.py --compare-servers  # which HTTP server the setup should use

What it does, all on this machine and in one run:

1. creates (once) the PostgreSQL database `portal_bench`, migrates it and loads the demo
   district; starts a private Redis on a free port (so stopping it touches nobody else);
2. starts `deploy/serve_prod.py` against them, on free ports;
3. for each concurrency C: makes fresh verified residents of 居然社区 (logged in by
   writing their sessions directly) and a fresh open poll; every voter loads the poll
   page (for its CSRF token), then all of them cast one ballot each, C at a time, over
   HTTP through nginx: ballots/s, p50/p95/p99, errors;
4. measures a minimal Django view and a bare ASGI hello-world the same way: same
   nginx template, same gunicorn settings (uvicorn for the hello-world), same clients;
5. checks every poll: ballots rows = counters = a fresh recount (`tally`), no accepted
   ballot missing, none counted twice;
6. faults: stops Redis in the middle of a vote run, checks that ballots keep being
   accepted and counted and that /healthz says 503 until Redis is back, then 200; then
   kills one HTTP worker in the middle of another run: every ballot answered 302 must be
   stored, and the other workers (and the one the master starts anew) go on.

The load clients (aiohttp, --clients processes) run on the same two cores as the
servers and take a share of the CPU; every figure here is lower than what the servers
would do on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT), str(BENCH_DIR)]

from _common import free_port, load_average, summary_ms, table, wait_http  # noqa: E402

PYTHON = sys.executable
BIN = Path(sys.executable).parent
DB_NAME = "portal_bench"
TOKEN_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- processes ---------------------------------------------------------------


class Proc:
    """A child process we started and stop again by its own pid."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        out = self.log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        return self

    def stop(self, timeout: float = 30) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def base_env(db_url: str, redis_url: str, secret: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secret,
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        DEMO_DATA_ALLOWED="1",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def start_redis(port: int, run_dir: Path) -> Proc:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    argv = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = Proc("redis", argv, dict(os.environ), run_dir / "redis.log").start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import redis

            if redis.Redis(port=port, socket_connect_timeout=0.3).ping():
                return proc
        except Exception:  # noqa: S110 - still starting
            pass
        time.sleep(0.1)
    raise RuntimeError("private Redis did not start")


@dataclass
class Setup:
    name: str
    url: str  # through nginx
    procs: list[Proc] = field(default_factory=list)
    direct: str = ""  # the app server itself, without nginx

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def start_portal(env: dict, run_dir: Path, args, *, http_server: str, prepare: bool) -> Setup:
    port, http_port, ws_port = free_port(), free_port(), free_port()
    argv = [
        PYTHON,
        str(ROOT / "deploy" / "serve_prod.py"),
        f"--port={port}",
        f"--http-port={http_port}",
        f"--ws-port={ws_port}",
        f"--run-dir={run_dir / f'portal-{port}'}",
        f"--http-server={http_server}",
        f"--http-workers={args.http_workers}",
        f"--threads={args.threads}",
        "--no-access-log",
        "--no-worker",
    ]
    if not prepare:
        argv.append("--no-prepare")
    name = f"portal ({http_server})"
    proc = Proc(name, argv, env, run_dir / f"portal-{port}.log").start()
    url = f"http://127.0.0.1:{port}"
    if not wait_http(f"{url}/healthz", timeout=300):
        proc.stop()
        raise RuntimeError(f"{name} did not become healthy; see {proc.log}")
    return Setup(name, url, [proc])


def start_baseline(kind: str, env: dict, run_dir: Path, args) -> Setup:
    """Minimal Django under gunicorn (`django`, same settings as the portal) or under
    uvicorn (`django-asgi`), or the hello-world (`hello`, uvicorn), each behind an nginx
    made from the portal's own template."""
    sys.path.insert(0, str(ROOT / "deploy"))
    from serve_prod import render_nginx

    app_port, port = free_port(), free_port()
    env = dict(env, PYTHONPATH=f"{BENCH_DIR}{os.pathsep}{ROOT}")
    if kind == "django":
        env.update(
            PORTAL_HTTP_BIND=f"127.0.0.1:{app_port}",
            GUNICORN_WORKERS=str(args.http_workers),
            GUNICORN_THREADS=str(args.threads),
            DJANGO_SETTINGS_MODULE="",
        )
        argv = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        argv.append("minimal_app:wsgi_app")
    else:
        app = "minimal_app:asgi_app" if kind == "django-asgi" else "minimal_app:hello"
        argv = [str(BIN / "uvicorn"), app, "--host=127.0.0.1"]
        argv += [f"--port={app_port}", f"--workers={args.http_workers}", "--loop=uvloop"]
        argv += ["--http=httptools", "--no-access-log", "--lifespan=off", "--log-level=warning"]
    app = Proc(kind, argv, env, run_dir / f"{kind}.log").start()
    nginx_dir = run_dir / f"nginx-{kind}"
    nginx_dir.mkdir(exist_ok=True)
    conf = render_nginx(
        listen=f"127.0.0.1:{port}",
        http_upstream=f"127.0.0.1:{app_port}",
        ws_upstream=f"127.0.0.1:{app_port}",
        run_dir=nginx_dir,
        media_root=str(run_dir),
        access_log="off",
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    argv = [nginx, "-e", "stderr", "-p", str(nginx_dir), "-c", str(conf)]
    front = Proc("nginx", argv, dict(os.environ), run_dir / f"nginx-{kind}.log").start()
    setup = Setup(kind, f"http://127.0.0.1:{port}", [app, front])
    if not wait_http(f"{setup.url}/", timeout=60):
        setup.stop()
        raise RuntimeError(f"{kind} baseline did not start; see {app.log}")
    setup.direct = f"http://127.0.0.1:{app_port}"
    return setup


# --- data ----------------------------------------------------------------------


def django_setup(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def prepare_data(env: dict) -> None:
    subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )


def make_poll_and_voters(n: int, label: str) -> tuple[int, list[int], list[tuple[int, str]]]:
    """A fresh open poll in 居然社区 and `n` verified residents logged in to it."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from consultation.poll_services import create_poll
    from portal.models import Area, AreaKind, Household, ResidentProfile, ResidentStatus, User

    community = Area.objects.get(kind=AreaKind.COMMUNITY, code__endswith="-juran")
    staff = User.objects.get(email="staff@demo.example")
    now = timezone.now()
    poll = create_poll(
        actor=staff,
        community=community,
        question=f"Benchmark poll {label} {now:%H:%M:%S}",
        kind="single",
        options=["甲", "乙", "丙"],
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=1),
    )
    homes = list(Household.objects.filter(unit__path__startswith=community.path)[:400])
    tag = get_random_string(8).lower()
    # One unusable password hash for all: nobody logs in with a password here.
    password = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"bench-{tag}-{i}", email=f"bench-{tag}-{i}@bench.example", password=password)
        for i in range(n)
    )
    ResidentProfile.objects.bulk_create(
        ResidentProfile(
            user=u, household=homes[i % len(homes)], status=ResidentStatus.VERIFIED, decided_at=now
        )
        for i, u in enumerate(users)
    )
    # What django.contrib.auth.login() stores, written straight into the session table
    # instead of going through the login form (whose password hashing is deliberately slow).
    store = SessionStore()
    backend = "django.contrib.auth.backends.ModelBackend"
    sessions = []
    rows = []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": backend,
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        rows.append(
            Session(
                session_key=key,
                session_data=store.encode(data),
                expire_date=now + timedelta(days=1),
            )
        )
        sessions.append((user.pk, key))
    Session.objects.bulk_create(rows)
    options = list(poll.options.values_list("pk", flat=True))
    return poll.pk, options, sessions


def verify(poll_id: int, accepted_voters: set[int]) -> dict:
    """Ballots = counters = fresh recount; every accepted ballot stored, none twice."""
    from django.db import close_old_connections
    from django.db.models import Count

    from consultation.poll_services import counters, tally
    from consultation.polls import Ballot, Poll

    close_old_connections()
    poll = Poll.objects.get(pk=poll_id)
    recount, counted = tally(poll), counters(poll)
    stored = Ballot.objects.filter(poll=poll)
    voters = set(stored.values_list("voter_id", flat=True))
    doubled = stored.values("voter_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "ballot_rows": stored.count(),
        "counters": counted["ballots"],
        "recount": recount["ballots"],
        "counters_match_recount": recount == counted,
        "accepted": len(accepted_voters),
        "lost": len(accepted_voters - voters),
        "unconfirmed": len(voters - accepted_voters),
        "doubled": doubled,
    }


# --- load ------------------------------------------------------------------------


async def _fixed_load(url: str, concurrency: int, seconds: float) -> dict:
    import aiohttp

    latencies, errors = [], 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        stop_at = time.monotonic() + seconds

        async def one_connection():
            nonlocal errors
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    async with http.get(url) as response:
                        await response.read()
                        if response.status != 200:
                            errors += 1
                            continue
                except Exception:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        began = time.monotonic()
        await asyncio.gather(*(one_connection() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed}


async def _voters(base: str, poll_id: int, options: list[int], voters, concurrency: int, barrier):
    """Each voter opens the poll page (CSRF token), then, after every client process is
    done with that, casts one ballot. Both phases keep `concurrency` requests in flight."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    jar = aiohttp.DummyCookieJar()
    page_url, vote_url = f"{base}/polls/{poll_id}/", f"{base}/polls/{poll_id}/vote/"
    tokens: dict[int, tuple[str, str]] = {}
    page = {"latencies": [], "errors": 0}
    vote = {"latencies": [], "errors": 0, "accepted": [], "statuses": {}}
    rng = random.Random(poll_id)  # noqa: S311
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as http:

        async def run(jobs, work):
            queue = list(jobs)

            async def lane():
                while queue:
                    await work(queue.pop())

            # Wall-clock time: spans from several client processes are compared.
            began = time.time()
            await asyncio.gather(*(lane() for _ in range(concurrency)))
            return began, time.time()

        async def load_page(voter):
            user_id, session_key = voter
            started = time.perf_counter()
            try:
                headers = {"Cookie": f"sessionid={session_key}"}
                async with http.get(page_url, headers=headers) as response:
                    body = await response.read()
                    cookie = response.cookies.get("csrftoken")
                    match = TOKEN_RE.search(body)
                    if response.status != 200 or match is None or cookie is None:
                        page["errors"] += 1
                        return
                    tokens[user_id] = (cookie.value, match.group(1).decode())
            except Exception:
                page["errors"] += 1
                return
            page["latencies"].append(time.perf_counter() - started)

        async def cast(voter):
            user_id, session_key = voter
            if user_id not in tokens:
                return
            cookie, token = tokens[user_id]
            headers = {
                "Cookie": f"sessionid={session_key}; csrftoken={cookie}",
                "Origin": base,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = f"option={rng.choice(options)}&csrfmiddlewaretoken={token}"
            started = time.perf_counter()
            try:
                async with http.post(
                    vote_url, data=body, headers=headers, allow_redirects=False
                ) as response:
                    await response.read()
                    status = response.status
                    location = response.headers.get("Location", "")
            except Exception as exc:
                vote["errors"] += 1
                vote["statuses"][type(exc).__name__] = (
                    vote["statuses"].get(type(exc).__name__, 0) + 1
                )
                return
            vote["statuses"][status] = vote["statuses"].get(status, 0) + 1
            # Accepted: redirected back to the poll page (to the "your vote" anchor).
            if status == 302 and location.split("#")[0].endswith(f"/polls/{poll_id}/"):
                vote["latencies"].append(time.perf_counter() - started)
                vote["accepted"].append((user_id, time.time()))
            else:
                vote["errors"] += 1

        page["span"] = await run(voters, load_page)
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
        vote["span"] = await run(voters, cast)
    return {"page": page, "vote": vote}


def _client_main(kind: str, payload: dict, barrier, results) -> None:
    if kind == "fixed":
        out = asyncio.run(_fixed_load(payload["url"], payload["concurrency"], payload["seconds"]))
    else:
        out = asyncio.run(
            _voters(
                payload["base"],
                payload["poll"],
                payload["options"],
                payload["voters"],
                payload["concurrency"],
                barrier,
            )
        )
    results.put(out)


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_clients(kind: str, payloads: list[dict], ballots_started=None) -> list[dict]:
    ctx = mp.get_context("fork")
    # The last client through the barrier (page loads done everywhere) raises the flag
    # the fault injector waits for.
    action = ballots_started.set if ballots_started is not None else None
    barrier, results = ctx.Barrier(len(payloads), action=action), ctx.Queue()
    procs = [ctx.Process(target=_client_main, args=(kind, p, barrier, results)) for p in payloads]
    for proc in procs:
        proc.start()
    outs = [results.get(timeout=900) for _ in procs]
    for proc in procs:
        proc.join()
    return outs


def fixed_load(url: str, concurrency: int, seconds: float, clients: int) -> dict:
    # A short warm-up so every worker has imported what it needs and holds connections.
    run_clients("fixed", [{"url": url, "concurrency": 10, "seconds": 1.0}])
    outs = run_clients(
        "fixed",
        [
            {"url": url, "concurrency": c, "seconds": seconds}
            for c in _spread(concurrency, clients)
            if c
        ],
    )
    latencies = [x for o in outs for x in o["latencies"]]
    elapsed = max(o["elapsed"] for o in outs)
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "n": len(latencies),
        "errors": sum(o["errors"] for o in outs),
        **summary_ms(latencies),
    }


def vote_load(
    base: str, poll_id: int, options, sessions, concurrency: int, clients: int, started=None
):
    shares = _spread(len(sessions), clients)
    lanes = _spread(concurrency, clients)
    payloads, start = [], 0
    for share, lane in zip(shares, lanes, strict=True):
        payloads.append(
            {
                "base": base,
                "poll": poll_id,
                "options": options,
                "voters": sessions[start : start + share],
                "concurrency": max(1, lane),
            }
        )
        start += share
    outs = run_clients("voters", payloads, started)

    def phase(name: str) -> dict:
        latencies = [x for o in outs for x in o[name]["latencies"]]
        began = min(o[name]["span"][0] for o in outs)
        ended = max(o[name]["span"][1] for o in outs)
        return {
            "rps": round(len(latencies) / (ended - began), 1),
            "n": len(latencies),
            "errors": sum(o[name]["errors"] for o in outs),
            **summary_ms(latencies),
            "span": (began, ended),
        }

    accepted = [a for o in outs for a in o["vote"]["accepted"]]
    statuses: dict = {}
    for o in outs:
        for key, value in o["vote"]["statuses"].items():
            statuses[str(key)] = statuses.get(str(key), 0) + value
    return phase("page"), phase("vote"), accepted, statuses


# --- fault ---------------------------------------------------------------------------


def healthz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except Exception as exc:
        return 0, {"error": type(exc).__name__}


def fault_run(portal: Setup, redis_proc: Proc, args, n: int, concurrency: int) -> dict:
    """Cast ballots while Redis is stopped in the middle; watch /healthz go 503 and back."""
    import threading

    poll_id, options, sessions = make_poll_and_voters(n, "fault")
    events: dict = {"health_during": [], "health_after": None}

    def saboteur(started) -> None:
        started.wait()
        time.sleep(args.fault_after)
        redis_proc.stop()
        events["down_at"] = time.time()
        deadline = time.monotonic() + args.fault_seconds
        while time.monotonic() < deadline:
            events["health_during"].append(healthz(portal.url))
            time.sleep(0.5)
        redis_proc.start()
        events["up_at"] = time.time()
        recovery_deadline = time.monotonic() + 30
        while time.monotonic() < recovery_deadline:
            status, body = healthz(portal.url)
            if status == 200:
                events["health_after"] = (status, body)
                events["recovered_s"] = round(time.time() - events["up_at"], 2)
                return
            time.sleep(0.2)
        events["health_after"] = healthz(portal.url)

    # The saboteur waits for the ballots (not the page loads) to start.
    started = mp.get_context("fork").Event()
    thread = threading.Thread(target=saboteur, args=(started,), daemon=True)
    thread.start()
    begin = time.time()
    from django.db import connections

    connections.close_all()  # the client processes are forked
    page, vote, accepted, statuses = vote_load(
        portal.url, poll_id, options, sessions, concurrency, args.clients, started
    )
    started.set()
    thread.join(timeout=args.fault_seconds + 60)
    down, up = events.get("down_at", begin), events.get("up_at", time.time())
    during = sum(1 for _, t in accepted if down <= t <= up)
    check = verify(poll_id, {u for u, _ in accepted})
    return {
        "page": page,
        "vote": vote,
        "statuses": statuses,
        "check": check,
        "accepted_while_down": during,
        "ballots_window": [round(vote["span"][0] - begin, 2), round(vote["span"][1] - begin, 2)],
        "redis_down_window": [round(down - begin, 2), round(up - begin, 2)],
        "health_during": sorted(
            {(s, json.dumps(b, sort_keys=True)) for s, b in events["health_during"]}
        ),
        "health_after": events["health_after"],
        "recovered_s": events.get("recovered_s"),
    }


def _gunicorn_workers(launcher: int) -> list[int]:
    """Pids of the HTTP workers under `launcher` (deploy/serve_prod.py): gunicorn processes
    whose parent is the gunicorn master that the launcher started."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"gunicorn" in cmdline:
            parents[int(entry.name)] = ppid
    masters = {pid for pid, ppid in parents.items() if ppid == launcher}
    return sorted(pid for pid, ppid in parents.items() if ppid in masters)


def kill_run(portal: Setup, args, n: int, concurrency: int) -> dict:
    """Cast ballots while one HTTP worker is killed (SIGKILL) in the middle of the run:
    every ballot answered 302 must be stored, counters must still equal the recount."""
    import signal
    import threading

    poll_id, options, sessions = make_poll_and_voters(n, "kill")
    launcher = portal.procs[0].popen.pid
    events: dict = {}

    def killer(started) -> None:
        started.wait()
        time.sleep(args.fault_after)
        workers = _gunicorn_workers(launcher)
        events["workers_before"] = len(workers)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            events["killed_at"] = time.time()
            events["killed"] = workers[0]

    started = mp.get_context("fork").Event()
    thread = threading.Thread(target=killer, args=(started,), daemon=True)
    thread.start()
    begin = time.time()
    from django.db import connections

    connections.close_all()  # the client processes are forked
    page, vote, accepted, statuses = vote_load(
        portal.url, poll_id, options, sessions, concurrency, args.clients, started
    )
    started.set()
    thread.join(timeout=60)
    killed_at = events.get("killed_at", begin)
    after = sum(1 for _, t in accepted if t > killed_at)
    return {
        "vote": vote,
        "statuses": statuses,
        "check": verify(poll_id, {u for u, _ in accepted}),
        "killed_pid": events.get("killed"),
        "workers_before": events.get("workers_before"),
        "killed_after_s": round(killed_at - begin, 2),
        "accepted_after_kill": after,
        "workers_after": len(_gunicorn_workers(launcher)),
    }


# --- main ------------------------------------------------------------------------------


def ensure_database(env: dict, fresh: bool) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as c:
        if fresh:
            c.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')


def main() -> int:
    parser = argparse.ArgumentParser(description="Votes under load against the production setup.")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument(
        "--voters", type=int, default=0, help="voters per level (default 10×C, ≥1000)"
    )
    parser.add_argument("--clients", type=int, default=2, help="load-client processes")
    parser.add_argument("--seconds", type=float, default=6.0, help="per baseline measurement")
    parser.add_argument("--http-server", default="gunicorn", choices=["gunicorn", "uvicorn"])
    # The production defaults (deploy/serve_prod.py): gthread, cores + 1 workers × 4 threads.
    parser.add_argument("--http-workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-fault", action="store_true")
    parser.add_argument(
        "--faults-only", action="store_true", help="skip the load levels, run the faults"
    )
    parser.add_argument("--fault-concurrency", type=int, default=50)
    parser.add_argument("--fault-voters", type=int, default=4000)
    parser.add_argument("--fault-after", type=float, default=1.0, help="s into the ballots")
    parser.add_argument("--fault-seconds", type=float, default=4.0, help="how long Redis is down")
    parser.add_argument("--compare-servers", action="store_true")
    parser.add_argument("--only", help="with --compare-servers: configurations containing this")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate portal_bench")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    run_dir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    redis_port = free_port()
    secret = secrets.token_urlsafe(64)
    env = base_env(
        f"postgres://postgres@127.0.0.1:5432/{DB_NAME}", f"redis://127.0.0.1:{redis_port}/0", secret
    )
    ensure_database(env, args.fresh)
    redis_proc = start_redis(redis_port, run_dir)
    setups: list[Setup] = []
    results: dict = {"load_average_start": load_average(), "cpus": os.cpu_count(), "levels": []}
    try:
        print(f"# logs in {run_dir}; load average at start {load_average()}", flush=True)
        portal = start_portal(env, run_dir, args, http_server=args.http_server, prepare=True)
        setups.append(portal)
        prepare_data(env)
        django_setup(env)
        if args.compare_servers:
            return compare_servers(env, run_dir, args, portal, results)
        if not args.faults_only:
            django = start_baseline("django", env, run_dir, args)
            django_asgi = start_baseline("django-asgi", env, run_dir, args)
            hello = start_baseline("hello", env, run_dir, args)
            setups += [django, django_asgi, hello]
        from django.db import connections

        rows = []
        for c in [] if args.faults_only else args.concurrency:
            n = args.voters or max(1000, 10 * c)
            poll_id, options, sessions = make_poll_and_voters(n, f"C={c}")
            connections.close_all()  # the client processes are forked
            page, vote, accepted, statuses = vote_load(
                portal.url, poll_id, options, sessions, c, args.clients
            )
            check = verify(poll_id, {u for u, _ in accepted})
            connections.close_all()
            minimal = fixed_load(f"{django.url}/", c, args.seconds, args.clients)
            minimal_asgi = fixed_load(f"{django_asgi.url}/", c, args.seconds, args.clients)
            bare = fixed_load(f"{hello.url}/", c, args.seconds, args.clients)
            bare_direct = fixed_load(f"{hello.direct}/", c, args.seconds, args.clients)
            level = {
                "concurrency": c,
                "voters": n,
                "ballots": vote,
                "poll_page": page,
                "statuses": statuses,
                "check": check,
                "minimal_django": minimal,
                "minimal_django_asgi": minimal_asgi,
                "hello_asgi": bare,
                "hello_asgi_direct": bare_direct,
                "ballots_vs_minimal": round(vote["rps"] / minimal["rps"], 3),
                "ballots_vs_hello": round(vote["rps"] / bare["rps"], 3),
            }
            results["levels"].append(level)
            for label, m in (
                (f"ballots (POST vote, {n} voters)", vote),
                ("poll page (GET, same voters)", page),
                ("minimal Django view (nginx → gunicorn)", minimal),
                ("minimal Django view (nginx → uvicorn ASGI)", minimal_asgi),
                ("bare ASGI hello-world (nginx → uvicorn)", bare),
                ("bare ASGI hello-world (uvicorn direct)", bare_direct),
            ):
                rows.append([c, label, m["rps"], m["p50"], m["p95"], m["p99"], m["errors"]])
            print(
                f"C={c}: ballots {vote['rps']}/s, minimal Django {minimal['rps']}/s, "
                f"ratio {level['ballots_vs_minimal']}; check {check}; statuses {statuses}",
                flush=True,
            )
        print()
        print(table(["C", "what", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows))
        print()
        ratio_rows = [
            [lv["concurrency"], lv["ballots_vs_minimal"], lv["ballots_vs_hello"]]
            for lv in results["levels"]
        ]
        print(table(["C", "ballots / minimal Django", "ballots / hello-world"], ratio_rows))
        print()
        check_rows = [
            [lv["concurrency"], *(lv["check"][k] for k in lv["check"])] for lv in results["levels"]
        ]
        if results["levels"]:
            print(table(["C", *results["levels"][0]["check"].keys()], check_rows))
        if not args.no_fault:
            connections.close_all()
            fault = fault_run(portal, redis_proc, args, args.fault_voters, args.fault_concurrency)
            results["fault"] = fault
            print()
            print("## Redis stopped during the ballots")
            print(
                f"ballots {fault['vote']['n']} accepted ({fault['vote']['rps']}/s, "
                f"p99 {fault['vote']['p99']} ms), errors {fault['vote']['errors']}, "
                f"statuses {fault['statuses']}"
            )
            print(
                f"ballot window {fault['ballots_window']} s, "
                f"Redis down {fault['redis_down_window']} s, "
                f"ballots accepted while Redis was down: {fault['accepted_while_down']}"
            )
            print(f"check: {fault['check']}")
            print(f"/healthz while down: {fault['health_during']}")
            print(
                f"/healthz after restart: {fault['health_after']} (after {fault['recovered_s']} s)"
            )
        if not args.no_fault and args.http_server == "gunicorn":
            connections.close_all()
            killed = kill_run(portal, args, args.fault_voters, args.fault_concurrency)
            results["kill"] = killed
            print()
            print("## One HTTP worker killed during the ballots")
            print(
                f"worker {killed['killed_pid']} (of {killed['workers_before']}) killed "
                f"{killed['killed_after_s']} s into the run; ballots answered "
                f"{killed['vote']['n']} ({killed['vote']['rps']}/s), errors "
                f"{killed['vote']['errors']}, statuses {killed['statuses']}; "
                f"accepted after the kill: {killed['accepted_after_kill']}; "
                f"workers afterwards: {killed['workers_after']}"
            )
            print(f"check: {killed['check']}")
        results["load_average_end"] = load_average()
        print(
            f"\nLoad clients: {args.clients} aiohttp processes on the same {os.cpu_count()} cores "
            f"as the servers. Load average: start {results['load_average_start']}, "
            f"end {results['load_average_end']}."
        )
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, default=str))
        return 0
    finally:
        for setup in setups:
            setup.stop()
        redis_proc.stop()


def compare_servers(env: dict, run_dir: Path, args, first: Setup, results: dict) -> int:
    """The same requests against the portal under each HTTP server configuration."""
    from django.db import connections

    cpus = os.cpu_count() or 1
    configs = [
        ("gunicorn sync", "gunicorn", cpus * 2 + 1, 1),
        ("gunicorn gthread", "gunicorn", cpus + 1, 4),
        ("uvicorn ASGI", "uvicorn", cpus, 1),
        ("uvicorn ASGI", "uvicorn", cpus * 2 + 1, 1),
    ]
    if args.only:
        configs = [c for c in configs if args.only in c[0]]
    rows = []
    first.stop()
    for label, server, workers, threads in configs:
        args.http_workers, args.threads = workers, threads
        portal = start_portal(env, run_dir, args, http_server=server, prepare=False)
        kind = "django" if server == "gunicorn" else "django-asgi"
        django = start_baseline(kind, env, run_dir, args)
        try:
            for c in args.concurrency:
                n = args.voters or max(1000, 10 * c)
                poll_id, options, sessions = make_poll_and_voters(n, f"{label} C={c}")
                connections.close_all()
                page, vote, accepted, _ = vote_load(
                    portal.url, poll_id, options, sessions, c, args.clients
                )
                check = verify(poll_id, {u for u, _ in accepted})
                connections.close_all()
                home = fixed_load(f"{portal.url}/", c, args.seconds, args.clients)
                name = f"{label} ×{workers}" + (f" ({threads} threads)" if threads > 1 else "")
                measured = [("ballots", vote), ("poll page", page), ("home page", home)]
                minimal = fixed_load(f"{django.url}/", c, args.seconds, args.clients)
                measured.append(("minimal Django", minimal))
                for what, m in measured:
                    rows.append([name, c, what, m["rps"], m["p50"], m["p99"], m["errors"]])
                    # Printed as it goes, so a run cut short still leaves its numbers.
                    print(f"  {rows[-1]}", flush=True)
                print(f"{name} C={c}: ballots {vote['rps']}/s check {check}", flush=True)
        finally:
            django.stop()
            portal.stop()
    print()
    print(table(["server", "C", "what", "req/s", "p50 ms", "p99 ms", "errors"], rows))
    print(
        f"\nLoad average at the end: {load_average()} "
        f"({args.clients} client processes share the cores)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"compare": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
