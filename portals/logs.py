"""Log formats: one JSON object per line in production, readable text on a laptop.

`logging_config(json_lines=...)` is the one configuration used by Django (settings.LOGGING), the
Celery worker and beat (portals/celery.py) and gunicorn (gunicorn.conf.py), so every process of
the stack writes the same lines to stdout. No Django import: gunicorn loads it before Django.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601, ms), level, logger, message, request_id; task and task_id inside a
    Celery task; method, path, status, duration_ms... for gunicorn's access lines; exc_info as
    text. Other `extra=` attributes are left out on purpose: libraries put task arguments and
    request objects there (Celery's "data", Django's "request"), which are not for the logs."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            entry.update(_access_fields(record.args))
        if getattr(record, "task_id", None):
            entry["task"] = getattr(record, "task", None)
            entry["task_id"] = record.task_id
        if isinstance(getattr(record, "status_code", None), int):  # django.request's 4xx/5xx
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _access_fields(atoms: Mapping) -> dict:
    """gunicorn's access atoms as fields (its message stays the usual combined log line)."""
    def atom(key: str) -> str | None:
        value = atoms.get(key)
        return None if value in (None, "-") else str(value)

    fields = {"method": atom("m"), "path": atom("U"), "status": atom("s"),
              "duration_ms": atom("M"), "remote_addr": atom("h"), "user_agent": atom("a")}
    for key in ("status", "duration_ms"):
        if fields[key] is not None and fields[key].isdigit():
            fields[key] = int(fields[key])
    return {key: value for key, value in fields.items() if value is not None}


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, json_lines: bool, level: str = "INFO") -> dict:
    """A dictConfig: one stdout handler with the request id filter, JSON or text."""
    formatter = (
        {"()": "portals.logs.JsonFormatter"} if json_lines else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portals.request_id.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            "django.db.backends": {"level": "INFO"},
            # Even with LOG_LEVEL=DEBUG: the template engine logs a missing variable at DEBUG
            # with the whole context of the page (backup codes, a TOTP key being set up).
            "django.template": {"level": "INFO"},
            # Twilio's client logs every request and its headers at INFO: not in our logs.
            "twilio": {"level": "WARNING"},
            # gunicorn's own loggers: the same handler, once (they do not propagate).
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
