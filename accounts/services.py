from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from .models import (
    BackupCode,
    BackupCodeDevice,
    FactorResetRequest,
    Membership,
    OutboxMessage,
    PortalSession,
    SecurityEvent,
    Terms,
    TermsAcceptance,
    User,
    UserSession,
    VerificationCode,
    hash_code,
    hash_code_candidates,
    session_key_hash,
)

if TYPE_CHECKING:
    from .registration import IssuedCode


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind N trusted proxies (TRUSTED_PROXY_COUNT) it is the N-th
    entry from the right of X-Forwarded-For; entries further left are the client's to forge."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                return remote
    return remote


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


class TermsRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


TERMS_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@transaction.atomic
def terms_draft_create(*, texts: dict[str, tuple[str, str]]) -> int:
    """A new version of the terms, unpublished, with a (title, body) per language; returns its
    number (one above every version drafted or published so far)."""
    latest = (Terms.objects.select_for_update().order_by("-version")
              .values_list("version", flat=True).first()) or 0
    version = latest + 1
    Terms.objects.bulk_create([
        Terms(version=version, language=language, title=title.strip(), body=body.strip())
        for language, (title, body) in texts.items()
    ])
    return version


@transaction.atomic
def terms_publish(*, version: int) -> None:
    """Publishing makes it the current version: the portal gate asks everybody to accept it on
    their next page. Published versions never change (the admin refuses it)."""
    rows = list(Terms.objects.select_for_update().filter(version=version))
    if not rows:
        raise TermsRefused(gettext("Cette version n'existe pas."))
    if any(row.published_at is not None for row in rows):
        raise TermsRefused(gettext("La version %(v)s est déjà publiée.") % {"v": version})
    newer = Terms.objects.filter(version__gt=version, published_at__isnull=False).exists()
    if newer:
        raise TermsRefused(gettext(
            "Une version plus récente que la version %(v)s est déjà publiée.") % {"v": version})
    missing = [language for language in TERMS_LANGUAGES
               if not any(r.language == language and r.title.strip() and r.body.strip()
                          for r in rows)]
    if missing:
        raise TermsRefused(gettext(
            "La version %(v)s n'a pas de titre ou de texte en : %(languages)s.")
            % {"v": version, "languages": ", ".join(missing)})
    now = timezone.now()
    for row in rows:
        row.published_at = now
        row.save(update_fields=["published_at"])
    transaction.on_commit(lambda: cache.delete(TERMS_CACHE_KEY))


TERMS_CACHE_KEY = "terms:current-version:v1"
TERMS_CACHE_SECONDS = 60  # also bounds the delay of a version published for a future date


