"""Fan-out of one poll topic to many WebSocket subscribers over two app processes.

    .venv/bin/python bench/fanout.py                      # S = 100, 1000, 3000
    .venv/bin/python bench/fanout.py --sizes 3000 --server daphne
    .venv/bin/python bench/fanout.py --faults             # Redis stopped, a process killed

What one size measures, with the app servers and then with a bare broadcast server:

* S sockets, half on process A and half on process B, all subscribed to one `poll:<id>`
  topic (as the community's staff, so every socket passes `may_read_poll`);
* 10 ballots cast one after another through `cast_ballot` in this process, which
  publishes after commit through the Redis Pub/Sub layer to both processes:
  publish→receive latency p50/p95/p99 and the time until the last socket has each one;
* 10 more ballots cast back to back: deliveries per second while the fan-out is busy;
* messages lost (every socket expects all 20 events);
* then every client socket is dropped at once (the client processes are killed, as
  when browsers vanish) and Redis is asked what is left: the group channel's
  subscriptions (`PUBSUB NUMSUB`) and the per-socket channels (`PUBSUB CHANNELS`).

The bare server is a few lines on the `websockets` library: no Django, no channel layer,
it broadcasts a trigger straight to its sockets. It is the socket layer's limit on this
machine, and the app is reported as a ratio of it.

Everything runs on this machine: its own PostgreSQL database (`portal_bench_fanout`,
created and migrated here) and, unless `--redis-url` is given, its own Redis server on a
free port, so nothing else's channels are counted and stopping it disturbs no one. Client
sockets live in separate processes so that the client does not starve the servers of the
event loop, but they still share the machine's cores with them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "portal_bench_fanout"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
SPACED = 10  # ballots cast one after another, for latency
BURST = 10  # ballots cast back to back, for throughput


# --- small utilities -----------------------------------------------------------------


def raise_fd_limit() -> int:
    # Thousands of sockets per process need thousands of descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def ms(seconds: float) -> str:
    return "—" if seconds != seconds else f"{seconds * 1000:.0f}"


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Redis and PostgreSQL -------------------------------------------------------------


class RedisServer:
    """A private redis-server, so channel counts are ours alone and it may be stopped."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="fanout-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # Fixed arguments, no shell.
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "20000",
            ],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, 10)

    def stop(self) -> None:
        stop(self.process)


