"""Every log line names the request it belongs to: the request id middleware, the log filter and
JSON formatter of production, and the id's trip through a Celery task message to the worker."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import re

import pytest
from celery import shared_task
from django.http import HttpResponse
from django.urls import path

from portals.celery import app
from portals.logs import JsonFormatter
from portals.request_id import RequestIdFilter, current_request_id, request_id_var

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

logger = logging.getLogger("tests.request_id")
GENERATED = re.compile(r"[0-9a-f]{32}")


@shared_task(name="tests.request_id_probe")
def probe(label: str) -> str:
    logger.info("task ran: %s", label)
    return label


def probe_view(request):
    logger.info("view ran")
    probe.delay("from the view")
    return HttpResponse("ok")


def failing_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("probe/", probe_view), path("fail/", failing_view)]


@pytest.fixture
def json_log():
    """The production pipeline (filter + JSON formatter) on a buffer; returns the parsed lines."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    watched = [logger, logging.getLogger("django.request")]
    levels = [log.level for log in watched]
    for log in watched:
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        for log, level in zip(watched, levels, strict=True):
            log.removeHandler(handler)
            log.setLevel(level)


def test_a_view_and_the_task_it_enqueues_log_the_same_request_id(client, json_log):
    response = client.get("/probe/")
    request_id = response["X-Request-ID"]
    assert GENERATED.fullmatch(request_id)
    view_line, task_line = json_log()
    assert (view_line["message"], task_line["message"]) == ("view ran", "task ran: from the view")
    assert view_line["request_id"] == task_line["request_id"] == request_id
    assert task_line["task"] == "tests.request_id_probe" and task_line["task_id"]
    assert "task_id" not in view_line
    assert current_request_id() is None  # nothing leaks past the request


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/probe/"), client.get("/probe/")
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("incoming", [
    "0f8e7a2c-5b1d-4c3e-9a7f-1234567890ab",  # a UUID
    "Root=1-67891233-abcdef012345678912345678",  # a load balancer's trace id
])
def test_a_sane_incoming_request_id_is_kept_and_echoed(client, json_log, incoming):
    response = client.get("/probe/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert {line["request_id"] for line in json_log()} == {incoming}


@pytest.mark.parametrize("incoming", [
    "short", "with space 1234567", "line\nbreak-1234567", 'quote"1234567890', "x" * 65,
    "é" * 20, "-leading-dash-123",
])
def test_an_insane_incoming_request_id_is_replaced(client, json_log, incoming):
    response = client.get("/probe/", HTTP_X_REQUEST_ID=incoming)
    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert {line["request_id"] for line in json_log()} == {response["X-Request-ID"]}


def test_a_server_error_is_logged_with_the_id_the_response_carries(client, json_log):
    client.raise_request_exception = False
    response = client.get("/fail/")
    assert response.status_code == 500
    (error,) = [line for line in json_log() if line["logger"] == "django.request"]
    assert error["request_id"] == response["X-Request-ID"]
    assert error["level"] == "ERROR" and error["status"] == 500
    assert "RuntimeError: boom" in error["exc_info"]


def test_the_id_travels_in_the_task_message_to_the_worker(json_log):
    """Published for real (the test run's in-memory broker), then executed as a worker executes
    a message, in a fresh context that knows nothing of the request."""
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue("celery")
        queue.clear()
        previous = app.conf.task_always_eager
        app.conf.task_always_eager = False
        token = request_id_var.set("req-from-the-web-0001")
        try:
            probe.delay("queued")
        finally:
            request_id_var.reset(token)
            app.conf.task_always_eager = previous
        message = queue.get(timeout=5)
        queue.close()
    assert message.headers["request_id"] == "req-from-the-web-0001"

    from celery.worker.request import Request

    worker_request = Request(message, app=app)
    assert contextvars.Context().run(worker_request.execute) == "queued"
    (line,) = json_log()
    assert line["message"] == "task ran: queued"
    assert line["request_id"] == "req-from-the-web-0001"
    assert current_request_id() is None


def test_a_task_published_outside_any_request_carries_no_id(json_log):
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue("celery")
        queue.clear()
        previous = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            probe.delay("from beat")
        finally:
            app.conf.task_always_eager = previous
        message = queue.get(timeout=5)
        queue.close()
    assert "request_id" not in message.headers
    from celery.worker.request import Request

    contextvars.Context().run(Request(message, app=app).execute)
    assert json_log()[0]["request_id"] is None


def test_json_lines_parse_whatever_the_message_holds():
    formatter = JsonFormatter()
    record = logging.LogRecord("accounts.delivery", logging.WARNING, __file__, 1,
                               'multi\nline "quoted" %s', ("Zürich ✓",), None)
    RequestIdFilter().filter(record)
    line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == 'multi\nline "quoted" Zürich ✓'
    assert entry["level"] == "WARNING" and entry["logger"] == "accounts.delivery"
    assert entry["request_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


def test_library_extras_stay_out_of_the_json_line():
    """Celery passes task arguments as `data`, Django the request object: not for the logs."""
    record = logging.LogRecord("celery.worker.strategy", logging.INFO, __file__, 1,
                               "Task received", (), None)
    record.data = {"args": ["123456"]}
    record.request = object()
    entry = json.loads(JsonFormatter().format(record))
    assert "data" not in entry and "request" not in entry
    assert "123456" not in json.dumps(entry)


def test_gunicorn_access_lines_get_the_request_id_and_fields():
    atoms = {"m": "GET", "U": "/healthz", "s": "200", "M": 12, "h": "127.0.0.1",
             "a": "probe", "{x-request-id}o": "abcdef0123456789"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                               '%(h)s "%(m)s %(U)s" %(s)s', (atoms,), None)
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == '127.0.0.1 "GET /healthz" 200'
    assert entry["request_id"] == "abcdef0123456789"
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"]) == (
        "GET", "/healthz", 200, 12)
