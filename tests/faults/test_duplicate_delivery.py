"""The same task delivered twice: one message.

Redis delivers a task at least once: twice when it is queued twice (housekeeping re-queues a
row whose task seems lost), and again when a worker died before acknowledging it (acks_late),
possibly after the SMS had left. The row is claimed ("sending", committed) before the gateway
is called, so a second delivery finds it claimed and sends nothing; a claim a dead worker left
behind ends failed ("outcome unknown"), never sent again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import delivery
from accounts.models import OutboxMessage
from accounts.outbox import DeliveryOutcome, message_deliver
from accounts.tasks import deliver_message, housekeeping
from tests.conftest import TWILIO_URL
from tests.stack import needs_stack, wait_until

NUMBER = "+41791234567"


class WorkerDied(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, nothing is committed."""


def _sms(**fields) -> OutboxMessage:
    return OutboxMessage.objects.create(channel="sms", recipient=NUMBER,
                                        body="Votre code: 447683",
                                        expires_at=timezone.now() + timedelta(minutes=2),
                                        **fields)


@pytest.mark.django_db
def test_a_task_redelivered_after_its_worker_died_mid_send_sends_nothing_more(
        twilio, monkeypatch):
    twilio.post(TWILIO_URL, json={"sid": "SM1", "status": "queued"}, status=201)
    message = _sms()
    really_send = delivery.send_sms

    def send_then_die(**kwargs):
        really_send(**kwargs)  # the SMS has left...
        raise WorkerDied  # ...and the worker dies before the outcome is written

    monkeypatch.setattr(delivery, "send_sms", send_then_die)
    with pytest.raises(WorkerDied):
        message_deliver(message_id=message.pk)
    monkeypatch.setattr(delivery, "send_sms", really_send)

    # The broker hands the unacknowledged task to another worker.
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SKIPPED
    assert len(twilio.calls) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)

    # Housekeeping ends the abandoned claim: failed, outcome unknown, never re-sent.
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempted_at=timezone.now() - timedelta(minutes=6))
    assert housekeeping.apply().get()["abandoned"] == 1
    message.refresh_from_db()
    assert message.status == "failed" and "outcome unknown" in message.error
    assert deliver_message.apply(args=[message.pk]).get() == "skipped"
    assert len(twilio.calls) == 1


@pytest.mark.django_db
def test_a_claim_still_in_progress_is_not_taken_for_abandoned(twilio):
    """A slow provider call (under 5 minutes) is left to finish."""
    message = _sms(status="sending", attempts=1, attempted_at=timezone.now()
                   - timedelta(seconds=30))
    assert housekeeping.apply().get()["abandoned"] == 0
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SKIPPED
    message.refresh_from_db()
    assert message.status == "sending" and len(twilio.calls) == 0


# --- the real stack -------------------------------------------------------------------------------

@pytest.mark.usefixtures("transactional_db")
class TestOnTheRealStack:
    pytestmark = needs_stack

    def test_one_task_queued_twice_sends_one_sms(self, workers):
        from accounts.services import message_queue

        message = message_queue(channel="sms", recipient=NUMBER, body="Votre code: 447683")
        deliver_message.delay(message.pk)  # the same task again (queued on commit: already)
        worker = workers()
        assert wait_until(lambda: worker.text().count(" succeeded in ") >= 2, 30)
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 1)
        assert worker.text().count(f"SMS to {NUMBER}") == 1
        assert "'skipped'" in worker.text()

    def test_a_worker_killed_after_the_sms_left_does_not_send_it_again(self, workers):
        """SIGKILL once the gateway accepted the SMS: the task is not acknowledged, Redis hands
        it to the next worker (after a visibility timeout of 2 s here), which sends nothing."""
        from accounts.services import message_queue

        dying = workers("dying", module="tests.faults.fault_worker",
                        env={"FAULT_DIE_AFTER_SEND": "1"})
        message = message_queue(channel="sms", recipient=NUMBER, body="Votre code: 447683")
        assert wait_until(lambda: not dying.running, 30), dying.text()
        assert dying.text().count(f"SMS to {NUMBER}") == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sending", 1)

        next_worker = workers("next", module="tests.faults.fault_worker",
                              env={"FAULT_VISIBILITY_TIMEOUT": "2"})
        assert wait_until(lambda: "'skipped'" in next_worker.text(), 30), next_worker.text()
        assert f"SMS to {NUMBER}" not in next_worker.text()
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sending", 1)