def pubsub_state(redis_url: str, group_channel: str) -> dict:
    """What Redis holds for the live layer: the group channel's subscribers and how many
    per-socket channels (`asgispecific.*`) are still subscribed."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        numsub = dict(client.pubsub_numsub(group_channel))
        channels = client.pubsub_channels("asgi*")
        return {
            "group_subscribers": int(numsub.get(group_channel.encode(), 0)),
            "socket_channels": sum(1 for c in channels if b"__group__" not in c),
        }
    finally:
        client.close()


def prepare_database(pg_admin_url: str) -> str:
    import psycopg

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return pg_admin_url.rsplit("/", 1)[0] + "/" + BENCH_DB


def server_env(database_url: str, redis_url: str, secret_key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback: no proxy in front to end TLS.
        SECURE_SSL_REDIRECT="0",
        # Keep each process's database connection instead of opening one per subscribe.
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- the data: a community, its staff member, 20 voters, one poll per size -----------


class Portal:
    """Django set up in this process on the bench database, to build data and vote."""

    def __init__(self, env: dict[str, str]) -> None:
        os.environ.update(env)
        # Every ballot's event is timed and must arrive: this process sends in the
        # foreground and merges nothing, unlike the production default.
        os.environ["LIVE_PUBLISH_IN_BACKGROUND"] = "0"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from portal import live

        self.published: dict[int, float] = {}
        original = live._send

        # Time the publish itself (after commit, as the layer is called), not the vote.
        def timed_send(topic: str, event: dict) -> None:
            self.published.setdefault(event["ballots"], time.monotonic())
            original(topic, event)

        live._send = timed_send

    def migrate(self) -> None:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)

    def build(self) -> None:
        from django.test import Client
        from django.utils import timezone

        from portal import services
        from portal.models import Area, AreaKind, Household, ResidentProfile, ResidentStatus, User

        run = secrets.token_hex(3)
        district = Area.add_root(name="压测区", kind=AreaKind.DISTRICT, code=f"fan{run}")
        street = district.add_area(name="压测街道", kind=AreaKind.STREET, code=f"fan{run}-s")
        self.community = street.add_area(
            name="压测社区", kind=AreaKind.COMMUNITY, code=f"fan{run}-c"
        )
        grid = self.community.add_area(name="第1网格", kind=AreaKind.GRID, code=f"fan{run}-g")
        building = grid.add_area(name="1号楼", kind=AreaKind.BUILDING, code=f"fan{run}-b")
        unit = building.add_area(name="1单元", kind=AreaKind.UNIT, code=f"fan{run}-u")
        households = [
            Household.objects.create(unit=unit, label=f"{i + 1:02d}01", floor_area="80.50")
            for i in range(SPACED + BURST)
        ]
        self.staff = User.objects.create_user(
            username=f"fan{run}-staff", email=f"fan{run}-staff@example.org", password=None
        )
        services.assign_role(
            actor=None, user=self.staff, role="community_staff", area=self.community
        )
        self.voters = []
        for i, household in enumerate(households):
            voter = User.objects.create_user(
                username=f"fan{run}-v{i}", email=f"fan{run}-v{i}@example.org", password=None
            )
            ResidentProfile.objects.create(
                user=voter,
                household=household,
                status=ResidentStatus.VERIFIED,
                decided_at=timezone.now(),
            )
            self.voters.append(voter)
        # Every bench socket carries the staff member's login cookie, as a browser would.
        client = Client()
        client.force_login(self.staff)
        self.cookie = f"sessionid={client.cookies['sessionid'].value}"

    def new_poll(self):
        from datetime import timedelta

        from django.utils import timezone

        from consultation.poll_services import create_poll

        now = timezone.now()
        self.poll = create_poll(
            actor=self.staff,
            community=self.community,
            question="楼顶防水用哪个方案？",
            kind="single",
            options=["方案一", "方案二"],
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
        )
        self.option = self.poll.options.order_by("position").first().pk
        self.published.clear()
        return self.poll

    def vote(self, index: int) -> None:
        from consultation.poll_services import cast_ballot

        cast_ballot(voter=self.voters[index], poll=self.poll, option_ids=[self.option])

    def vote_burst(self, indexes) -> None:
        from django.db import transaction

        # One transaction around the ballots, so their events leave back to back at
        # commit: the burst then measures the fan-out, not how fast PostgreSQL commits.
        with transaction.atomic():
            for index in indexes:
                self.vote(index)

    def group_channel(self) -> str:
        from portal import live

        return f"asgi__group__{live.group_name(f'poll:{self.poll.pk}')}"


# --- the bare broadcast server --------------------------------------------------------


def bare_server(port: int) -> None:
    """Sockets subscribe like app clients; a message on /control is broadcast to all."""
    import websockets
    from websockets.asyncio.server import broadcast, serve

    raise_fd_limit()
    clients: set = set()

    async def handler(ws) -> None:
        if ws.request.path == "/control":
            async for raw in ws:
                ballots = int(raw)
                event = {"poll": 0, "ballots": ballots, "closed": False, "outcome": ""}
                event["options"] = [{"id": 1, "votes": ballots}, {"id": 2, "votes": 0}]
                broadcast(clients, json.dumps({"type": "event", "topic": "poll:0", "event": event}))
            return
        try:
            async for raw in ws:
                message = json.loads(raw)
                data = {"poll": 0, "ballots": 0, "closed": False, "outcome": "", "eligible": 0}
                await ws.send(
                    json.dumps({"type": "snapshot", "topic": message["topic"], "data": data})
                )
                clients.add(ws)
        except websockets.ConnectionClosed:
            pass
        finally:
            clients.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, backlog=4096, ping_interval=None):
            await asyncio.Future()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


# --- client processes -----------------------------------------------------------------


class ClientSocket:
    def __init__(self, index: int, urls: list[str], topic: str, cookie: str) -> None:
        self.index = index
        self.urls = urls  # the first is home; the others are tried after a drop
        self.topic = topic
        self.cookie = cookie
        self.events: dict[int, float] = {}
        self.seen = 0  # the latest ballot count known, from an event or a snapshot
        self.connects = 0
        self.closes = 0
        self.close_code: int | None = None
        self.ready = asyncio.Event()
        self.error = ""

    async def run(self, reconnect: bool, gate: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        attempt = 0
        while True:
            # Home first; after a drop the other process, then alternating.
            url = self.urls[attempt % len(self.urls)]
            origin = "http://" + urlsplit(url).netloc
            try:
                async with gate:
                    ws = await connect(
                        url,
                        origin=origin,
                        additional_headers={"Cookie": self.cookie} if self.cookie else None,
                        open_timeout=60,
                        ping_interval=None,
                        max_queue=None,
                    )
                    self.connects += 1
                    await ws.send(json.dumps({"action": "subscribe", "topic": self.topic}))
                async with ws:
                    self.close_code = None
                    async for raw in ws:
                        now = time.monotonic()
                        message = json.loads(raw)
                        kind = message.get("type")
                        if kind == "event":
                            ballots = message["event"]["ballots"]
                            self.events.setdefault(ballots, now)
                            self.seen = max(self.seen, ballots)
                        elif kind == "snapshot":
                            self.seen = max(self.seen, message["data"]["ballots"])
                            self.ready.set()
                        elif kind == "error":
                            self.error = message.get("code", "error")
                            self.ready.set()
                # The server closed the socket (or it broke): remember how.
                self.close_code = ws.close_code
                self.closes += 1
                attempt += 1
            except (OSError, WebSocketException) as exc:  # timeouts are OSErrors
                self.error = type(exc).__name__
                attempt += 1
            if not reconnect:
                self.ready.set()
                return
            # Back off with jitter so that thousands of sockets do not return in one burst.
            await asyncio.sleep(random.uniform(0.2, 1.0) * min(4, attempt))


def client_process(conn, specs: list[list[str]], topic: str, cookie: str, reconnect: bool):
    raise_fd_limit()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        # A bounded number of handshakes in flight, as the servers' accept queues are.
        gate = asyncio.Semaphore(100)
        sockets = [ClientSocket(i, urls, topic, cookie) for i, urls in enumerate(specs)]
        started = time.monotonic()
        tasks = [asyncio.create_task(s.run(reconnect, gate)) for s in sockets]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in sockets)), 180)
        ok = sum(1 for s in sockets if s.ready.is_set() and not s.error)
        why = Counter(s.error or "no snapshot" for s in sockets if s.error or not s.ready.is_set())
        conn.send(("ready", ok, len(sockets) - ok, time.monotonic() - started, dict(why)))
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "report":
                conn.send(
                    (
                        "report",
                        [
                            {
                                "events": s.events,
                                "seen": s.seen,
                                "connects": s.connects,
                                "closes": s.closes,
                                "close_code": s.close_code,
                                "error": s.error,
                            }
                            for s in sockets
                        ],
                    )
                )
            elif command == "quit":
                for task in tasks:
                    task.cancel()
                return

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


class Clients:
    """S sockets spread over `workers` processes and over the given server URLs."""

    def __init__(
        self,
        urls: list[str],
        size: int,
        topic: str,
        cookie: str,
        workers: int,
        reconnect: bool = False,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        per_worker: list[list[list[str]]] = [[] for _ in range(workers)]
        for i in range(size):
            home = i % len(urls)
            # Home server first, the other(s) after it for reconnecting.
            per_worker[i % workers].append(urls[home:] + urls[:home])
        for specs in per_worker:
            parent, child = context.Pipe()
            process = context.Process(
                target=client_process, args=(child, specs, topic, cookie, reconnect), daemon=True
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def wait_ready(self) -> tuple[int, int, float]:
        ok = failed = 0
        seconds = 0.0
        self.why: Counter = Counter()
        for pipe in self.pipes:
            _, n_ok, n_failed, took, why = pipe.recv()
            ok, failed, seconds = ok + n_ok, failed + n_failed, max(seconds, took)
            self.why.update(why)
        return ok, failed, seconds

    def report(self) -> list[dict]:
        for pipe in self.pipes:
            pipe.send("report")
        sockets = []
        for pipe in self.pipes:
            sockets.extend(pipe.recv()[1])
        return sockets

    def kill(self) -> None:
        # All client sockets vanish at once, without a closing handshake.
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.join()


# --- app servers ----------------------------------------------------------------------


def server_command(kind: str, port: int, env: dict[str, str]) -> list[str]:
    if kind == "uvicorn":
        return [
            "uvicorn", "portal.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools",
            "--ws", env.get("FANOUT_WS", "websockets"),
            "--ws-per-message-deflate", env.get("FANOUT_DEFLATE", "true"),
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
            "--backlog", "4096",
        ]  # fmt: skip
    return ["daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0", "portal.asgi:application"]


def start_app_server(kind: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m"]
    if env.get("FANOUT_PROFILE") == "pyinstrument":
        # The report is written when the server exits on SIGINT.
        command += ["pyinstrument", "-r", "text", "-o", str(log.with_suffix(".txt")), "-m"]
    elif env.get("FANOUT_PROFILE") == "cprofile":
        # CPU per function (pyinstrument's wall clock hides it behind the event loop).
        command += ["cProfile", "-o", str(log.with_suffix(".prof")), "-m"]
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        command + server_command(kind, port, env),
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process


# --- measuring ------------------------------------------------------------------------


def summarise(sockets: list[dict], published: dict[int, float], size: int) -> dict:
    spaced = range(1, SPACED + 1)
    burst = range(SPACED + 1, SPACED + BURST + 1)
    latencies = []
    last_by_ballot = []
    lost = 0
    for n in list(spaced) + list(burst):
        arrivals = [s["events"].get(n) for s in sockets]
        got = [t for t in arrivals if t is not None]
        lost += len(arrivals) - len(got)
        if n in spaced and n in published:
            latencies.extend(t - published[n] for t in got)
            last_by_ballot.append(
                max(got) - published[n] if len(got) == len(arrivals) else float("nan")
            )
    burst_arrivals = [s["events"][n] for s in sockets for n in burst if n in s["events"]]
    burst_start = min((published[n] for n in burst if n in published), default=float("nan"))
    burst_seconds = max(burst_arrivals) - burst_start if burst_arrivals else float("nan")
    complete = [x for x in last_by_ballot if x == x]
    return {
        "sockets": size,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "p99": pct(latencies, 99),
        "last_median": statistics.median(complete) if complete else float("nan"),
        "last_max": max(complete) if len(complete) == len(last_by_ballot) else float("nan"),
        "lost": lost,
        "expected": len(sockets) * (SPACED + BURST),
        "burst_deliveries_per_s": len(burst_arrivals) / burst_seconds if burst_arrivals else 0,
        "burst_seconds": burst_seconds,
        "burst_lost": len(sockets) * BURST - len(burst_arrivals),
        "closed_early": sum(1 for s in sockets if s["closes"]),
        "close_codes": sorted({s["close_code"] for s in sockets if s["closes"]}, key=str),
    }


async def bare_trigger(ports: list[int], published: dict[int, float], numbers, gap: float):
    from websockets.asyncio.client import connect

    controls = [await connect(f"ws://127.0.0.1:{p}/control") for p in ports]
    for n in numbers:
        published[n] = time.monotonic()
        await asyncio.gather(*(c.send(str(n)) for c in controls))
        if gap:
            await asyncio.sleep(gap)
    for c in controls:
        await c.close()


def settled(clients: Clients, quiet: float = 3.0, limit: float = 90.0) -> list[dict]:
    """The sockets' records once deliveries stop: late messages count as late, and only
    those that never come count as lost."""
    started = changed = time.monotonic()
    count = -1
    while True:
        time.sleep(0.5)
        sockets = clients.report()
        total = sum(len(s["events"]) for s in sockets)
        if total != count:
            count, changed = total, time.monotonic()
        if total == len(sockets) * (SPACED + BURST) or time.monotonic() - changed > quiet:
            return sockets
        if time.monotonic() - started > limit:
            return sockets


def gap_for(size: int) -> float:
    # Room for the previous ballot to reach every socket before the next one is cast.
    return max(1.0, 0.5 + size / 1500)


def run_app(
    portal: Portal, urls: list[str], size: int, workers: int, redis_url: str, pids: list[int]
) -> dict:
    poll = portal.new_poll()
    topic = f"poll:{poll.pk}"
    clients = Clients(urls, size, topic, portal.cookie, workers)
    ok, failed, connect_s = clients.wait_ready()
    group = portal.group_channel()
    before = pubsub_state(redis_url, group)
    gap = gap_for(size)
    for i in range(SPACED):
        portal.vote(i)
        time.sleep(gap)
    # CPU the servers and the clients spend on the burst, against the burst's wall time.
    client_pids = [p.pid for p in clients.processes]
    cpu = cpu_seconds(pids), cpu_seconds(client_pids)
    portal.vote_burst(range(SPACED, SPACED + BURST))
    result = summarise(settled(clients), portal.published, size)
    burst = [portal.published[n] for n in range(SPACED + 1, SPACED + BURST + 1)]
    result.update(
        publish_spread_s=max(burst) - min(burst),
        not_subscribed=dict(clients.why),
        load=os.getloadavg()[0],
        ready=ok,
        failed=failed,
        connect_s=connect_s,
        subscribed=before,
        server_cpu_s=cpu_seconds(pids) - cpu[0],
        client_cpu_s=cpu_seconds(client_pids) - cpu[1],
    )
    closed = time.monotonic()
    clients.kill()
    # Watch Redis drain after the drop; stale is whatever is still there after 30 s.
    state = pubsub_state(redis_url, group)
    while time.monotonic() - closed < 30 and (
        state["group_subscribers"] or state["socket_channels"]
    ):
        time.sleep(0.25)
        state = pubsub_state(redis_url, group)
    result.update(stale=state, drained_s=time.monotonic() - closed)
    return result


def run_bare(ports: list[int], size: int, workers: int, pids: list[int]) -> dict:
    urls = [f"ws://127.0.0.1:{p}/live" for p in ports]
    clients = Clients(urls, size, "poll:0", "", workers)
    ok, failed, connect_s = clients.wait_ready()
    published: dict[int, float] = {}
    gap = gap_for(size)
    asyncio.run(bare_trigger(ports, published, range(1, SPACED + 1), gap))
    cpu = cpu_seconds(pids)
    asyncio.run(bare_trigger(ports, published, range(SPACED + 1, SPACED + BURST + 1), 0))
    result = summarise(settled(clients), published, size)
    result.update(
        ready=ok,
        failed=failed,
        connect_s=connect_s,
        load=os.getloadavg()[0],
        server_cpu_s=cpu_seconds(pids) - cpu,
    )
    clients.kill()
    return result


# --- faults ---------------------------------------------------------------------------


def wait_caught_up(clients: Clients, target: int, timeout: float) -> tuple[float, list[dict]]:
    """Seconds until every socket knows ballot `target` (by event or snapshot)."""
    started = time.monotonic()
    while True:
        sockets = clients.report()
        if all(s["seen"] >= target for s in sockets) or time.monotonic() - started > timeout:
            return time.monotonic() - started, sockets
        time.sleep(0.25)


def run_faults(portal, ports, servers, redis, size, workers, kind, env, logs) -> list[str]:
    urls = [f"ws://127.0.0.1:{p}/ws/live/" for p in ports]
    lines = []
    # 1. One app process killed mid-run: its sockets reconnect to the other one.
    poll = portal.new_poll()
    clients = Clients(urls, size, f"poll:{poll.pk}", portal.cookie, workers, reconnect=True)
    ok, failed, _ = clients.wait_ready()
    portal.vote(0)
    waited, _ = wait_caught_up(clients, 1, 10)
    servers[1].kill()
    servers[1].wait()
    killed = time.monotonic()
    portal.vote(1)  # while half the sockets are reconnecting
    waited, sockets = wait_caught_up(clients, 2, 60)
    behind = sum(1 for s in sockets if s["seen"] < 2)
    moved = sum(1 for s in sockets if s["connects"] > 1)
    portal.vote(2)
    _, sockets = wait_caught_up(clients, 3, 20)
    live_after = sum(1 for s in sockets if 3 in s["events"])
    lines.append(
        f"process B killed: {ok}/{size} sockets subscribed ({failed} failed); {moved} reconnected "
        f"to A; every socket knew the ballot cast during the outage after "
        f"{time.monotonic() - killed if not behind else float('nan'):.1f} s "
        f"({behind} still behind); the next ballot reached {live_after}/{size} live"
    )
    clients.kill()
    servers[1] = start_app_server(kind, ports[1], env, logs[1])

    # 2. Redis stopped and started again while sockets stay open.
    poll = portal.new_poll()
    clients = Clients(urls, size, f"poll:{poll.pk}", portal.cookie, workers, reconnect=True)
    ok, failed, _ = clients.wait_ready()
    portal.vote(0)
    wait_caught_up(clients, 1, 10)
    redis.stop()
    stopped = time.monotonic()
    vote_error = ""
    try:
        portal.vote(1)  # committed; its live event cannot leave
    except Exception as exc:  # reported: the vote itself must not fail
        vote_error = repr(exc)
    time.sleep(3)
    redis.start()
    back = time.monotonic()
    waited, sockets = wait_caught_up(clients, 2, 30)
    knew = sum(1 for s in sockets if s["seen"] >= 2)
    portal.vote(2)
    _, sockets = wait_caught_up(clients, 3, 30)
    live_after = sum(1 for s in sockets if 3 in s["events"])
    reconnected = sum(1 for s in sockets if s["connects"] > 1)
    lines.append(
        f"Redis stopped {back - stopped:.1f} s: vote during the outage "
        f"{'failed: ' + vote_error if vote_error else 'committed'}; "
        f"{knew}/{size} sockets knew it {waited:.1f} s after Redis returned (no new ballot); "
        f"{reconnected} sockets reconnected; the next ballot reached {live_after}/{size} live"
    )
    clients.kill()
    return lines


# --- main -----------------------------------------------------------------------------


def table(rows: list[tuple[str, dict]], bare: dict[int, dict]) -> str:
    head = (
        "| server | S | ready | p50 ms | p95 ms | p99 ms | last socket ms (median / worst) "
        "| lost | deliveries/s (burst) | × bare | server CPU µs per delivery "
        "| stale in Redis after drop | load |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = []
    for name, r in rows:
        base = bare.get(r["sockets"])
        ratio = (
            f"{r['burst_deliveries_per_s'] / base['burst_deliveries_per_s']:.2f}"
            if base and name != "websockets (bare)" and base["burst_deliveries_per_s"]
            else "—"
        )
        stale = (
            f"{r['stale']['group_subscribers']} group, {r['stale']['socket_channels']} socket "
            f"channels ({r['drained_s']:.1f} s)"
            if "stale" in r
            else "—"
        )
        received = r["sockets"] * BURST - r["burst_lost"]
        cost = f"{r['server_cpu_s'] / received * 1e6:.0f}" if received > 0 else "—"
        body.append(
            f"| {name} | {r['sockets']} | {r['ready']} | {ms(r['p50'])} | {ms(r['p95'])} "
            f"| {ms(r['p99'])} | {ms(r['last_median'])} / {ms(r['last_max'])} "
            f"| {r['lost']}/{r['expected']} | {r['burst_deliveries_per_s']:.0f} | {ratio} "
            f"| {cost} | {stale} | {r['load']:.1f} |"
        )
    return head + "\n".join(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,3000")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--redis-url", default="", help="default: a private redis-server")
    parser.add_argument("--faults", action="store_true", help="run the fault scenarios only")
    parser.add_argument("--fault-sockets", type=int, default=300)
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument(
        "--ws",
        choices=["websockets", "websockets-sansio", "wsproto"],
        default="websockets",
        help="uvicorn's WebSocket implementation",
    )
    parser.add_argument(
        "--no-deflate", action="store_true", help="uvicorn: no per-message compression"
    )
    parser.add_argument(
        "--profile", choices=["pyinstrument", "cprofile"], help="profile the app servers"
    )
    parser.add_argument("--json", help="write the results here as well")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    limit = raise_fd_limit()
    redis = None
    if args.redis_url:
        redis_url = args.redis_url
    else:
        redis = RedisServer()
        redis.start()
        redis_url = redis.url
    database_url = prepare_database(args.pg)
    env = server_env(database_url, redis_url, secrets.token_urlsafe(48))
    env["FANOUT_WS"] = args.ws
    env["FANOUT_DEFLATE"] = "false" if args.no_deflate else "true"
    if args.profile:
        env["FANOUT_PROFILE"] = args.profile
    portal = Portal(env)
    portal.migrate()
    portal.build()

    logdir = Path(tempfile.mkdtemp(prefix="fanout-"))
    ports = [free_port(), free_port()]
    logs = [logdir / f"app-{i}.log" for i in range(2)]
    servers = [
        start_app_server(args.server, p, env, log) for p, log in zip(ports, logs, strict=True)
    ]
    urls = [f"ws://127.0.0.1:{p}/ws/live/" for p in ports]
    bare_procs: list[multiprocessing.Process] = []
    print(
        f"fan-out: {os.cpu_count()} cores (load {os.getloadavg()[0]:.1f}) shared by "
        f"2 {args.server} processes, "
        f"{args.workers} client processes, Redis and PostgreSQL; fd limit {limit}; "
        f"logs in {logdir}",
        flush=True,
    )
    try:
        if args.faults:
            for line in run_faults(
                portal, ports, servers, redis, args.fault_sockets, args.workers, args.server,
                env, logs,
            ):  # fmt: skip
                print("-", line, flush=True)
            return
        rows: list[tuple[str, dict]] = []
        bare: dict[int, dict] = {}
        for size in sizes:
            result = run_app(portal, urls, size, args.workers, redis_url, [s.pid for s in servers])
            name = args.server if args.server == "daphne" else f"uvicorn ({args.ws})"
            if args.no_deflate:
                name += ", no deflate"
            rows.append((f"{name} ×2 + Redis Pub/Sub", result))
            print(json.dumps({"app": result}, default=str), flush=True)
        for server in servers:
            stop(server, signal.SIGINT)
        if not args.skip_bare:
            context = multiprocessing.get_context("spawn")
            bare_ports = [free_port(), free_port()]
            for port in bare_ports:
                process = context.Process(target=bare_server, args=(port,), daemon=True)
                process.start()
                bare_procs.append(process)
            for port in bare_ports:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    with socket.socket() as sock:
                        if sock.connect_ex(("127.0.0.1", port)) == 0:
                            break
                    time.sleep(0.1)
            for size in sizes:
                result = run_bare(bare_ports, size, args.workers, [p.pid for p in bare_procs])
                bare[size] = result
                rows.append(("websockets (bare)", result))
                print(json.dumps({"bare": result}, default=str), flush=True)
        print()
        print(table(rows, bare))
        if args.json:
            Path(args.json).write_text(json.dumps({"rows": rows}, default=str, indent=2))
    finally:
        for server in servers:
            stop(server, signal.SIGINT)
        for process in bare_procs:
            process.kill()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()