def terms_current_version() -> int | None:
    """The highest published terms version (None: no terms yet), from the shared cache."""
    cached = cache.get(TERMS_CACHE_KEY)
    if cached is not None:
        return cached or None
    version = (
        Terms.objects.filter(published_at__lte=timezone.now())
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    cache.set(TERMS_CACHE_KEY, version or 0, TERMS_CACHE_SECONDS)
    return version


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
    transaction.on_commit(lambda: _deliver_soon(deliver_message, message.pk))
    return message


def _deliver_soon(task, message_id: int) -> None:
    from .outbox import message_not_queued
    from .publish import publish

    if not publish(task, message_id):
        message_not_queued(message_id=message_id, reason="queue unavailable")


# --- Limits on codes sent by SMS or e-mail --------------------------------------------------------

SMS_PER_NUMBER = 3
SMS_PER_NUMBER_WINDOW = timedelta(minutes=5)
SMS_PER_ACCOUNT_DAY = 10
# E-mail codes: the same numbers, per address and per account.
EMAIL_PER_ADDRESS = SMS_PER_NUMBER
EMAIL_PER_ADDRESS_WINDOW = SMS_PER_NUMBER_WINDOW
EMAIL_PER_ACCOUNT_DAY = SMS_PER_ACCOUNT_DAY


class MessageLimitExceeded(Exception):
    """Too many codes for this number/address or this account; the message is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SmsLimitExceeded(MessageLimitExceeded):
    pass


class EmailLimitExceeded(MessageLimitExceeded):
    pass


def _limited_messages(channel: str):
    # A row that failed before any attempt (the queue was down) never left: it does not count.
    rows = OutboxMessage.objects.filter(channel=channel).exclude(
        status=OutboxMessage.Status.FAILED, attempts=0)
    if channel == OutboxMessage.Channel.EMAIL:
        # Only e-mails that carry a code (or stand in for one, email_in_use_notice_send): they
        # expire with it. Security notices and document e-mails are never held back.
        rows = rows.filter(expires_at__isnull=False)
    return rows


def _recipient_rows(channel: str, recipient: str):
    rows = _limited_messages(channel)
    if channel == OutboxMessage.Channel.EMAIL:
        return rows.filter(recipient__iexact=recipient)
    return rows.filter(recipient=recipient)


# What each limit says, (SMS, e-mail); translated when raised.
_PER_RECIPIENT_TEXTS = (
    gettext_noop(
        "Trois codes ont déjà été envoyés à ce numéro ces 5 dernières minutes. "
        "Attendez quelques minutes avant d'en demander un nouveau."
    ),
    gettext_noop(
        "Trois codes ont déjà été envoyés à cette adresse e-mail ces 5 dernières "
        "minutes. Attendez quelques minutes avant d'en demander un nouveau."
    ),
)
_PER_ACCOUNT_TEXTS = (
    gettext_noop(
        "Vous avez reçu 10 SMS en 24 heures, la limite est atteinte. Réessayez demain "
        "ou utilisez votre application d'authentification ou un code de secours."
    ),
    gettext_noop(
        "Vous avez reçu 10 codes par e-mail en 24 heures, la limite est atteinte. "
        "Réessayez demain."
    ),
)
_WITHOUT_ACCOUNT_TEXTS = (
    gettext_noop(
        "Ce numéro a déjà reçu 10 codes en 24 heures, la limite est atteinte. "
        "Réessayez demain ou choisissez l'application d'authentification."
    ),
    gettext_noop(
        "Cette adresse e-mail a déjà reçu 10 codes en 24 heures, la limite est "
        "atteinte. Réessayez demain."
    ),
)


def message_limit_check(*, channel: str, recipient: str, user: User | None) -> None:
    """Raise SmsLimitExceeded / EmailLimitExceeded when one more code would pass 3 per 5 minutes
    per number or address, or 10 per 24 hours per account. A code with no account behind it
    (registration, a first factor's set-up) counts the number or address as its account: 10
    account-less codes a day to it, so restarting a wizard makes no SMS or e-mail cannon.
    Counts the outbox, so it holds across web processes (serialise the check and the insert with
    message_limit_lock)."""
    now = timezone.now()
    day_ago = now - timedelta(days=1)
    recipient_rows = _recipient_rows(channel, recipient)
    rules = [(recipient_rows.filter(created_at__gte=now - SMS_PER_NUMBER_WINDOW),
              SMS_PER_NUMBER, _PER_RECIPIENT_TEXTS)]
    if user is not None:
        rules.append((_limited_messages(channel).filter(user=user, created_at__gte=day_ago),
                      SMS_PER_ACCOUNT_DAY, _PER_ACCOUNT_TEXTS))
    else:
        rules.append((recipient_rows.filter(user__isnull=True, created_at__gte=day_ago),
                      SMS_PER_ACCOUNT_DAY, _WITHOUT_ACCOUNT_TEXTS))
    sms = channel == OutboxMessage.Channel.SMS
    for rows, limit, (sms_text, email_text) in rules:
        if rows.count() >= limit:
            if sms:
                raise SmsLimitExceeded(gettext(sms_text))
            raise EmailLimitExceeded(gettext(email_text))


def sms_limit_check(*, number: str, user: User | None) -> None:
    message_limit_check(channel=OutboxMessage.Channel.SMS, recipient=number, user=user)


def email_limit_check(*, address: str, user: User | None) -> None:
    message_limit_check(channel=OutboxMessage.Channel.EMAIL, recipient=address, user=user)


def message_language(user: User | None) -> str:
    """The account's language; before there is an account (registration), the page's."""
    if user is not None and user.language:
        return user.language
    return translation.get_language() or settings.LANGUAGE_CODE


def advisory_lock(name: str) -> None:
    """Serialise one check-then-insert across web processes (PostgreSQL; SQLite serialises
    its writers anyway). Held until the transaction ends."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                         signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def message_limit_lock(*, channel: str, recipient: str, user: User | None) -> None:
    """Inside a transaction: two requests at the same moment must not both pass the count.
    Locks the number or address, then the account (always in this order)."""
    advisory_lock(f"{channel}-recipient:{recipient.lower()}")
    if user is not None:
        advisory_lock(f"{channel}-user:{user.pk}")


def sms_code_send(*, number: str, code: str, user: User | None, ttl: timedelta) -> OutboxMessage:
    with transaction.atomic():
        message_limit_lock(channel=OutboxMessage.Channel.SMS, recipient=number, user=user)
        sms_limit_check(number=number, user=user)
        with translation.override(message_language(user)):
            body = gettext("Votre code: %(code)s") % {"code": code}
        return message_queue(
            channel=OutboxMessage.Channel.SMS,
            recipient=number,
            body=body,
            user=user,
            expires_at=timezone.now() + ttl,
        )


def email_code_send(
    *, to: str, user: User | None, template: str, subject: str, context: dict,
    expires_at: datetime, language: str | None = None,
) -> OutboxMessage:
    """An e-mail carrying a code, within the limits of SMS codes (EmailLimitExceeded)."""
    with transaction.atomic():
        message_limit_lock(channel=OutboxMessage.Channel.EMAIL, recipient=to, user=user)
        email_limit_check(address=to, user=user)
        return email_send(to=to, user=user, template=template, subject=subject,
                          context=context, expires_at=expires_at, language=language)


def email_owner(address: str) -> User | None:
    return User.objects.filter(email__iexact=address.strip()).first()


EMAIL_NOTICE_TTL = timedelta(days=1)


def email_in_use_notice_send(
    *, owner: User, requester: User | None, reason: str
) -> OutboxMessage | None:
    """Sent instead of a code when someone asks to use an address that already has an account
    (registration, e-mail change): its owner learns about it, the asker learns nothing.

    It passes the same limit check as a code to this address and for this asker (the caller
    answers exactly as for a free address, limit message included) and is counted like one: the
    row belongs to the asker and has an expiry like a code (a longer one: a notice is worth
    delivering after a slow queue). Past 10 such e-mails a day to the address,
    nothing more is sent, silently, so the notice cannot be used to flood its owner.

    With no asker (registration) the account-less limit of message_limit_check already stops at
    10 a day, counting notices like codes: the refusal is said, as for a free address. The silent
    cap must not act there: it counts the owner's own codes too, so a free address would be
    refused on a day when a taken one is not.
    """
    channel = OutboxMessage.Channel.EMAIL
    with transaction.atomic():
        message_limit_lock(channel=channel, recipient=owner.email, user=requester)
        email_limit_check(address=owner.email, user=requester)
        if requester is not None and _recipient_rows(channel, owner.email).filter(
            created_at__gte=timezone.now() - timedelta(days=1)
        ).count() >= EMAIL_PER_ACCOUNT_DAY:
            return None
        with translation.override(message_language(owner)):
            body = render_to_string("emails/security_email_in_use.txt", {
                "reason": reason, "site_url": settings.SITE_URL,
            })
            subject = gettext("Quelqu'un a essayé d'utiliser votre adresse e-mail")
        return message_queue(channel=channel, recipient=owner.email, subject=subject,
                             body=body, user=requester,
                             expires_at=timezone.now() + EMAIL_NOTICE_TTL)


def email_send(
    *, to: str, template: str, subject: str, user: User | None, context: dict | None = None,
    expires_at: datetime | None = None, language: str | None = None,
) -> OutboxMessage:
    with translation.override(language or message_language(user)):
        body = render_to_string(template, {"user": user, **(context or {})})
        subject = str(subject)
    return message_queue(
        channel=OutboxMessage.Channel.EMAIL, recipient=to, subject=subject, body=body, user=user,
        expires_at=expires_at,
    )


# --- Verification codes ------------------------------------------------------------------------
#
# One mechanism for every short code typed back from an e-mail or an SMS: registration e-mail,
# e-mail and mobile changes, both steps of a forgotten password. A code lives 10 minutes, allows
# 5 tries, works once, and only its keyed hash is stored; a new code of the same kind ends the
# earlier ones. Sending goes through the one throttle above (message_limit_check).


class CodeCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXHAUSTED = "exhausted"  # too many attempts, expired or already used: a new code is needed


@dataclass(frozen=True)
class CodeAttempt:
    """The outcome of one attempt: its status and the tries left (0 once a new code is needed)."""

    status: CodeCheck
    remaining: int = 0

    @property
    def ok(self) -> bool:
        return self.status is CodeCheck.OK


def code_ttl() -> timedelta:
    return timedelta(seconds=settings.MESSAGE_CODE_TTL_SECONDS)


def new_numeric_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def verification_code_issue(
    *, purpose: str, user: User | None, target: str, hashed: bool = True
) -> tuple[VerificationCode, str]:
    """A new code for this purpose and target, and its plain text (send it, never store it).

    Earlier unused codes stop working: those of the same account and purpose, or, with no
    account (registration), the account-less codes of this purpose sent to the same target.
    hashed=False: the row keeps no hash, so nothing typed ever matches it. It counts the
    attempts at codes checked elsewhere (authenticator, backup codes: `verify=` of the check),
    or stands in for a code that must not exist (an address that already has an account).
    """
    code = new_numeric_code() if hashed else ""
    earlier = VerificationCode.objects.filter(purpose=purpose, used_at__isnull=True)
    if user is not None:
        earlier = earlier.filter(user=user)
    else:
        earlier = earlier.filter(user__isnull=True, target__iexact=target)
    earlier.update(used_at=timezone.now())
    row = VerificationCode.objects.create(
        purpose=purpose,
        user=user,
        target=target,
        code_hash=hash_code(code) if code else "",
        expires_at=timezone.now() + code_ttl(),
    )
    return row, code


def verification_code_check(
    *, code_id: int | None, purpose: str, code: str, target: str | None = None, verify=None
) -> CodeAttempt:
    """Count one attempt at the code `code_id` (of this purpose, and sent to `target` when
    given). `verify(code) -> bool` replaces the hash check (authenticator and backup codes)."""
    with transaction.atomic():
        rows = VerificationCode.objects.select_for_update().filter(pk=code_id, purpose=purpose)
        if target is not None:
            rows = rows.filter(target__iexact=target)
        row = rows.first()
        if row is None or not row.is_usable:
            return CodeAttempt(CodeCheck.EXHAUSTED)
        if verify is not None:
            ok = bool(verify(code))
        else:
            ok = bool(row.code_hash) and any(
                [hmac.compare_digest(row.code_hash, candidate)
                 for candidate in hash_code_candidates(code)])
        if ok:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            return CodeAttempt(CodeCheck.OK)
        row.attempts += 1
        row.save(update_fields=["attempts"])
        remaining = max(0, row.MAX_ATTEMPTS - row.attempts)
        return CodeAttempt(CodeCheck.WRONG if remaining else CodeCheck.EXHAUSTED, remaining)


def email_code_issue(
    *, purpose: str, user: User | None, address: str, template: str, subject,
    notice_reason: str, context: dict | None = None, language: str | None = None,
) -> VerificationCode:
    """A code e-mailed to `address`; EmailLimitExceeded past the e-mail code limits (nothing is
    issued then, and the earlier code keeps working).

    An address that belongs to another account gets the same answer and the same work, but no
    code: its owner is told instead (email_in_use_notice_send), and the row keeps no hash, so
    no code typed can confirm it."""
    owner = email_owner(address)
    if user is None:
        # Registration: a deactivated account's address may open an account again (the person
        # was re-registered with a new code; registration_complete reopens that row).
        taken = owner is not None and owner.is_active
    else:
        taken = owner is not None and owner.pk != user.pk
    with transaction.atomic():
        row, code = verification_code_issue(purpose=purpose, user=user, target=address,
                                            hashed=not taken)
        if taken:
            email_in_use_notice_send(owner=owner, requester=user, reason=notice_reason)
        else:
            email_code_send(
                to=address, user=user, template=template, subject=subject,
                context={**(context or {}), "code": code}, expires_at=row.expires_at,
                language=language,
            )
    return row


def sms_code_issue(*, purpose: str, user: User, number: str) -> VerificationCode:
    """A code sent by SMS to `number`; SmsLimitExceeded past the SMS limits (nothing is issued
    then, and the earlier code keeps working)."""
    with transaction.atomic():
        row, code = verification_code_issue(purpose=purpose, user=user, target=number)
        sms_code_send(number=number, code=code, user=user, ttl=code_ttl())
    return row


# --- Sessions -----------------------------------------------------------------------------------


def user_session_record(*, request: HttpRequest, user: User) -> None:
    key = request.session.session_key
    if not key:
        return
    UserSession.objects.update_or_create(
        key_hash=session_key_hash(key),
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "last_seen": timezone.now(),
        },
    )


def user_session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """The session got a new key (login, second factor, password change): keep it listed."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(key_hash=session_key_hash(old_key)).update(
            key_hash=session_key_hash(new_key)
        )


def user_session_touch(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(key_hash=session_key_hash(session_key)).update(
            last_seen=timezone.now()
        )


def user_session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(key_hash=session_key_hash(session_key)).delete()


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """End the user's sessions on the server, at once for every web process: the session rows
    carry their owner, so no session key has to be kept anywhere else."""
    sessions = PortalSession.objects.filter(user=user)
    listed = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
        listed = listed.exclude(key_hash=session_key_hash(keep_session_key))
    ended = listed.count()
    sessions.delete()
    listed.delete()
    return ended


# --- Second factors -----------------------------------------------------------------------------


def factor_devices(user: User) -> list:
    """Authenticator apps and phones: the factors a user logs in with (backup codes aside)."""
    return [*TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
            *PhoneDevice.objects.filter(user=user, confirmed=True).order_by("pk")]


def phone_device_for(user: User) -> PhoneDevice | None:
    devices = list(PhoneDevice.objects.filter(user=user, confirmed=True, method="sms"))
    devices.sort(key=lambda d: (d.name != "default", d.pk))
    return devices[0] if devices else None


def device_add(*, user: User, device, request: HttpRequest | None = None):
    """Save a confirmed device; the first one becomes the default used at login."""
    if not any(d.name == "default" for d in factor_devices(user)):
        device.name = "default"
    elif device.name == "default":
        device.name = "backup"
    device.user = user
    device.confirmed = True
    device._recorded = True  # the post_save receiver records set-up wizard devices only
    device.save()
    security_event_record(
        user=user, kind=SecurityEvent.Kind.DEVICE_ADDED, request=request,
        device=type(device).__name__,
    )
    return device


def phone_code_consume(*, device: PhoneDevice) -> bool:
    """An SMS code works once. A phone device's codes are derived from its secret and stay
    valid for about three minutes, so the device gets a new secret as soon as one of them is
    accepted (or confirmed the device): the same code typed again in another browser fails.
    False when another request consumed it first (the same code typed twice at once)."""
    from django_otp.util import random_hex

    new_key = random_hex(20)
    consumed = PhoneDevice.objects.filter(pk=device.pk, key=device.key).update(key=new_key)
    device.key = new_key
    return consumed == 1


class LastFactorError(Exception):
    pass


def device_remove(*, user: User, device, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        remaining = [d for d in factor_devices(user) if not (
            type(d) is type(device) and d.pk == device.pk)]
        if not remaining:
            raise LastFactorError
        was_default = device.name == "default"
        device.delete()
        if was_default:
            successor = remaining[0]
            successor.name = "default"
            successor.save(update_fields=["name"])
    security_event_record(
        user=user, kind=SecurityEvent.Kind.DEVICE_REMOVED, request=request,
        device=type(device).__name__,
    )


def second_factor_reset(*, user: User, by: User | None, request: HttpRequest | None = None,
                        reason: str = "", requested_by: User | None = None) -> None:
    """Support after a lost phone: every factor and backup code gone, every session ended.

    Called by factor_reset_request (ordinary accounts) or factor_reset_approve (four eyes)."""
    from django_otp import devices_for_user

    with transaction.atomic():
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
        ended = sessions_end(user=user)
        detail: dict = {"by": by.email if by else None, "sessions_ended": ended}
        if reason:
            detail["reason"] = reason
        if requested_by is not None:
            detail["requested_by"] = requested_by.email
        security_event_record(
            user=user, kind=SecurityEvent.Kind.FACTOR_RESET, request=request, **detail
        )
        email_send(
            to=user.email, user=user, template="emails/security_factor_reset.txt",
            subject=gettext_lazy("Votre deuxième facteur a été réinitialisé"),
        )


# --- Acting on another person's account (admin) -------------------------------------------------


def account_protected(*, target: User, by: User | None) -> bool:
    """A staff or superuser account is acted on (password, factor, deactivation, groups) by a
    superuser only: a support colleague with "change user" must not take over an account that
    has more rights than his own."""
    return (target.is_staff or target.is_superuser) and not (by is not None and by.is_superuser)


class FactorResetRefused(Exception):
    """The reset (or its approval) is not allowed; the message says why, for the admin page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FactorResetOutcome:
    """Either the reset happened (`issued`: the re-enrolment code for the letter) or it waits
    for a second person (`pending`)."""

    pending: FactorResetRequest | None = None
    issued: IssuedCode | None = None


def factor_reset_needs_approval(user: User) -> bool:
    """Four eyes for the accounts whose takeover costs most: staff and employer HR admins."""
    if user.is_staff or user.is_superuser:
        return True
    today = timezone.localdate()
    return Membership.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        user=user, kind=Membership.Kind.EMPLOYER, role=Membership.Role.ADMIN,
        revoked_at__isnull=True,
    ).exists()


