"""A real Celery worker over Redis delivers outbox rows written on PostgreSQL.

Runs when CELERY_WORKER_TESTS=1 with DATABASE_URL on PostgreSQL and REDIS_URL set (.ci/run does
this); the worker process is started here against the test database.
"""

from __future__ import annotations

import json
import time

from accounts.models import OutboxMessage
from accounts.services import message_queue
from tests.stack import needs_stack

pytestmark = needs_stack


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


def test_healthz_counts_the_real_worker(worker, client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz?workers=1")
    assert response.status_code == 200, response.content
    assert response.json()["workers"] == 1


def test_the_worker_logs_with_the_request_id_of_the_request_that_queued_the_task(worker):
    from portals.request_id import request_id_var

    token = request_id_var.set("it-request-0000000001")
    try:  # as inside a request: the task is published when the transaction commits
        message = message_queue(channel="sms", recipient="+41791234568", body="Votre code: 1")
    finally:
        request_id_var.reset(token)
    assert _wait_for(message, "sent").status == "sent", worker.read_text()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = [json.loads(line) for line in worker.read_text().splitlines()
                   if line.startswith("{")]
        tagged = [e for e in entries if e["request_id"] == "it-request-0000000001"]
        if tagged:
            break
        time.sleep(0.1)
    assert tagged, worker.read_text()
    assert {e["task"] for e in tagged} == {"accounts.tasks.deliver_message"}
    assert any("SMS to +41791234568" in e["message"] for e in tagged)
