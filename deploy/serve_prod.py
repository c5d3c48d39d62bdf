#!/usr/bin/env python3
"""Start the portal's production setup on this machine and keep it running.

    python deploy/serve_prod.py [--port 8080] [--env-file deploy/portal.env]

Processes, all supervised here (one that dies is restarted; Ctrl-C or SIGTERM stops
them all gracefully):

- nginx on --host:--port, in front of everything;
- HTTP workers behind it: gunicorn WSGI workers (default) or uvicorn ASGI workers;
- WebSocket workers for /ws/: uvicorn running `portal.asgi:application`;
- the background worker (`deploy/periodic.py`) for scheduled publishing and reminders.

Before starting it migrates, compiles translations and collects static files (skip with
--no-prepare). The environment (see deploy/env.example) names PostgreSQL, Redis and the
secret key. On a loopback address with no TLS in front, the HTTPS-only settings are
relaxed unless the environment sets them, so the setup can be tried over plain HTTP.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent

# What a trial over plain HTTP on 127.0.0.1 needs; never applied to a public address.
LOCAL_DEFAULTS = {
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
DEFAULTS = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    # Persistent database connections: one connect per worker, not one per request.
    "CONN_MAX_AGE": "60",
    "PYTHONUNBUFFERED": "1",
}


def log(message: str, **fields) -> None:
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "INFO",
        "logger": "serve_prod",
        "message": message,
        **fields,
    }
    print(json.dumps(entry, ensure_ascii=False), flush=True)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def build_env(args: argparse.Namespace, run_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    if args.env_file:
        for key, value in read_env_file(Path(args.env_file)).items():
            env.setdefault(key, value)
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    if is_loopback(args.host):
        for key, value in LOCAL_DEFAULTS.items():
            env.setdefault(key, value)
    if not env.get("SECRET_KEY"):
        if not is_loopback(args.host):
            sys.exit("SECRET_KEY must be set (see deploy/env.example).")
        # A local trial keeps one generated key across restarts, so logins survive.
        key_file = run_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(64))
            key_file.chmod(0o600)
        env["SECRET_KEY"] = key_file.read_text().strip()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PORTAL_HTTP_BIND"] = f"127.0.0.1:{args.http_port}"
    env["GUNICORN_WORKERS"] = str(args.http_workers)
    env["GUNICORN_THREADS"] = str(args.threads)
    env.setdefault("MEDIA_ROOT", str(ROOT / "media"))
    return env


def render_nginx(
    *,
    listen: str,
    http_upstream: str,
    ws_upstream: str,
    run_dir: Path,
    media_root: str,
    access_log: str = "/dev/stdout json",
    workers: str = "auto",
) -> Path:
    """Write nginx.conf for these addresses into `run_dir` and return its path."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    # Started as root, nginx's workers drop to an unprivileged user that must be able
    # to write request bodies here.
    if os.geteuid() == 0:
        for path in (run_dir / "nginx-tmp").rglob("*"):
            path.chmod(0o777)
        (run_dir / "nginx-tmp").chmod(0o777)
    values = {
        "listen": listen,
        "http_upstream": http_upstream,
        "ws_upstream": ws_upstream,
        "run_dir": str(run_dir),
        "media_root": media_root.rstrip("/"),
        "access_log": access_log,
        "nginx_workers": workers,
        "mime_types": "/etc/nginx/mime.types",
    }
    text = (DEPLOY / "nginx.conf.template").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    conf = run_dir / "nginx.conf"
    conf.write_text(text)
    return conf


def uvicorn_command(port: int, workers: int, *, websockets: bool) -> list[str]:
    command = [
        str(BIN / "uvicorn"),
        "portal.asgi:application",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        "--loop=uvloop",
        "--http=httptools",
        "--lifespan=off",
        "--no-access-log",
        f"--log-config={DEPLOY / 'uvicorn-log.json'}",
        "--proxy-headers",
        "--forwarded-allow-ips=127.0.0.1",
        "--timeout-keep-alive=75",
    ]
    if websockets:
        # Pings find half-open connections (a phone that lost signal) within a minute.
        command += ["--ws=websockets-sansio", "--ws-ping-interval=20", "--ws-ping-timeout=20"]
    else:
        command += ["--ws=none"]
    return command


# Django keeps a database connection per thread. Under ASGI every HTTP request runs its
# view in a thread of its own, so persistent connections pile up until PostgreSQL refuses
# new ones; the ASGI processes therefore close them after each request.
ASGI_ENV = {"CONN_MAX_AGE": "0"}