def _factor_reset_now(*, user: User, by: User, reason: str, request: HttpRequest | None,
                      requested_by: User | None = None) -> IssuedCode:
    from .reenrol import reenrol_code_issue

    second_factor_reset(user=user, by=by, request=request, reason=reason,
                        requested_by=requested_by)
    return reenrol_code_issue(user=user, by=by)


def factor_reset_request(*, user: User, by: User, reason: str,
                         request: HttpRequest | None = None) -> FactorResetOutcome:
    """Support asks to reset the second factor of `user` (lost phone), with a reason.

    An ordinary account is reset at once; a staff account or an employer admin gets a pending
    request that someone else must approve (factor_reset_approve)."""
    reason = (reason or "").strip()
    if not reason:
        raise FactorResetRefused(gettext("Indiquez le motif de la réinitialisation."))
    if account_protected(target=user, by=by):
        raise FactorResetRefused(gettext(
            "Seul·e un·e superutilisateur·trice peut agir sur le compte d'un membre du support."
        ))
    if not factor_reset_needs_approval(user):
        with transaction.atomic():
            return FactorResetOutcome(
                issued=_factor_reset_now(user=user, by=by, reason=reason, request=request)
            )
    already = gettext("Une demande de réinitialisation attend déjà une approbation pour ce "
                      "compte.")
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            if FactorResetRequest.objects.filter(
                user=user, status=FactorResetRequest.Status.PENDING
            ).exists():
                raise FactorResetRefused(already)
            pending = FactorResetRequest.objects.create(user=user, reason=reason,
                                                        requested_by=by)
            security_event_record(
                user=user, kind=SecurityEvent.Kind.FACTOR_RESET_REQUESTED, request=request,
                by=by.email, reason=reason, reset_request_id=pending.pk,
            )
    except IntegrityError:  # the other request won the race (one pending per account)
        raise FactorResetRefused(already) from None
    return FactorResetOutcome(pending=pending)


