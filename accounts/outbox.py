from __future__ import annotations

import enum
from datetime import timedelta

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
    """Send one outbox row at most once, also when its task is delivered twice (the broker
    delivers at least once, and again after a worker died before acknowledging it).

    The row is claimed (status "sending", committed) before the provider is called, and the
    answer is recorded afterwards: a duplicate task finds it claimed or done and does nothing.
    A claim that was never answered (the worker died during the call) may have reached the
    phone, so it is never sent again; housekeeping marks it failed (`outbox_housekeeping`).
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        )
        if message is None or message.status != OutboxMessage.Status.PENDING:
            return DeliveryOutcome.SKIPPED
        if message.is_expired:
            message.status = OutboxMessage.Status.EXPIRED
            message.save(update_fields=["status", *_erase_text(message)])
            return DeliveryOutcome.EXPIRED
        message.attempts += 1
        message.status = OutboxMessage.Status.SENDING
        message.attempted_at = timezone.now()
        message.save(update_fields=["attempts", "status", "attempted_at"])
    claimed = OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING)
    try:
        if message.channel == OutboxMessage.Channel.SMS:
            sent = delivery.send_sms(to=message.recipient, body=message.body)
        else:
            sent = delivery.send_email(
                to=message.recipient, subject=message.subject, body=message.body
            )
    except delivery.TransientDeliveryError as exc:
        claimed.update(status=OutboxMessage.Status.PENDING, error=str(exc)[:300])
        return DeliveryOutcome.RETRY
    except Exception as exc:
        # PermanentDeliveryError, or anything unforeseen: the outcome is unknown, never resend.
        error = str(exc) if isinstance(exc, delivery.PermanentDeliveryError) \
            else f"unexpected error: {type(exc).__name__}"
        claimed.update(status=OutboxMessage.Status.FAILED, error=error[:300],
                       **_erased(message))
        if not isinstance(exc, delivery.PermanentDeliveryError):
            raise
        return DeliveryOutcome.FAILED
    claimed.update(status=OutboxMessage.Status.SENT, provider_id=sent.provider_id,
                   sent_at=timezone.now(), error="", **_erased(message))
    return DeliveryOutcome.SENT


def message_give_up(*, message_id: int) -> bool:
    """After the last retry of a transient failure (or when nobody will retry: eager mode), the
    row ends failed, its last error kept; True if it was still waiting."""
    message = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING).first()
    return message is not None and bool(OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING,
    ).update(status=OutboxMessage.Status.FAILED, **_erased(message)))


def message_not_queued(*, message_id: int, reason: str) -> bool:
    """The task could not be handed to the broker (Redis down). A code, never tried, fails at
    once, so the page can say so and the code does not arrive when nobody waits for it any
    more; a notice (no expiry) stays pending and housekeeping queues it once Redis is back.
    True if the row was failed."""
    waiting = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING, attempts=0,
        expires_at__isnull=False)
    message = waiting.first()
    return message is not None and bool(waiting.update(
        status=OutboxMessage.Status.FAILED, error=reason[:300], **_erased(message)))


def _erased(message: OutboxMessage) -> dict[str, str]:
    return {"body": REDACTED} if _erase_text(message) else {}


def _erase_text(message: OutboxMessage) -> list[str]:
    """Once a message is done with (sent, failed for good, expired), its text (often a code) is
    needed by nobody: erased at once behind a real gateway. The console outbox (DEBUG, tests)
    keeps it a while for /dev/outbox/; housekeeping erases it later."""
    if not delivery.real_gateway(message.channel):
        return []
    message.body = REDACTED
    return ["body"]


REDACTED = "[texte effacé]"
REDACT_AFTER_MINUTES = 15


# Far longer than a provider call may take (Twilio: 10 s timeout): a row still "sending" after
# this was abandoned by a worker that died during the call.
SENDING_ABANDONED_AFTER = timedelta(minutes=5)


def outbox_housekeeping(*, stale_after_seconds: int = 120) -> dict[str, int]:
    """Expire codes nobody sent in time, re-queue rows whose task was lost (never tried), and
    fail rows a dead worker left "sending".

    A row with attempts > 0 is left alone: its own retry is scheduled, or the outcome was
    ambiguous and it must not be sent twice.
    """
    from .tasks import deliver_message

    now = timezone.now()
    abandoned = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, attempted_at__lte=now - SENDING_ABANDONED_AFTER,
    ).update(status=OutboxMessage.Status.FAILED,
             error="outcome unknown: the worker stopped during the call")
    expired = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, expires_at__lte=now
    ).update(status=OutboxMessage.Status.EXPIRED)
    stale = list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING,
            attempts=0,
            created_at__lte=now - timedelta(seconds=stale_after_seconds),
        ).values_list("pk", flat=True)[:500]
    )
    for pk in stale:
        deliver_message.delay(pk)
    # Texts carry codes (login, registration): once a message is done with, keep that it was
    # sent, to whom and when, but not what it said.
    redacted = OutboxMessage.objects.filter(
        created_at__lte=now - timedelta(minutes=REDACT_AFTER_MINUTES),
    ).exclude(status__in=(OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING)).exclude(
        body=REDACTED).update(body=REDACTED)
    return {"expired": expired, "requeued": len(stale), "redacted": redacted,
            "abandoned": abandoned}


# --- Support sends a message again ("SMS not received") -----------------------------------------

RESEND_MAX = 3  # copies of one message, whatever the limits say
STILL_QUEUED = timedelta(minutes=2)  # a row this young and never tried is on its way


class ResendRefused(Exception):
    """Why a message is not sent again: "expired" (a code past its validity: the person asks for
    a new one), "erased" (its text is gone), "queued" (still on its way), "too_many" (resent
    RESEND_MAX times), "limit" (the limits of codes by SMS or e-mail; `message` says which)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def message_resend(*, message_id: int) -> OutboxMessage:
    """A copy of an outbox row (same recipient, account, text and expiry), queued like any
    message; the original is never sent twice. A code (a row with an expiry) past its expiry is
    never resent. Codes and SMS count against the limits of codes (services.message_limit_check,
    under its advisory locks), as if the person had asked again."""
    from . import services

    with transaction.atomic():
        original = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if original is None:
            raise ResendRefused("gone")
        now = timezone.now()
        if original.status == OutboxMessage.Status.EXPIRED or original.is_expired:
            raise ResendRefused("expired")
        if not original.body or original.body == REDACTED:
            raise ResendRefused("erased")
        if original.status == OutboxMessage.Status.SENDING or (
            original.status == OutboxMessage.Status.PENDING and original.attempts == 0
            and original.created_at > now - STILL_QUEUED
        ):
            raise ResendRefused("queued")
        if original.resends.count() >= RESEND_MAX:
            raise ResendRefused("too_many")
        if original.channel == OutboxMessage.Channel.SMS or original.expires_at is not None:
            services.message_limit_lock(channel=original.channel, recipient=original.recipient,
                                        user=original.user)
            try:
                services.message_limit_check(channel=original.channel,
                                             recipient=original.recipient, user=original.user)
            except services.MessageLimitExceeded as exc:
                raise ResendRefused("limit", exc.message) from exc
        if original.status == OutboxMessage.Status.PENDING:
            # Stuck after retries: the copy replaces it, a late retry of it must not send too.
            original.status = OutboxMessage.Status.FAILED
            original.error = "replaced by a resend"
            original.save(update_fields=["status", "error"])
        copy = services.message_queue(
            channel=original.channel, recipient=original.recipient, subject=original.subject,
            body=original.body, user=original.user, expires_at=original.expires_at,
        )
        OutboxMessage.objects.filter(pk=copy.pk).update(resent_from=original)
        copy.resent_from = original
    return copy
