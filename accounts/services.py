from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import OutboxMessage, SecurityEvent, Terms, TermsAcceptance, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def security_event_record(
    *, user: User | None, kind: str, request: HttpRequest | None = None, **detail
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        user=user,
        kind=kind,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""),
        detail=detail,
    )


def terms_accept(*, user: User, version: int, request: HttpRequest | None = None) -> None:
    _, created = TermsAcceptance.objects.get_or_create(
        user=user, version=version, defaults={"ip_address": client_ip(request)}
    )
    if created:
        security_event_record(
            user=user, kind=SecurityEvent.Kind.TERMS_ACCEPTED, request=request, version=version
        )


def terms_current_version() -> int | None:
    return (
        Terms.objects.filter(published_at__lte=timezone.now())
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )


def message_queue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    user: User | None = None,
    expires_at: datetime | None = None,
) -> OutboxMessage:
    """Write the outbox row; deliver it through Celery once the surrounding transaction commits."""
    from .tasks import deliver_message

    message = OutboxMessage.objects.create(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        user=user,
        expires_at=expires_at,
    )
    transaction.on_commit(lambda: deliver_message.delay(message.pk))
    return message