def _factor_reset_decision_check(*, reset_request: FactorResetRequest, by: User) -> None:
    if reset_request.status != FactorResetRequest.Status.PENDING:
        raise FactorResetRefused(gettext("Cette demande a déjà été traitée."))
    if account_protected(target=reset_request.user, by=by):
        raise FactorResetRefused(gettext(
            "Seul·e un·e superutilisateur·trice peut décider pour le compte d'un membre du "
            "support."
        ))


def factor_reset_approve(*, reset_request: FactorResetRequest, by: User,
                         request: HttpRequest | None = None) -> IssuedCode:
    """The second person's approval: resets at once and returns the re-enrolment code (the
    letter is printed in the same response). The row lock lets one approval win."""
    with transaction.atomic():
        locked = (
            FactorResetRequest.objects.select_for_update().select_related("user")
            .filter(pk=reset_request.pk).first()
        )
        if locked is None:
            raise FactorResetRefused(gettext("Cette demande a déjà été traitée."))
        _factor_reset_decision_check(reset_request=locked, by=by)
        if locked.requested_by_id == by.pk:
            raise FactorResetRefused(gettext(
                "Vous avez demandé cette réinitialisation : un·e autre collègue doit l'approuver."
            ))
        if locked.user_id == by.pk:
            raise FactorResetRefused(gettext(
                "Personne n'approuve la réinitialisation de son propre compte."
            ))
        locked.status = FactorResetRequest.Status.APPROVED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        security_event_record(
            user=locked.user, kind=SecurityEvent.Kind.FACTOR_RESET_APPROVED, request=request,
            by=by.email, reset_request_id=locked.pk,
            requested_by=locked.requested_by.email if locked.requested_by else None,
        )
        issued = _factor_reset_now(user=locked.user, by=by, reason=locked.reason,
                                   request=request, requested_by=locked.requested_by)
    reset_request.refresh_from_db()
    return issued


