"""The portal's background worker: runs the periodic jobs the portal needs.

- ``publish_scheduled`` (Wagtail): publishes and expires scheduled notices, every 5 min;
- ``notify_hall_phases``: tells followers that a hall moved to its next phase, every 10 min;
- ``send_shift_reminders``: the day-before e-mail to volunteers, every 15 min;
- ``close_due_polls``: closes polls whose voting time is over and stores the outcome,
  every minute.

Each run takes a PostgreSQL advisory lock named after the job, so with this worker on
several app hosts a job still runs on one host at a time. Start it with the production
environment: ``python deploy/periodic.py`` (``deploy/serve_prod.py`` does).
"""

from __future__ import annotations

import io
import logging
import os
import signal
import sys
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402

logger = logging.getLogger("portal.periodic")

JOBS: list[tuple[str, int]] = [
    ("close_due_polls", 60),
    ("publish_scheduled", 5 * 60),
    ("notify_hall_phases", 10 * 60),
    ("send_shift_reminders", 15 * 60),
]

_stopping = False


def _stop(signum, frame) -> None:
    global _stopping
    _stopping = True


@contextmanager
def single_runner(name: str):
    """Yield True when this process may run `name` now, False when another host is."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(f"portal.periodic.{name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def run_job(name: str) -> None:
    started = time.monotonic()
    close_old_connections()
    try:
        with single_runner(name) as mine:
            if not mine:
                logger.info("Job skipped, running elsewhere", extra={"job": name})
                return
            # The commands print a one-line summary; it goes into the JSON log entry
            # rather than onto standard output as loose text.
            output = io.StringIO()
            call_command(name, verbosity=0, stdout=output)
        logger.info(
            "Job done",
            extra={
                "job": name,
                "duration_ms": round((time.monotonic() - started) * 1000),
                "output": output.getvalue().strip(),
            },
        )
    except Exception:
        # One failing job must not stop the others; the next round tries again.
        logger.exception("Job failed", extra={"job": name})
    finally:
        close_old_connections()


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    once = "--once" in sys.argv
    due = dict.fromkeys((name for name, _ in JOBS), 0.0)
    logger.info("Background worker started", extra={"jobs": [name for name, _ in JOBS]})
    while not _stopping:
        now = time.monotonic()
        for name, every in JOBS:
            if now >= due[name] and not _stopping:
                run_job(name)
                due[name] = time.monotonic() + every
        if once:
            break
        # Wake up often enough to stop promptly on SIGTERM.
        time.sleep(1)
    logger.info("Background worker stopped")


if __name__ == "__main__":
    main()
