"""Outbox delivery: at most once, never after expiry, Twilio faked at the HTTP layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts.models import OutboxMessage
from accounts.outbox import DeliveryOutcome, message_deliver
from accounts.services import message_queue
from tests.conftest import TWILIO_URL

pytestmark = pytest.mark.django_db





def _sms(**kwargs) -> OutboxMessage:
    defaults = {"channel": "sms", "recipient": "+41791234567", "body": "Votre code: 447683"}
    defaults.update(kwargs)
    return OutboxMessage.objects.create(**defaults)


def test_queued_sms_is_sent_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="sms", recipient="+41791234567", body="Votre code: 1")
        assert OutboxMessage.objects.get(pk=message.pk).status == "pending"
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_queue(channel="sms", recipient="+41791234567", body="Votre code: 1")
    assert len(callbacks) == 1  # queued only on commit; a rollback drops the callback


def test_a_duplicate_task_does_not_send_twice(twilio):
    twilio.post(TWILIO_URL, json={"sid": "SM123", "status": "queued"}, status=201)
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SENT
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SKIPPED
    assert len(twilio.calls) == 1
    message.refresh_from_db()
    assert message.provider_id == "SM123"
    assert "Body=Votre+code" in twilio.calls[0].request.body


def test_an_expired_code_is_never_sent(twilio):
    message = _sms(expires_at=timezone.now() - timedelta(seconds=1))
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.EXPIRED
    assert len(twilio.calls) == 0
    message.refresh_from_db()
    assert message.status == "expired"


def test_twilio_429_is_retried_later(twilio):
    twilio.post(TWILIO_URL, json={"code": 20429, "message": "Too Many Requests"}, status=429)
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.RETRY
    message.refresh_from_db()
    assert message.status == "pending"
    assert message.attempts == 1


def test_refused_connection_is_retried_later(twilio):
    twilio.post(TWILIO_URL, body=requests.exceptions.ConnectionError("refused"))
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.RETRY


@pytest.mark.parametrize("status", [500, 502, 503])
def test_twilio_5xx_is_failed_and_never_resent(twilio, status):
    twilio.post(TWILIO_URL, json={"code": 20500, "message": "error"}, status=status)
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.FAILED
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SKIPPED
    assert len(twilio.calls) == 1
    message.refresh_from_db()
    assert message.status == "failed"


def test_read_timeout_is_failed_because_the_sms_may_have_left(twilio):
    twilio.post(TWILIO_URL, body=requests.exceptions.ReadTimeout("slow"))
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.FAILED


def test_email_goes_through_django_mail(mailoutbox):
    message = OutboxMessage.objects.create(
        channel="email", recipient="claire@example.ch", subject="Code", body="Votre code: 1"
    )
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SENT
    assert [m.to for m in mailoutbox] == [["claire@example.ch"]]


def _run_in_worker(task, *args, retries: int):
    """The task body as a worker runs it (not eager), at its `retries`-th retry."""
    task.push_request(args=list(args), retries=retries, is_eager=False, called_directly=False)
    try:
        return task.run(*args)
    finally:
        task.pop_request()


def test_a_worker_retries_a_429_then_gives_up_with_the_error_recorded(twilio, settings):
    from celery.exceptions import Retry

    from accounts.tasks import deliver_message

    settings.CELERY_TASK_ALWAYS_EAGER = False
    twilio.post(TWILIO_URL, json={"code": 20429}, status=429)
    message = _sms()
    with pytest.raises(Retry):
        _run_in_worker(deliver_message, message.pk, retries=0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert _run_in_worker(deliver_message, message.pk, retries=5) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    assert message.error == "twilio 429 (20429)"
    assert len(twilio.calls) == 2


def test_in_eager_mode_nobody_retries_so_a_429_fails_at_once(twilio):
    from accounts.tasks import deliver_message

    twilio.post(TWILIO_URL, json={"code": 20429}, status=429)
    message = _sms()
    assert deliver_message.apply(args=[message.pk], throw=True).get() == "failed"
    message.refresh_from_db()
    assert message.status == "failed" and message.error == "twilio 429 (20429)"


def test_housekeeping_requeues_a_lost_row_and_expires_an_old_code():
    from accounts.tasks import housekeeping

    lost = _sms()
    OutboxMessage.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    late = _sms(expires_at=timezone.now() - timedelta(seconds=1))
    tried = _sms(attempts=1)
    OutboxMessage.objects.filter(pk=tried.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    result = housekeeping.apply().get()
    assert result["expired"] == 1 and result["requeued"] == 1
    lost.refresh_from_db()
    late.refresh_from_db()
    tried.refresh_from_db()
    assert lost.status == "sent"  # eager mode: the re-queued task ran
    assert late.status == "expired"
    assert tried.status == "pending" and tried.attempts == 1  # never re-sent blindly


def test_texts_are_erased_once_delivered_and_old_and_never_shown_in_admin(as_user, support):
    from accounts.outbox import REDACTED
    from accounts.tasks import housekeeping

    old = _sms(status="sent")
    OutboxMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(minutes=20))
    fresh = _sms(status="sent")
    housekeeping.apply().get()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.body == REDACTED
    assert fresh.body == "Votre code: 447683"  # still readable on /dev/outbox/ for a moment
    page = as_user(support).get(f"/admin/accounts/outboxmessage/{fresh.pk}/change/")
    assert page.status_code == 200
    assert "447683" not in page.content.decode()


def test_housekeeping_drops_ended_sessions_and_their_list_rows(insured):
    from django.test import Client

    from accounts.models import PortalSession, UserSession
    from accounts.tasks import housekeeping
    from tests.conftest import login_verified

    live, stale = login_verified(Client(), insured), login_verified(Client(), insured)
    stale_key = stale.cookies["sessionid"].value
    PortalSession.objects.filter(session_key=stale_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    UserSession.objects.filter(user=insured).update(last_seen=timezone.now())
    old_row = UserSession.objects.filter(user=insured).order_by("pk").last()
    UserSession.objects.filter(pk=old_row.pk).update(
        last_seen=timezone.now() - timedelta(minutes=31))
    result = housekeeping.apply().get()
    assert result["sessions_deleted"] == 1 and result["session_rows_deleted"] == 1
    assert PortalSession.objects.filter(user=insured).count() == 1
    assert UserSession.objects.filter(user=insured).count() == 1
    assert live.get("/profile/").status_code == 200


def test_a_code_the_queue_refused_fails_with_its_text_erased_and_a_notice_waits(twilio):
    from accounts.outbox import REDACTED, message_not_queued

    code = _sms(expires_at=timezone.now() + timedelta(minutes=2))
    notice = _sms(body="Votre mot de passe a été modifié.")
    assert message_not_queued(message_id=code.pk, reason="queue unavailable")
    assert not message_not_queued(message_id=notice.pk, reason="queue unavailable")
    code.refresh_from_db()
    notice.refresh_from_db()
    assert (code.status, code.error, code.body) == ("failed", "queue unavailable", REDACTED)
    assert notice.status == "pending"  # housekeeping queues it once Redis is back
    assert len(twilio.calls) == 0