def factor_reset_reject(*, reset_request: FactorResetRequest, by: User,
                        request: HttpRequest | None = None, reason: str = "") -> None:
    """Refuse (or, for the one who asked, withdraw) a pending request; nothing is reset. The
    reason, when given, goes to the account's security history."""
    with transaction.atomic():
        locked = (
            FactorResetRequest.objects.select_for_update().select_related("user")
            .filter(pk=reset_request.pk).first()
        )
        if locked is None:
            raise FactorResetRefused(gettext("Cette demande a déjà été traitée."))
        _factor_reset_decision_check(reset_request=locked, by=by)
        locked.status = FactorResetRequest.Status.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        security_event_record(
            user=locked.user, kind=SecurityEvent.Kind.FACTOR_RESET_REJECTED, request=request,
            by=by.email, reset_request_id=locked.pk, **({"reason": reason} if reason else {}),
        )
    reset_request.refresh_from_db()


# --- Unlocking and deactivating an account (support, on the person's call) ---------------------


class AccountActionRefused(Exception):
    """Support may not do this to this account; the message says why, for the admin page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _protected_refusal() -> AccountActionRefused:
    return AccountActionRefused(gettext(
        "Seul·e un·e superutilisateur·trice peut agir sur le compte d'un membre du support."
    ))


@dataclass(frozen=True)
class Unlocked:
    login_failures: int  # django-axes failures cleared (the 10-try login lock)
    code_locks: int  # our own code locks lifted (registration, re-enrolment letter)


def account_unlock(*, user: User, by: User, request: HttpRequest | None = None) -> Unlocked:
    """Lift every lock on the account: django-axes' login lock, and the one-hour locks after five
    wrong registration or re-enrolment codes (for this account and for its AHV number). The failed
    tries stay in the security log; the unlock event tells the lock to count only later ones."""
    from axes.models import AccessAttempt

    from .registration import code_lock_subjects, code_locks_active
    from .security import unlock

    if account_protected(target=user, by=by):
        raise _protected_refusal()
    subjects = code_lock_subjects(user)
    with transaction.atomic():
        locked_codes = code_locks_active(subjects)
        failures = sum(AccessAttempt.objects.filter(username=user.email.lower())
                       .values_list("failures_since_start", flat=True))
        unlock(user)
        security_event_record(
            user=user, kind=SecurityEvent.Kind.ACCOUNT_UNLOCKED, request=request, by=by.email,
            login_failures=failures, code_locks=locked_codes, **subjects,
        )
    return Unlocked(login_failures=failures, code_locks=locked_codes)


def account_deactivate(*, user: User, by: User, reason: str,
                       request: HttpRequest | None = None) -> int:
    """Close an account at the person's request; returns the number of sessions ended.

    The account can no longer log in (its factors stay, unusable without it), every session ends
    at once, its portal accesses are revoked and the insured person is unlinked, so that a new
    registration code can open an account for the same person later (with the same e-mail
    address: registration_complete reopens this row). The pension record (person, certificates,
    documents, requests) is not touched; nobody sets or learns a password here."""
    reason = (reason or "").strip()
    if not reason:
        raise AccountActionRefused(gettext("Indiquez le motif de la désactivation."))
    if account_protected(target=user, by=by):
        raise _protected_refusal()
    if user.pk == by.pk:
        raise AccountActionRefused(gettext("Personne ne désactive son propre compte ici."))
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or not locked.is_active:
            raise AccountActionRefused(gettext("Ce compte est déjà désactivé."))
        person_id = locked.insured_person_id
        locked.is_active = False
        locked.insured_person = None
        locked.save(update_fields=["is_active", "insured_person"])
        now = timezone.now()
        revoked = 0
        for membership in Membership.objects.filter(user=locked, revoked_at__isnull=True):
            membership.revoked_at = now
            membership.save(update_fields=["revoked_at"])  # drops the cached memberships
            revoked += 1
        ended = sessions_end(user=locked)
        security_event_record(
            user=locked, kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED, request=request,
            by=by.email, reason=reason, sessions_ended=ended, accesses_revoked=revoked,
            person_id=person_id,
        )
        email_send(
            to=locked.email, user=locked, template="emails/account_deactivated.txt",
            subject=gettext_lazy("Votre compte a été désactivé"),
        )
    user.refresh_from_db()
    return ended


# --- Backup codes -------------------------------------------------------------------------------

BACKUP_CODE_COUNT = 10
BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def backup_codes_regenerate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Ten new single-use codes, returned once; only their hashes are kept."""
    codes = []
    for _ in range(BACKUP_CODE_COUNT):
        raw = "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    with transaction.atomic():
        device, _ = BackupCodeDevice.objects.get_or_create(
            user=user, defaults={"name": "backup", "confirmed": True}
        )
        device.codes.all().delete()
        BackupCode.objects.bulk_create(
            [BackupCode(device=device, code_hash=hash_code(code)) for code in codes]
        )
        device.throttle_reset()
    security_event_record(
        user=user, kind=SecurityEvent.Kind.DEVICE_ADDED, request=request,
        device="BackupCodeDevice",
    )
    return codes


