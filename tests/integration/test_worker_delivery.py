"""A real Celery worker over Redis delivers outbox rows written on PostgreSQL.

Runs when CELERY_WORKER_TESTS=1 with DATABASE_URL on PostgreSQL and REDIS_URL set (.ci/run does
this); the worker process is started here against the test database.
"""

from __future__ import annotations

import time

import pytest

from accounts.models import OutboxMessage
from accounts.services import message_queue
from portals.celery import app
from tests.stack import Worker, needs_stack

pytestmark = needs_stack


@pytest.fixture
def worker(transactional_db, tmp_path):
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Worker(tmp_path / "worker.log")
    try:
        started.start()
        yield started.log
    finally:
        app.conf.task_always_eager = previous
        started.stop()


def _wait_for(message: OutboxMessage, status: str, seconds: float = 30) -> OutboxMessage:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == status:
            return message
        time.sleep(0.1)
    return message


def test_a_real_worker_sends_the_sms_once(worker):
    message = message_queue(channel="sms", recipient="+41791234567", body="Votre code: 447683")
    message = _wait_for(message, "sent")
    assert message.status == "sent", worker.read_text()
    assert message.attempts == 1
    assert "SMS to +41791234567: Votre code: 447683" in worker.read_text()

    # The same task delivered twice (at-least-once broker) must not send again.
    from accounts.tasks import deliver_message

    result = deliver_message.apply_async((message.pk,), ignore_result=False)
    # disable_sync_subtasks: earlier eager tests in this process may leave Celery believing it
    # is inside a task; this test is a client waiting for a worker, not a task.
    assert result.get(timeout=20, disable_sync_subtasks=False) == "skipped"
    message.refresh_from_db()
    assert message.attempts == 1
    assert worker.read_text().count("Votre code: 447683") == 1
