from __future__ import annotations

from celery import shared_task

from .outbox import DeliveryOutcome, message_deliver


@shared_task(bind=True, max_retries=5, acks_late=True)
def deliver_message(self, message_id: int) -> str:
    outcome = message_deliver(message_id=message_id)
    if outcome is DeliveryOutcome.RETRY:
        raise self.retry(countdown=min(5 * 2**self.request.retries, 120))
    return outcome.value
