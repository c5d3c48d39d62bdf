"""gunicorn settings for the portal's HTTP workers (WSGI, `portal.wsgi:application`).

`deploy/serve_prod.py` sets the environment variables read here; a systemd unit can set
them the same way. WebSockets never reach these workers: nginx sends /ws/ to the ASGI
(uvicorn) workers.
"""

import os

bind = os.environ.get("PORTAL_HTTP_BIND", "127.0.0.1:8001")
# Threaded workers (gthread): cores + 1 processes with 4 threads each. Measured against
# sync workers (2 × cores + 1) with bench/votes.py --compare-servers: about twice the
# requests per second for a minimal view and more ballots and pages at C = 200, mostly
# because gthread workers keep nginx's upstream connections alive and sync workers
# close every connection after one request.
workers = int(os.environ.get("GUNICORN_WORKERS", str((os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
# A request stuck longer than this is killed and logged; nginx gives up at 60 s.
timeout = 30
graceful_timeout = 20
# nginx keeps upstream connections open (keepalive in the upstream block); a longer
# idle timeout here means nginx, not gunicorn, decides when they close.
keepalive = 75
# Recycle workers now and then so a slow leak in any library cannot grow unbounded;
# the jitter keeps them from restarting all at once.
max_requests = 20000
max_requests_jitter = 2000
# Only nginx on this host talks to gunicorn; trust its X-Forwarded-* headers.
forwarded_allow_ips = "127.0.0.1,::1"
# nginx writes the access log (with timings); gunicorn logs only its own events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "portal-http"
# Import the portal once in the master, then fork: workers start in a fraction of the
# time and share the imported code's memory. Nothing at import time opens a database
# or Redis connection, so no socket is shared across the fork.
preload_app = True
# No runtime control socket: its default path is per user, not per instance, and the
# supervisor (systemd or deploy/serve_prod.py) already owns restarts.
control_socket_disable = True


def _json_logging() -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "portal.settings.production.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


# The master logs in the same JSON lines as the workers (the formatter lives with the
# production settings, which the master imports for it).
if os.environ.get("DJANGO_SETTINGS_MODULE") == "portal.settings.production":
    logconfig_dict = _json_logging()
