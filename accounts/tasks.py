from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import PortalSession, UserSession, VerificationCode
from .outbox import DeliveryOutcome, message_deliver, message_give_up, outbox_housekeeping


# ignore_result: nothing reads the outcome (the row records it), and asking for a result makes
# every .delay() subscribe to the result store, which hangs a web request for 20 s and then
# fails for good when Redis is down.
@shared_task(bind=True, max_retries=5, acks_late=True, ignore_result=True)
def deliver_message(self, message_id: int) -> str:
    outcome = message_deliver(message_id=message_id)
    if outcome is DeliveryOutcome.RETRY:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            # Nobody will try again (eager mode runs in the request): failed, error kept.
            message_give_up(message_id=message_id)
            return DeliveryOutcome.FAILED.value
        raise self.retry(countdown=min(5 * 2**self.request.retries, 120))
    return outcome.value


@shared_task
def housekeeping() -> dict[str, int]:
    """Periodic (Celery beat): expire and re-queue outbox rows, drop dead codes and sessions."""
    result = outbox_housekeeping()
    now = timezone.now()
    result["codes_deleted"] = VerificationCode.objects.filter(
        expires_at__lte=now - timedelta(days=1)
    ).delete()[0]
    result["sessions_deleted"] = PortalSession.objects.filter(expire_date__lte=now).delete()[0]
    # The profile's list of sessions: a session idle or older than the limits has ended.
    result["session_rows_deleted"] = UserSession.objects.filter(
        Q(last_seen__lte=now - timedelta(seconds=settings.SESSION_IDLE_SECONDS))
        | Q(created_at__lte=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS))
    ).delete()[0]
    return result


@shared_task(acks_late=True)
def bulk_letters_run(job_id: int) -> str:
    """One bulk letter job (accounts/bulk_letters.py); a second delivery does nothing."""
    from .bulk_letters import job_run

    return job_run(job_id=job_id)