def commands(args: argparse.Namespace, conf: Path, run_dir: Path) -> dict[str, tuple[list, dict]]:
    """name -> (argv, environment overrides)."""
    if args.http_server == "gunicorn":
        http = (
            [
                str(BIN / "gunicorn"),
                "--config",
                str(DEPLOY / "gunicorn.conf.py"),
                "portal.wsgi:application",
            ],
            {},
        )
    else:
        http = (uvicorn_command(args.http_port, args.http_workers, websockets=False), ASGI_ENV)
    procs = {
        "http": http,
        "ws": (uvicorn_command(args.ws_port, args.ws_workers, websockets=True), ASGI_ENV),
        "nginx": ([args.nginx, "-e", "stderr", "-p", str(run_dir), "-c", str(conf)], {}),
    }
    if not args.no_worker:
        procs["worker"] = ([sys.executable, str(DEPLOY / "periodic.py")], {})
    return procs


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            log("Creating database", database=config["NAME"])
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def prepare(env: dict[str, str]) -> None:
    ensure_database(env.get("DATABASE_URL", ""))
    manage = [sys.executable, str(ROOT / "manage.py")]
    steps = [
        ["migrate", "--noinput"],
        ["compile_translations"],
        ["collectstatic", "--noinput", "--verbosity=0"],
    ]
    for step in steps:
        log("Preparing", step=" ".join(step))
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True)  # noqa: S603


def wait_healthy(url: str, host: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310
            with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


class Supervisor:
    """Runs the processes, restarts one that dies, stops all on SIGTERM/SIGINT."""

    def __init__(self, procs: dict[str, tuple[list, dict]], env: dict[str, str]):
        self.specs = procs
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, float] = {}
        self.stopping = False

    def start(self, name: str) -> None:
        argv, overrides = self.specs[name]
        self.running[name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
            argv, cwd=ROOT, env={**self.env, **overrides}
        )
        log("Started", process=name, pid=self.running[name].pid)

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, on_ready=None) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for name in self.specs:
            self.start(name)
        if on_ready is not None:
            # In a thread: the loop below must keep reacting to signals and deaths.
            threading.Thread(target=on_ready, daemon=True).start()
        while not self.stopping:
            for name, proc in list(self.running.items()):
                code = proc.poll()
                if code is None or self.stopping:
                    continue
                # Back off when a process keeps dying (bad config, database down).
                wait = 1.0 if time.monotonic() - self.restarts.get(name, 0) > 30 else 5.0
                log("Exited, restarting", process=name, code=code, wait_s=wait)
                time.sleep(wait)
                self.restarts[name] = time.monotonic()
                self.start(name)
            time.sleep(0.5)
        return self.shutdown()

    def shutdown(self) -> int:
        log("Stopping")
        for name, proc in self.running.items():
            if proc.poll() is None:
                # SIGQUIT is nginx's graceful stop; the Python servers finish their
                # requests on SIGTERM.
                proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        deadline = time.monotonic() + 25
        for proc in self.running.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log("Stopped")
        return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on")
    parser.add_argument("--port", type=int, default=8080, help="port nginx listens on")
    parser.add_argument("--http-port", type=int, default=8001)
    parser.add_argument("--ws-port", type=int, default=8002)
    parser.add_argument(
        "--http-server",
        choices=["gunicorn", "uvicorn"],
        default="gunicorn",
        help="gunicorn WSGI workers (default, fastest in bench/votes.py) or uvicorn ASGI",
    )
    # gthread workers, cores + 1 of them with 4 threads: the fastest mix measured
    # (bench/README.md).
    parser.add_argument("--http-workers", type=int, default=cpus + 1)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--ws-workers", type=int, default=cpus)
    parser.add_argument("--env-file", help="KEY=VALUE lines; the real environment wins")
    parser.add_argument("--run-dir", help="nginx config, pid and temp files")
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate/collectstatic")
    parser.add_argument("--no-worker", action="store_true", help="no background worker here")
    parser.add_argument("--no-access-log", action="store_true", help="nginx logs no requests")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_dir = Path(args.run_dir or Path(tempfile.gettempdir()) / f"portal-prod-{args.port}")
    run_dir.mkdir(parents=True, exist_ok=True)
    env = build_env(args, run_dir)
    if not Path(args.nginx).exists():
        sys.exit("nginx not found: install it (Debian: apt-get install nginx) or pass --nginx.")
    if not args.no_prepare:
        prepare(env)
    conf = render_nginx(
        listen=f"{args.host}:{args.port}",
        http_upstream=f"127.0.0.1:{args.http_port}",
        ws_upstream=f"127.0.0.1:{args.ws_port}",
        run_dir=run_dir,
        media_root=env["MEDIA_ROOT"],
        access_log="off" if args.no_access_log else "/dev/stdout json",
    )
    subprocess.run(  # noqa: S603
        [args.nginx, "-t", "-q", "-e", "stderr", "-p", str(run_dir), "-c", str(conf)], check=True
    )
    supervisor = Supervisor(commands(args, conf, run_dir), env)
    host_header = env["ALLOWED_HOSTS"].split(",")[0].strip()
    url = f"http://{args.host}:{args.port}"

    def announce() -> None:
        if wait_healthy(f"{url}/healthz", f"{host_header}:{args.port}", 60):
            log("Ready", url=f"{url}/", http_server=args.http_server)
        else:
            log("Not healthy after 60 s: see the log above", url=f"{url}/healthz")

    return supervisor.run(on_ready=announce)


if __name__ == "__main__":
    sys.exit(main())
