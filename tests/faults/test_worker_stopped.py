"""The worker stopped while codes are asked for, then started: a code still valid is sent once
(even when housekeeping queued it a second time meanwhile), an expired one never; the person
whose code arrived logs in with it."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from accounts.models import OutboxMessage
from accounts.outbox import outbox_housekeeping
from tests.conftest import post_password, post_token
from tests.faults.conftest import SENT_TEXT, code_in, sms_user
from tests.stack import needs_stack, wait_until

pytestmark = needs_stack

VALID, LATE = "+41791110001", "+41791110002"


def test_queued_codes_wait_for_the_worker_and_expired_ones_are_never_sent(
        workers, insured, other_insured):
    claire, otto = Client(), Client()
    sms_user(insured, VALID)
    sms_user(other_insured, LATE)

    # No worker runs: both persons ask for a code, and are told it is on its way.
    for client, user in ((claire, insured), (otto, other_insured)):
        page = post_password(client, user.email)
        assert page.status_code == 200 and SENT_TEXT in page.content.decode()
    valid = OutboxMessage.objects.get(recipient=VALID)
    late = OutboxMessage.objects.get(recipient=LATE)
    assert (valid.status, late.status) == ("pending", "pending")

    # Housekeeping (beat) sees Claire's row waiting for over 2 minutes and queues it a second
    # time; then Otto's code outlives its 150 s while the worker is still down.
    OutboxMessage.objects.filter(pk=valid.pk).update(created_at=timezone.now()
                                                     - timedelta(minutes=3))
    assert outbox_housekeeping()["requeued"] == 1
    OutboxMessage.objects.filter(pk=late.pk).update(expires_at=timezone.now()
                                                    - timedelta(seconds=1))

    worker = workers()

    assert wait_until(lambda: worker.text().count(" succeeded in ") >= 3, 30), worker.text()
    valid.refresh_from_db()
    late.refresh_from_db()
    assert (valid.status, valid.attempts) == ("sent", 1)
    assert (late.status, late.attempts) == ("expired", 0)
    log = worker.text()
    assert log.count(f"SMS to {VALID}") == 1  # three tasks for two rows: one SMS
    assert f"SMS to {LATE}" not in log
    assert "'skipped'" in log and "'expired'" in log

    response = post_token(claire, code_in(valid.body))
    assert response.status_code == 302
    assert claire.get("/insured/").status_code == 200
