"""SMS gateway for django-two-factor-auth: an outbox row now, a Celery task sends it on commit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import OutboxMessage
from .services import message_queue

# PhoneDevice accepts a token for about five 30-second steps: sending it later is pointless.
PHONE_TOKEN_VALIDITY = timedelta(seconds=150)


class OutboxSmsGateway:
    def send_sms(self, device, token: str) -> None:
        user = device.user
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            body = gettext("Votre code: %(code)s") % {"code": token}
        message_queue(
            channel=OutboxMessage.Channel.SMS,
            recipient=device.number.as_e164,
            body=body,
            user=user,
            expires_at=timezone.now() + PHONE_TOKEN_VALIDITY,
        )

    def make_call(self, device, token: str) -> None:
        raise NotImplementedError("Voice calls are not offered")
