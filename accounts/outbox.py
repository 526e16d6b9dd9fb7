from __future__ import annotations

import enum

from django.db import transaction
from django.utils import timezone

from . import delivery
from .models import OutboxMessage


class DeliveryOutcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    FAILED = "failed"
    RETRY = "retry"


def message_deliver(*, message_id: int) -> DeliveryOutcome:
    """Send one outbox row at most once: the row lock and its status guard a duplicate task."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        )
        if message is None or message.status != OutboxMessage.Status.PENDING:
            return DeliveryOutcome.SKIPPED
        if message.is_expired:
            message.status = OutboxMessage.Status.EXPIRED
            message.save(update_fields=["status"])
            return DeliveryOutcome.EXPIRED
        message.attempts += 1
        try:
            if message.channel == OutboxMessage.Channel.SMS:
                sent = delivery.send_sms(to=message.recipient, body=message.body)
            else:
                sent = delivery.send_email(
                    to=message.recipient, subject=message.subject, body=message.body
                )
        except delivery.TransientDeliveryError as exc:
            message.error = str(exc)[:300]
            message.save(update_fields=["attempts", "error"])
            return DeliveryOutcome.RETRY
        except delivery.PermanentDeliveryError as exc:
            message.status = OutboxMessage.Status.FAILED
            message.error = str(exc)[:300]
            message.save(update_fields=["attempts", "error", "status"])
            return DeliveryOutcome.FAILED
        message.status = OutboxMessage.Status.SENT
        message.provider_id = sent.provider_id
        message.sent_at = timezone.now()
        message.error = ""
        message.save(update_fields=["attempts", "status", "provider_id", "sent_at", "error"])
        return DeliveryOutcome.SENT