# --- Password, e-mail and mobile changes --------------------------------------------------------


def password_set(*, user: User, password: str, request: HttpRequest | None = None,
                 via: str = "change", keep_session_key: str | None = None) -> int:
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = sessions_end(user=user, keep_session_key=keep_session_key)
    security_event_record(
        user=user, kind=SecurityEvent.Kind.PASSWORD_CHANGED, request=request, via=via,
        sessions_ended=ended,
    )
    if via == "reset":
        password_reset_notify(user=user)
    else:
        email_send(
            to=user.email, user=user, template="emails/security_password_changed.txt",
            subject=gettext_lazy("Votre mot de passe a été modifié"),
        )
    return ended


def password_reset_notify(*, user: User) -> None:
    """After a forgotten-password reset: an e-mail and, when the account has a phone, an SMS
    saying so and whom to call if it was not them. Notices, so no code limit holds them back."""
    from .selectors import support_contacts_for_user

    contacts = [c for c in support_contacts_for_user(user) if c.phone]
    contact = contacts[0] if contacts else None
    email_send(
        to=user.email, user=user, template="emails/security_password_reset.txt",
        subject=gettext_lazy("Votre mot de passe a été réinitialisé"),
        context={"contact": contact, "when": timezone.now()},
    )
    phone = phone_device_for(user)
    if phone is None:
        return
    with translation.override(message_language(user)):
        if contact is not None:
            body = gettext(
                "Le mot de passe de votre compte a été réinitialisé. Si ce n'était pas vous, "
                "appelez immédiatement le %(phone)s."
            ) % {"phone": contact.phone}
        else:
            body = gettext(
                "Le mot de passe de votre compte a été réinitialisé. Si ce n'était pas vous, "
                "contactez-nous immédiatement."
            )
    message_queue(channel=OutboxMessage.Channel.SMS, recipient=phone.number.as_e164, body=body,
                  user=user)


