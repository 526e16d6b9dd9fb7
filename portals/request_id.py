"""One id per request, on every log line it causes, in the web process and in the Celery tasks
it enqueues.

- `RequestIdMiddleware` (first in MIDDLEWARE) takes a sane incoming `X-Request-ID` (a load
  balancer's) or makes one, keeps it in a context variable while the request runs and echoes it
  in the response header.
- `RequestIdFilter` (on the log handlers) copies it onto every log record as `request_id`.
- Celery: `before_task_publish` writes it into the task message's headers; in the worker,
  `task_prerun` sets the context variable from them and `task_postrun` puts the previous value
  back, so a task's log lines carry the id of the request that enqueued it.

No Django import at module level: gunicorn's logging configuration loads the filter before
Django is set up.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Mapping

from celery import signals

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "celery_task", default=None
)

# Letters, digits and - _ . : only, 8 to 64 of them: a UUID, a hex id, a load balancer's
# "Root=1-67..." style trace id. Anything else (spaces, quotes, newlines, 1 KB) is replaced, so a
# client cannot forge log lines or bloat them.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=-]{7,63}")


def sane_request_id(value: str | None) -> str | None:
    if value and _SANE.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sane_request_id(request.headers.get(HEADER)) or new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request or task), and `task`/`task_id` inside a task."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or _from_access_log(record)
        task = task_var.get()
        if task is not None and not hasattr(record, "task_id"):
            record.task, record.task_id = task
        return True


def _from_access_log(record: logging.LogRecord) -> str | None:
    """gunicorn writes its access line after the request ended: the id is in the response's
    headers (its atoms)."""
    if record.name != "gunicorn.access" or not isinstance(record.args, Mapping):
        return None
    return sane_request_id(record.args.get("{x-request-id}o"))


# --- Celery -------------------------------------------------------------------------------------

@signals.before_task_publish.connect(weak=False, dispatch_uid="request_id_publish")
def _publish(headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _from_task(task) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    value = getattr(request, TASK_HEADER, None)
    if not value:
        value = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return sane_request_id(value)


@signals.task_prerun.connect(weak=False, dispatch_uid="request_id_prerun")
def _prerun(task_id=None, task=None, **kwargs) -> None:
    # An eager task runs inside the request that called it: keep that request's id when the
    # message carries none.
    request_id = _from_task(task) or request_id_var.get()
    tokens = (request_id_var.set(request_id),
              task_var.set((getattr(task, "name", "?"), task_id or "")))
    if task is not None:
        task.request._request_id_tokens = tokens


@signals.task_postrun.connect(weak=False, dispatch_uid="request_id_postrun")
def _postrun(task=None, **kwargs) -> None:
    tokens = getattr(getattr(task, "request", None), "_request_id_tokens", None)
    if not tokens:
        return
    request_token, task_token = tokens
    try:
        task_var.reset(task_token)
        request_id_var.reset(request_token)
    except ValueError:  # set in another context (should not happen): clear instead
        task_var.set(None)
        request_id_var.set(None)
    task.request._request_id_tokens = None
