"""gunicorn settings for bin/start-web, read from the environment (docker-compose.yml, .ci/run).

GUNICORN_BIND           address to listen on (default 0.0.0.0:8000)
WEB_CONCURRENCY         worker processes (default 2 x CPUs + 1, at most 8)
GUNICORN_THREADS        threads per worker process (default 1)
GUNICORN_TIMEOUT        seconds before a silent worker is restarted (default 30)
GUNICORN_MAX_REQUESTS   recycle a worker after this many requests, +/- 10 % (default 2000; 0 = never)
FORWARDED_ALLOW_IPS     proxies whose X-Forwarded-* gunicorn trusts (default 127.0.0.1,::1)
LOG_FORMAT / LOG_LEVEL  as for Django: the access log and gunicorn's own lines go to stdout,
                        as JSON lines with the request id unless LOG_FORMAT=text
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, not {value}")
    return value


_debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
# As portals/settings.py decides (it refuses other values when Django starts).
_json = (os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if _debug else "json")) == "json"
_level = os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO"

wsgi_app = "portals.wsgi:application"
bind = [address.strip() for address in (os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000")
        .split(",") if address.strip()]
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8), minimum=1)
threads = _int("GUNICORN_THREADS", 1, minimum=1)
timeout = _int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = 20
keepalive = 5
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

# The access log and gunicorn's own messages on stdout, one line each.
accesslog = "-"
errorlog = "-"
loglevel = _level.lower()
if _json:
    from portals.logs import logging_config

    logconfig_dict = logging_config(json_lines=True, level=_level)