# --- Forgotten password ------------------------------------------------------------------------
# Two proofs, in this order: a code sent to the registered e-mail address, then the second factor
# (SMS code to the registered mobile, authenticator code, or a backup code). The SMS is only sent
# once the e-mail code is right, so the phone alone (or a SIM swap) leads nowhere.

RESET_PER_LOGIN = 3  # codes per 5 minutes for one login, whether the account exists or not
RESET_PER_LOGIN_WINDOW = SMS_PER_NUMBER_WINDOW
RESET_PER_ACCOUNT_DAY = 5


class PasswordResetThrottled(MessageLimitExceeded):
    """Too many reset codes asked for this login; said alike for known and unknown logins."""


def _reset_target(login: str) -> str:
    """What the rows of one login share, whether it has an account or not (no address kept)."""
    from .security import login_identifier

    return "reset:" + hash_code(login_identifier(login) or "")[:32]


def password_reset_start(*, login: str) -> VerificationCode:
    """Step 1: a code e-mailed to the account of `login` (e-mail address or AHV number).

    PasswordResetThrottled past 3 requests in 5 minutes for this login. Otherwise an unknown or
    inactive login, an account past 5 resets today and one past its e-mail limits all get the
    same outcome: a row whose code nobody receives and that leads nowhere (user None), so the
    answer never tells a stranger that the account exists.
    """
    from .backends import find_user_by_login

    purpose = VerificationCode.Purpose.PASSWORD_RESET
    target = _reset_target(login)
    if VerificationCode.objects.filter(
        purpose=purpose, target=target,
        created_at__gte=timezone.now() - RESET_PER_LOGIN_WINDOW,
    ).count() >= RESET_PER_LOGIN:
        raise PasswordResetThrottled(gettext(
            "Trois codes ont déjà été demandés ces 5 dernières minutes. "
            "Attendez quelques minutes avant d'en demander un nouveau."
        ))
    user = find_user_by_login(login)
    if user is not None and not user.is_active:
        user = None
    if user is not None and VerificationCode.objects.filter(
        purpose=purpose, user=user, created_at__gte=timezone.now() - timedelta(days=1),
    ).count() >= RESET_PER_ACCOUNT_DAY:
        user = None  # past the day's budget: like an unknown login, no guess can succeed
    if user is not None:
        try:
            with transaction.atomic():
                row, code = verification_code_issue(purpose=purpose, user=user, target=target)
                email_code_send(
                    to=user.email, user=user, template="emails/password_reset_code.txt",
                    subject=gettext_lazy("Votre code pour un nouveau mot de passe"),
                    context={"code": code}, expires_at=row.expires_at,
                )
            return row
        except EmailLimitExceeded:
            pass  # a limit message here would tell a stranger that the account exists
    row, _code = verification_code_issue(purpose=purpose, user=None, target=target, hashed=False)
    return row


