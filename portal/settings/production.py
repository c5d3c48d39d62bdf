"""Production: everything secret or per-site comes from the environment."""

import json
import logging
import os
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, env_bool

DEMO_DATA_ALLOWED = env_bool("DEMO_DATA_ALLOWED", False)

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters.")

# TLS ends at the proxy in front of the app servers.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe over plain HTTP; a redirect would read as "unhealthy".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Only a site served over plain HTTP on this machine (a local trial of the production
# setup) turns these off; browsers would otherwise drop the login and CSRF cookies.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Wagtail lifts this for its own preview frames only.
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_bool("SECURE_COOKIES", True) else "http"

if REDIS_URL:  # noqa: F405
    CACHES = {
        "default": {
            # A Redis outage reads as an empty cache instead of failing requests;
            # /healthz still reports it. Short timeouts make a hung Redis fail fast.
            "BACKEND": "portal.health.FailSoftRedisCache",
            "LOCATION": REDIS_URL,  # noqa: F405
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

# Persistent connections (CONN_MAX_AGE) are checked before reuse, so a restarted
# database costs one reconnect instead of one failed request per worker.
CONN_HEALTH_CHECKS = True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so the log collector needs no parsing rules.

    Standard fields first; anything passed with ``extra=`` is kept under its own name.
    """

    # uvicorn adds a copy of each message with terminal colour codes.
    _skipped = {"message", "asctime", "taskName", "color_message"}
    _standard = set(vars(logging.makeLogRecord({}))) | _skipped

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                entry[key] = value
        request = entry.pop("request", None)
        if request is not None:
            # Django's request logging attaches the request object itself.
            entry["method"] = getattr(request, "method", None)
            entry["path"] = getattr(request, "path", None)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


LOGGING = {
    **LOGGING,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        **LOGGING["loggers"],
        # The app servers' own messages (worker start, timeouts) in the same format.
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Live events leave from one long-lived sender thread per process, off the request path.
LIVE_PUBLISH_IN_BACKGROUND = env_bool("LIVE_PUBLISH_IN_BACKGROUND", True)
