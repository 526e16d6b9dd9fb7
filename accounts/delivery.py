"""Sending one outbox message through its provider.

A transient failure (HTTP 429, connection refused) may be retried; an ambiguous one (5xx, timeout)
may already have reached the phone, so it is marked failed and never re-sent automatically.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


class TransientDeliveryError(Exception):
    """Nothing was delivered; trying again later is safe."""


class PermanentDeliveryError(Exception):
    """Delivery failed or its outcome is unknown; do not send again."""


@dataclass(frozen=True)
class Sent:
    provider_id: str


# Backends that only print or keep the message in this process (DEBUG, tests): their text may
# stay readable on /dev/outbox/. Any other backend really sends it.
DEV_EMAIL_BACKENDS = frozenset({
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
})


def real_gateway(channel: str) -> bool:
    """True when `channel` ("sms" or "email") goes through a real provider."""
    if channel == "sms":
        return settings.SMS_BACKEND != "console"
    return settings.EMAIL_BACKEND not in DEV_EMAIL_BACKENDS


def send_sms(*, to: str, body: str) -> Sent:
    if settings.SMS_BACKEND == "twilio":
        return _send_sms_twilio(to=to, body=body)
    logger.info("SMS to %s: %s", to, body)  # the console gateway: read it in the terminal
    return Sent(provider_id="console")


def twilio_http_client():
    """Twilio's HTTP client; with settings.TWILIO_API_BASE_URL set, every request for
    https://api.twilio.com/... goes to that base URL instead (a fake Twilio on loopback in CI,
    a forward proxy). Twilio's documented way: a custom HTTP client, not a patched library."""
    from twilio.http.http_client import TwilioHttpClient

    base_url = settings.TWILIO_API_BASE_URL
    if not base_url:
        return TwilioHttpClient(timeout=10)

    class BaseUrlHttpClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            parts = urlsplit(url)
            if parts.hostname and parts.hostname.endswith(".twilio.com"):
                url = urlunsplit((*urlsplit(base_url)[:2], parts.path, parts.query, ""))
            return super().request(method, url, *args, **kwargs)

    return BaseUrlHttpClient(timeout=10)


def _send_sms_twilio(*, to: str, body: str) -> Sent:
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=twilio_http_client(),
    )
    try:
        message = client.messages.create(to=to, from_=settings.TWILIO_FROM_NUMBER, body=body)
    except TwilioRestException as exc:
        if exc.status == 429:
            raise TransientDeliveryError(f"twilio 429 ({exc.code})") from exc
        raise PermanentDeliveryError(f"twilio {exc.status} ({exc.code})") from exc
    except requests.exceptions.ConnectTimeout as exc:
        # The request never left: as safe to retry as a refused connection.
        raise TransientDeliveryError("twilio connect timeout") from exc
    except requests.exceptions.Timeout as exc:
        raise PermanentDeliveryError("twilio read timeout (outcome unknown)") from exc
    except requests.exceptions.ConnectionError as exc:
        raise TransientDeliveryError("twilio connection refused") from exc
    return Sent(provider_id=message.sid or "")


def send_email(*, to: str, subject: str, body: str) -> Sent:
    try:
        EmailMessage(subject=subject, body=body, to=[to]).send()
    except (ConnectionRefusedError, smtplib.SMTPConnectError) as exc:
        raise TransientDeliveryError("smtp connection refused") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise PermanentDeliveryError(f"smtp error: {type(exc).__name__}") from exc
    return Sent(provider_id="smtp")