def password_reset_code_check(*, code_id: int | None, code: str) -> tuple[CodeAttempt, User | None]:
    """Step 2: the e-mailed code; the account once it is right. The row of an unknown login
    keeps no hash: every code typed there is wrong, 5 times, as for a known one."""
    purpose = VerificationCode.Purpose.PASSWORD_RESET
    attempt = verification_code_check(code_id=code_id, purpose=purpose, code=code)
    if not attempt.ok:
        return attempt, None
    return attempt, User.objects.filter(verificationcode__pk=code_id).first()


@dataclass(frozen=True)
class ResetFactor:
    """The second proof asked: `mode` "sms", "totp" or "backup"; `notice` says why not SMS."""

    code_id: int
    mode: str
    notice: str = ""


def password_reset_factor_start(*, user: User) -> ResetFactor:
    """Step 3 begins: an SMS code to the registered mobile if there is one (and the SMS limits
    allow it: the e-mail code is proven by now, so the limit may be said), else the
    authenticator; backup codes stand in for either."""
    purpose = VerificationCode.Purpose.PASSWORD_RESET_FACTOR
    notice = ""
    phone = phone_device_for(user)
    if phone is not None:
        try:
            row = sms_code_issue(purpose=purpose, user=user, number=phone.number.as_e164)
        except SmsLimitExceeded as exc:
            notice = exc.message
        else:
            return ResetFactor(code_id=row.pk, mode="sms")
    mode = "totp" if TOTPDevice.objects.filter(user=user, confirmed=True).exists() else "backup"
    # No code of our own: the row counts the attempts at the authenticator or backup codes.
    row, _code = verification_code_issue(purpose=purpose, user=user, target=mode, hashed=False)
    return ResetFactor(code_id=row.pk, mode=mode, notice=notice)


def password_reset_factor_check(
    *, user: User, code_id: int, mode: str, code: str, backup: bool
) -> CodeAttempt:
    """Step 3: the SMS code, the authenticator's or a backup code; 5 tries for them together."""
    verify = None
    if backup:
        device = BackupCodeDevice.objects.filter(user=user).first()

        def verify(typed, device=device):
            return device is not None and device.verify_token(typed)

    elif mode == "totp":
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))

        def verify(typed, devices=devices):
            return any(device.verify_token(typed) for device in devices)

    return verification_code_check(
        code_id=code_id, purpose=VerificationCode.Purpose.PASSWORD_RESET_FACTOR, code=code,
        verify=verify,
    )


def email_change_start(*, user: User, new_email: str) -> VerificationCode:
    """A code to the new address (or, if it has an account, a notice to its owner and no code);
    EmailLimitExceeded past the e-mail code limits."""
    return email_code_issue(
        purpose=VerificationCode.Purpose.EMAIL_CHANGE, user=user, address=new_email,
        template="emails/security_email_code.txt",
        subject=gettext_lazy("Votre code de confirmation"), notice_reason="change",
    )


class EmailTaken(Exception):
    """The new address was given to another account meanwhile."""


def email_change_confirm(*, user: User, row: VerificationCode,
                         request: HttpRequest | None = None) -> None:
    old_email = user.email
    new_email = row.target.lower()
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(email=new_email)
    except IntegrityError:
        raise EmailTaken from None
    user.email = new_email
    security_event_record(user=user, kind=SecurityEvent.Kind.EMAIL_CHANGED, request=request)
    email_send(
        to=old_email, user=user, template="emails/security_email_changed.txt",
        subject=gettext_lazy("Votre adresse e-mail a été modifiée"),
        context={"new_email": mask_email(user.email)},
    )


def mobile_change_start(*, user: User, number: str) -> VerificationCode:
    """A code by SMS to the new number; SmsLimitExceeded past the SMS limits."""
    return sms_code_issue(purpose=VerificationCode.Purpose.MOBILE_CHANGE, user=user,
                          number=number)


def mobile_change_confirm(*, user: User, row: VerificationCode,
                          request: HttpRequest | None = None) -> PhoneDevice:
    """The verified number replaces the SMS device's number (or becomes a new SMS device)."""
    device = phone_device_for(user)
    old_number = device.number.as_e164 if device else None
    if device is None:
        device = device_add(
            user=user, request=request,
            device=PhoneDevice(user=user, number=row.target, method="sms", name="backup"),
        )
    else:
        device.number = row.target
        device.throttle_reset(commit=False)
        device.save()
    security_event_record(user=user, kind=SecurityEvent.Kind.MOBILE_CHANGED, request=request)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        notice = gettext(
            "Le numéro de mobile de votre compte a été modifié. Si ce n'était pas vous, "
            "contactez-nous immédiatement."
        )
    if old_number and old_number != row.target:
        message_queue(channel=OutboxMessage.Channel.SMS, recipient=old_number, body=notice,
                      user=user)
    email_send(
        to=user.email, user=user, template="emails/security_mobile_changed.txt",
        subject=gettext_lazy("Votre numéro de mobile a été modifié"),
        context={"new_number": mask_number(row.target)},
    )
    return device


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def mask_number(number: str) -> str:
    """One masking everywhere ("+41 79 *** ** 34"): policies.swiss.phone_masked."""
    from policies.swiss import phone_masked

    return phone_masked(str(number))
