from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_healthz_answers_503_when_the_broker_is_down(client, settings):
    from portals.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"


# --- ?workers=1: the Celery workers are part of the answer -------------------------------------

def test_workers_are_not_needed_while_tasks_run_in_the_web_process(client):
    response = client.get("/healthz?workers=1")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == "eager"


@pytest.fixture
def queued(settings):
    """Tasks go through the broker (the test run's: in memory, or Redis in .ci/run)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


def test_workers_1_answers_503_when_no_worker_answers_the_ping(client, queued):
    response = client.get("/healthz?workers=1")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["workers"] == 0
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok", "workers": "down"}


def test_workers_1_answers_200_with_how_many_workers_answered(client, queued, monkeypatch):
    from portals.celery import app

    monkeypatch.setattr(app.control, "ping", lambda timeout: [
        {"celery@web-1": {"ok": "pong"}}, {"celery@web-2": {"ok": "pong"}}])
    response = client.get("/healthz?workers=1")
    assert response.status_code == 200
    assert response.json()["workers"] == 2
    assert response.json()["checks"]["workers"] == "ok"


def test_without_workers_1_no_worker_is_asked(client, queued, monkeypatch):
    from portals.celery import app

    def ping(timeout):
        raise AssertionError("the plain healthcheck must not wait for workers")

    monkeypatch.setattr(app.control, "ping", ping)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "workers" not in response.json()["checks"]


def test_workers_1_with_the_broker_down_is_503_without_waiting_for_a_ping(client, queued):
    from portals.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz?workers=1")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"
    assert response.json()["checks"]["workers"] == "down"
    assert response.json()["workers"] == 0


def test_every_answer_carries_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
