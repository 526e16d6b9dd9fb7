"""SMS gateway for django-two-factor-auth: an outbox row now, a Celery task sends it on commit."""

from __future__ import annotations

from datetime import timedelta

from .services import sms_code_send

# PhoneDevice accepts a token for about five 30-second steps: sending it later is pointless.
PHONE_TOKEN_VALIDITY = timedelta(seconds=150)


class OutboxSmsGateway:
    def send_sms(self, device, token: str) -> None:
        """Raises services.SmsLimitExceeded past the SMS limits (the login view explains it)."""
        # two_factor's phone_create wizard challenges a device that has no user yet.
        user = device.user if device.user_id else None
        sms_code_send(number=device.number.as_e164, code=token, user=user,
                      ttl=PHONE_TOKEN_VALIDITY)

    def make_call(self, device, token: str) -> None:
        raise NotImplementedError("Voice calls are not offered")
