"""Registration: codes (issue, identify, redeem, revoke), the e-mail and SMS confirmation codes of
the wizard, the final account creation, and employer/broker access requests.

Nothing here stores a password, a code or a full AHV number in a log, a session or a task
argument: failures are recorded with the person id and a keyed hash of the AHV number.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from binascii import unhexlify
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.utils import totp_digits

from policies.models import Agency, Employer, InsuredPerson
from policies.validators import normalize_uid

from . import services
from .gateways import PHONE_TOKEN_VALIDITY
from .models import (
    AccessRequest,
    Membership,
    OutboxMessage,
    RegistrationCode,
    SecurityEvent,
    User,
    VerificationCode,
    hash_code,
    hash_code_candidates,
    new_registration_code,
)
from .selectors import (
    ORGANISATION_ADMIN_ROLES,
    access_request_existing_organisation,
    access_request_organisation,
    organisation_memberships_current,
)
from .services import (
    advisory_lock,
    client_ip,
    message_queue,
    security_event_record,
    terms_accept,
)

# Limits, in one place (the tests and the final report read them from here).
CODE_FAILURE_LIMIT = 5
CODE_LOCK_WINDOW = timedelta(hours=1)
CODE_VALIDITY_DAYS = 90
# The wizard's own pace, kept in its session state: a minute between two codes, at most 5 e-mail
# codes and 5 SMS per wizard. Everything wider (per address, number or day) is the one throttle
# of every code, services.message_limit_check; expiry and tries are services.verification_code_*.
RESEND_INTERVAL = timedelta(seconds=60)
MAX_SENDS = 5
FACTOR_MAX_FAILURES = 5
BACKUP_CODE_COUNT = services.BACKUP_CODE_COUNT
TOTP_TOLERANCE = 1  # steps of 30 s either side


class RegistrationError(Exception):
    pass


class IdentificationFailed(RegistrationError):
    """One answer for an unknown person, a wrong birth date, a wrong, expired or used code."""


class IdentificationLocked(RegistrationError):
    pass


class AlreadyRegistered(RegistrationError):
    """The code is right but the person already has an account."""


class CodeUnavailable(RegistrationError):
    """The code was redeemed, revoked or expired since the identification step."""


class EmailUnavailable(RegistrationError):
    pass


class EmailMismatch(RegistrationError):
    """The code was e-mailed to another address: it opens an account only for that address."""


class SendThrottled(RegistrationError):
    def __init__(
        self, *, wait_seconds: int = 0, limit_reached: bool = False, message: str = ""
    ) -> None:
        super().__init__("throttled")
        self.wait_seconds = wait_seconds
        self.limit_reached = limit_reached
        self.message = message  # the gateway's own explanation, when it refused


@dataclass(frozen=True)
class Identified:
    code_id: int
    kind: str
    person_id: int | None = None


@dataclass(frozen=True)
class IssuedCode:
    """A new code and its plain text, which exists only in this object (print it or send it)."""

    code: RegistrationCode
    plain: str


# --- Registration codes -------------------------------------------------------------------------


def registration_code_issue(
    *,
    kind: str,
    role: str,
    created_by: User | None,
    insured_person: InsuredPerson | None = None,
    employer: Employer | None = None,
    agency: Agency | None = None,
    email: str = "",
    valid_until: date | None = None,
    grants_mutations: bool = False,
    days: int = CODE_VALIDITY_DAYS,
) -> IssuedCode:
    plain = new_registration_code()
    code = RegistrationCode.objects.create(
        code_hash=hash_code(plain),
        hint=plain[-4:],
        kind=kind,
        role=role,
        insured_person=insured_person,
        employer=employer,
        agency=agency,
        email=email,
        valid_until=valid_until,
        grants_mutations=grants_mutations,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return IssuedCode(code=code, plain=plain)


def registration_code_revoke(*, code: RegistrationCode) -> bool:
    """Revoke an unused code; False when it was already used or revoked."""
    return bool(
        RegistrationCode.objects.filter(
            pk=code.pk, redeemed_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    )


class PersonHasAccount(RegistrationError):
    """The insured person already has an account: a registration code would be refused."""


class LiveCodeExists(RegistrationError):
    """The person already holds a usable code: issuing another one would make two live codes
    (reissue instead: it revokes that one in the same transaction)."""

    def __init__(self, code: RegistrationCode) -> None:
        super().__init__("live code exists")
        self.code = code


class NotReissuable(RegistrationError):
    """A used code (the account exists) or a staff invitation (only a superuser invites)."""


def _live_insured_codes(person: InsuredPerson):
    return RegistrationCode.objects.filter(
        kind=Membership.Kind.INSURED, insured_person=person, redeemed_at__isnull=True,
        revoked_at__isnull=True, expires_at__gt=timezone.now(),
    )


def _person_lock(person: InsuredPerson) -> None:
    """Serialise everything that issues a code for this person (single, reissue, bulk), so two
    of them at the same moment cannot leave two live codes."""
    InsuredPerson.objects.select_for_update().filter(pk=person.pk).first()


def insured_code_issue(
    *, person: InsuredPerson, created_by: User | None, days: int = CODE_VALIDITY_DAYS,
) -> IssuedCode:
    """A code for a person who has none: PersonHasAccount, or LiveCodeExists (then reissue)."""
    with transaction.atomic():
        _person_lock(person)
        if User.objects.filter(insured_person=person).exists():
            raise PersonHasAccount
        live = _live_insured_codes(person).first()
        if live is not None:
            raise LiveCodeExists(live)
        return registration_code_issue(
            kind=Membership.Kind.INSURED, role=Membership.Role.INSURED, insured_person=person,
            created_by=created_by, days=days,
        )


def insured_code_replace(
    *, person: InsuredPerson, created_by: User | None, days: int = CODE_VALIDITY_DAYS,
    bulk_job=None,
) -> tuple[IssuedCode, int]:
    """Revoke the person's unused codes and issue a new one, in one transaction: at any moment
    one live code per person, the one of the newest letter. Returns it and how many were revoked."""
    with transaction.atomic():
        _person_lock(person)
        revoked = _live_insured_codes(person).update(revoked_at=timezone.now())
        issued = registration_code_issue(
            kind=Membership.Kind.INSURED, role=Membership.Role.INSURED, insured_person=person,
            created_by=created_by, days=days,
        )
        if bulk_job is not None:
            issued.code.bulk_job = bulk_job
            issued.code.save(update_fields=["bulk_job"])
    return issued, revoked


def registration_code_reissue(
    *, code: RegistrationCode, created_by: User, days: int = CODE_VALIDITY_DAYS,
) -> IssuedCode:
    """Revoke `code` and issue its replacement (same portal, role, person or organisation,
    e-mail and access period) in one transaction. A code sent by e-mail is e-mailed again, to
    the same address. NotReissuable for a used code or a staff invitation."""
    if code.kind == RegistrationCode.STAFF or code.redeemed_at is not None:
        raise NotReissuable
    with transaction.atomic():
        locked = RegistrationCode.objects.select_for_update().get(pk=code.pk)
        if locked.redeemed_at is not None:
            raise NotReissuable
        if locked.kind == Membership.Kind.INSURED:
            person = locked.insured_person
            _person_lock(person)
            if User.objects.filter(insured_person=person).exists():
                raise PersonHasAccount
            issued, _revoked = insured_code_replace(person=person, created_by=created_by,
                                                    days=days)
            return issued
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
        issued = registration_code_issue(
            kind=locked.kind, role=locked.role, employer=locked.employer, agency=locked.agency,
            email=locked.email, valid_until=locked.valid_until,
            grants_mutations=locked.grants_mutations, created_by=created_by, days=days,
        )
        if issued.code.email:
            language = language_for_address(issued.code.email)
            with translation.override(language):
                body = render_to_string("emails/registration_code_reissued.txt", {
                    "code": issued.plain, "expires_at": issued.code.expires_at,
                    "register_url": f"{settings.SITE_URL}/register/code/",
                    "email": issued.code.email,
                })
                subject = _("Votre nouveau code d'enregistrement")
            message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=issued.code.email,
                          subject=subject, body=body)
    return issued


def language_for_address(email: str) -> str:
    """The language of whoever the code was sent to: the latest access request from that
    address, or the account that has it; French otherwise."""
    language = (
        AccessRequest.objects.filter(email__iexact=email).order_by("-created_at")
        .values_list("language", flat=True).first()
        or User.objects.filter(email__iexact=email).values_list("language", flat=True).first()
    )
    return language or settings.LANGUAGE_CODE


def _ahv_subject(ahv: str) -> str:
    """A keyed hash naming the AHV number in failure records (never the number itself)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"ahv-lock:{ahv}".encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def _failures_counting(since):
    """The code failures that count towards a lock: those of the window, less those of a subject
    that support unlocked afterwards (services.account_unlock; at most a few a window)."""
    failures = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.CODE_FAILURE, created_at__gte=since
    )
    unlocks = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.ACCOUNT_UNLOCKED, created_at__gte=since
    ).values_list("created_at", "detail")
    for unlocked_at, detail in unlocks:
        for key in ("subject", "person_subject"):
            lifted = (detail or {}).get(key)
            if lifted:
                failures = failures.exclude(detail__subject=lifted, created_at__lte=unlocked_at)
    return failures


def code_lock_subjects(user: User) -> dict[str, str]:
    """What the code locks of this account are keyed by: the re-enrolment letter's (the account)
    and the registration's (a keyed hash of the person's AHV number)."""
    subjects = {"subject": f"user:{user.pk}"}
    if user.insured_person is not None:
        subjects["person_subject"] = _ahv_subject(user.insured_person.ahv_number)
    return subjects


def code_locks_active(subjects: dict[str, str]) -> int:
    return sum(identification_locked(ip=None, subject=s) for s in subjects.values())


def identification_locked(*, ip: str | None, subject: str | None = None) -> bool:
    failures = _failures_counting(timezone.now() - CODE_LOCK_WINDOW)
    if ip and failures.filter(ip_address=ip).count() >= CODE_FAILURE_LIMIT:
        return True
    return bool(
        subject and failures.filter(detail__subject=subject).count() >= CODE_FAILURE_LIMIT
    )


def _failure_record(
    *, request: HttpRequest | None, flow: str, reason: str, subject: str | None = None,
    person_id: int | None = None,
) -> None:
    detail: dict = {"flow": flow, "reason": reason}
    if subject:
        detail["subject"] = subject
    if person_id:
        detail["person_id"] = person_id
    security_event_record(user=None, kind=SecurityEvent.Kind.CODE_FAILURE, request=request,
                          **detail)


def code_failure(
    *, request: HttpRequest | None, flow: str, reason: str, subject: str | None = None,
    person_id: int | None = None,
) -> NoReturn:
    """A wrong, used, revoked or expired registration code (or re-enrolment code): recorded,
    so it counts towards the lock (5 an hour per client address and per subject), then
    IdentificationLocked if this one reached it, else IdentificationFailed."""
    _failure_record(request=request, flow=flow, reason=reason, subject=subject,
                    person_id=person_id)
    if identification_locked(ip=client_ip(request), subject=subject):
        raise IdentificationLocked
    raise IdentificationFailed


@contextmanager
def identification_attempt(*, request: HttpRequest | None, subject: str | None = None):
    """One try at a code, judged under the lock of its client address and its subject (the same
    advisory locks as the SMS limit): parallel wrong codes wait for each other, so each one sees
    the failures recorded before it and the lock holds at exactly CODE_FAILURE_LIMIT.

    The failure record is committed before IdentificationFailed/Locked leaves the block."""
    ip = client_ip(request)
    refused: RegistrationError | None = None
    with transaction.atomic():
        if ip:
            advisory_lock(f"code-ip:{ip}")
        if subject:
            advisory_lock(f"code-subject:{subject}")
        if identification_locked(ip=ip, subject=subject):
            raise IdentificationLocked
        try:
            yield
        except (IdentificationFailed, IdentificationLocked) as exc:
            refused = exc
    if refused is not None:
        raise refused


def registration_code_find(code: str) -> RegistrationCode | None:
    """The code row for a typed code, usable or not (the caller says which failure it is)."""
    if not code or not code.strip():
        return None
    return RegistrationCode.objects.filter(code_hash__in=hash_code_candidates(code)).first()


def registration_identify(
    *, ahv: str, birth_date: date, code: str, request: HttpRequest | None = None
) -> Identified:
    """Step 1 of the insured flow. `ahv` is already normalised (756.xxxx.xxxx.xx)."""
    subject = _ahv_subject(ahv)
    with identification_attempt(request=request, subject=subject):
        return _identify_insured(ahv=ahv, birth_date=birth_date, code=code, request=request,
                                 subject=subject)


def _identify_insured(*, ahv: str, birth_date: date, code: str, request: HttpRequest | None,
                      subject: str) -> Identified:
    person = InsuredPerson.objects.filter(ahv_number=ahv).first()
    candidate = registration_code_find(code)
    reason = ""
    if person is None:
        reason = "unknown_person"
    elif person.birth_date != birth_date:
        reason = "birth_date"
    elif candidate is None:
        reason = "unknown_code"
    elif candidate.kind != Membership.Kind.INSURED or candidate.insured_person_id != person.pk:
        reason = "other_person"
    elif candidate.redeemed_at is not None:
        reason = "redeemed"
    elif candidate.revoked_at is not None:
        reason = "revoked"
    elif candidate.expires_at <= timezone.now():
        reason = "expired"
    if reason:
        code_failure(request=request, flow="insured", reason=reason, subject=subject,
                     person_id=person.pk if person else None)
    if User.objects.filter(insured_person=person).exists():
        raise AlreadyRegistered
    return Identified(code_id=candidate.pk, kind=candidate.kind, person_id=person.pk)


def registration_identify_code(*, code: str, request: HttpRequest | None = None) -> Identified:
    """Step 1 of the employer/broker/third-party flow: the code alone (locked per client IP)."""
    with identification_attempt(request=request):
        return _identify_code(code=code, request=request)


def _identify_code(*, code: str, request: HttpRequest | None) -> Identified:
    candidate = registration_code_find(code)
    reason = ""
    if candidate is None:
        reason = "unknown_code"
    elif candidate.kind == Membership.Kind.INSURED:
        reason = "insured_code"
    elif not candidate.is_usable:
        reason = "unusable"
    if reason:
        code_failure(request=request, flow="code", reason=reason)
    return Identified(code_id=candidate.pk, kind=candidate.kind)


def code_email_matches(*, code: RegistrationCode, email: str) -> bool:
    """A code sent by e-mail works only for that address (case aside); a code without one
    (an insured person's letter) for any, except a staff invitation, which always names one."""
    if not code.email:
        return code.kind != RegistrationCode.STAFF
    return code.email.strip().lower() == (email or "").strip().lower()


def registration_code_email(*, code_id: int | None) -> str:
    """The address the code was sent to, '' when it has none."""
    if code_id is None:
        return ""
    return (
        RegistrationCode.objects.filter(pk=code_id).values_list("email", flat=True).first() or ""
    )


def registration_code_lock(*, code_id: int) -> RegistrationCode:
    """Lock the code row for the rest of the transaction; CodeUnavailable if no longer usable."""
    code = RegistrationCode.objects.select_for_update().filter(pk=code_id).first()
    if code is None or not code.is_usable:
        raise CodeUnavailable
    return code


def registration_code_redeem(*, code_id: int, user: User) -> RegistrationCode:
    """Mark the code used by `user`, inside the transaction that creates the account.

    The row lock serialises concurrent redemptions; the conditional UPDATE is the second guard:
    whoever comes second updates no row and gets CodeUnavailable, so its transaction rolls back.
    """
    registration_code_lock(code_id=code_id)
    now = timezone.now()
    updated = RegistrationCode.objects.filter(
        pk=code_id, redeemed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(redeemed_at=now, redeemed_by=user)
    if updated != 1:
        raise CodeUnavailable
    return RegistrationCode.objects.get(pk=code_id)


# --- E-mail confirmation code (step 3) ----------------------------------------------------------


def email_available(email: str) -> bool:
    """No active account has this address (a deactivated one is reopened by registration)."""
    return not User.objects.filter(email__iexact=email.strip(), is_active=True).exists()


def _wizard_pace_check(*, sends_so_far: int, last_sent_at: float | None) -> None:
    """SendThrottled after MAX_SENDS codes from this wizard, or within a minute of its last."""
    if sends_so_far >= MAX_SENDS:
        raise SendThrottled(limit_reached=True)
    if last_sent_at is not None:
        waited = timezone.now().timestamp() - last_sent_at
        if waited < RESEND_INTERVAL.total_seconds():
            raise SendThrottled(wait_seconds=int(RESEND_INTERVAL.total_seconds() - waited) + 1)


def email_code_send(
    *, email: str, sends_so_far: int, last_sent_at: float | None = None,
    language: str | None = None,
) -> VerificationCode:
    """Send a 6-digit confirmation code (services.email_code_issue: 10 minutes, 5 tries, single
    use; a new code ends the earlier ones for this address). SendThrottled at the wizard's pace
    and past the limits of every e-mail code (3 per 5 minutes and 10 a day to one address).

    An address that already has an account gets exactly the same answer and the same work, but
    no code: its owner is told someone tried to use it, and no code typed at step 3 can match."""
    _wizard_pace_check(sends_so_far=sends_so_far, last_sent_at=last_sent_at)
    try:
        return services.email_code_issue(
            purpose=VerificationCode.Purpose.EMAIL_CONFIRM, user=None, address=email,
            template="emails/registration_email_code.txt",
            subject=gettext_lazy("Votre code de confirmation"), notice_reason="register",
            context={"minutes": int(services.code_ttl().total_seconds() // 60)},
            language=language or settings.LANGUAGE_CODE,
        )
    except services.EmailLimitExceeded as exc:
        raise SendThrottled(limit_reached=True, message=exc.message) from exc


def email_code_check(*, code_id: int | None, email: str, code: str) -> services.CodeAttempt:
    """One attempt at the code sent to `email` by this wizard."""
    return services.verification_code_check(
        code_id=code_id, purpose=VerificationCode.Purpose.EMAIL_CONFIRM, code=code, target=email,
    )


# --- Second factor (steps 4 and 5) --------------------------------------------------------------


def factor_key_new() -> str:
    return random_hex(20)


def totp_match(*, key: str, token: str) -> int | None:
    """The time step `token` belongs to for this key (within the tolerance), or None."""
    try:
        value = int((token or "").strip())
    except ValueError:
        return None
    device = TOTPDevice(key=key)
    now_t = int(timezone.now().timestamp() - device.t0) // device.step
    for drift in range(-TOTP_TOLERANCE, TOTP_TOLERANCE + 1):
        if totp(unhexlify(key), step=device.step, t0=device.t0, digits=device.digits,
                drift=drift) == value:
            return now_t + drift
    return None


def sms_code_send(*, key: str, number: str, sends_so_far: int, last_sent_at: float | None) -> None:
    """Text the current code of the (not yet saved) phone device. SendThrottled at the wizard's
    pace and past the limits of every SMS code (services.sms_code_send: 3 per 5 minutes and 10
    account-less codes a day to one number), so restarting the wizard makes no SMS cannon."""
    _wizard_pace_check(sends_so_far=sends_so_far, last_sent_at=last_sent_at)
    device = PhoneDevice(key=key, number=number, method="sms", name="default")
    token = str(totp(device.bin_key, digits=totp_digits())).zfill(totp_digits())
    try:
        services.sms_code_send(number=number, code=token, user=None, ttl=PHONE_TOKEN_VALIDITY)
    except services.SmsLimitExceeded as exc:
        raise SendThrottled(limit_reached=True, message=exc.message) from exc


def sms_code_valid(*, key: str, number: str, token: str) -> bool:
    return PhoneDevice(key=key, number=number, method="sms").validate_token((token or "").strip())


# --- Account creation (end of step 5) -----------------------------------------------------------


def backup_codes_create(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """The backup codes shown once at the end of the wizard: one place to swap the storage
    (today the hashed BackupCodeDevice of accounts.services, which the login step checks)."""
    return services.backup_codes_regenerate(user=user, request=request)


@dataclass(frozen=True)
class Registration:
    """Everything the wizard collected; only the password's hash, never the password."""

    code_id: int
    email: str
    password_hash: str
    factor: str  # "totp" | "sms"
    factor_key: str
    phone: str = ""
    totp_step: int | None = None
    terms_version: int | None = None
    language: str = "fr"


@dataclass(frozen=True)
class Created:
    user: User
    device: TOTPDevice | PhoneDevice
    membership: Membership | None  # None: a staff invitation (rights come from its groups)
    backup_codes: list[str]


def _names_for(code: RegistrationCode) -> tuple[str, str]:
    if code.insured_person is not None:
        return code.insured_person.first_name, code.insured_person.last_name
    if code.email:
        req = (
            AccessRequest.objects.filter(email__iexact=code.email)
            .order_by("-created_at").first()
        )
        if req is not None:
            return req.contact_first_name, req.contact_last_name
    return "", ""


def _membership_from_code(*, code: RegistrationCode, user: User) -> Membership:
    return Membership.objects.create(
        user=user,
        kind=code.kind,
        role=code.role,
        insured_person=code.insured_person if code.kind == Membership.Kind.INSURED else None,
        employer=code.employer if code.kind == Membership.Kind.EMPLOYER else None,
        agency=code.agency if code.kind == Membership.Kind.BROKER else None,
        granted_by=code.created_by,
        valid_until=code.valid_until,
        grants_mutations=code.grants_mutations,
    )


def registration_code_attach(
    *, code: str, user: User, request: HttpRequest | None = None
) -> Membership | None:
    """An employer, broker or third-party code redeemed by someone who already has an account:
    one more membership on that account (same locks and one-time use as a new registration).
    A staff invitation makes the account staff instead (None: no membership)."""
    identified = registration_identify_code(code=code, request=request)
    if identified.kind == RegistrationCode.STAFF:
        _staff_invitation_check(code_id=identified.code_id, user=user, request=request)
    with transaction.atomic():
        locked = registration_code_lock(code_id=identified.code_id)
        if not code_email_matches(code=locked, email=user.email):
            raise EmailMismatch
        if locked.kind == RegistrationCode.STAFF:
            return _staff_invitation_attach(code=locked, user=user, request=request)
        if Membership.objects.filter(
            user=user, kind=locked.kind, employer_id=locked.employer_id,
            agency_id=locked.agency_id, revoked_at__isnull=True,
        ).exists():
            raise AlreadyRegistered
        redeemed = registration_code_redeem(code_id=locked.pk, user=user)
        membership = _membership_from_code(code=redeemed, user=user)
        security_event_record(
            user=user, kind=SecurityEvent.Kind.CODE_REDEEMED, request=request,
            code_id=redeemed.pk, portal=redeemed.kind, person_id=None,
        )
    return membership


def registration_complete(
    *, registration: Registration, request: HttpRequest | None = None
) -> Created:
    """Create user, membership, device, terms acceptance and backup codes, and redeem the code,
    all in one transaction: either everything exists afterwards or nothing does."""
    with transaction.atomic():
        code = registration_code_lock(code_id=registration.code_id)
        # The wizard checks this at step 2 already; checked again where the account is made.
        if not code_email_matches(code=code, email=registration.email):
            raise EmailMismatch
        person = code.insured_person
        if person is not None and User.objects.filter(insured_person=person).exists():
            raise AlreadyRegistered
        if not email_available(registration.email):
            raise EmailUnavailable
        first_name, last_name = _names_for(code)
        previous = (
            User.objects.select_for_update()
            .filter(email__iexact=registration.email.strip(), is_active=False).first()
        )
        user = previous or User(email=registration.email.lower())
        if previous is not None:
            _account_reopen(previous)
        user.password = registration.password_hash
        user.first_name, user.last_name = first_name, last_name
        user.language = registration.language
        user.insured_person = person
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Someone else won the race for this e-mail or this person (another code).
            if person is not None and User.objects.filter(insured_person=person).exists():
                raise AlreadyRegistered from None
            raise EmailUnavailable from None
        code = registration_code_redeem(code_id=code.pk, user=user)
        membership: Membership | None
        if code.kind == RegistrationCode.STAFF:
            _staff_rights_grant(code=code, user=user)
            membership = None
        else:
            membership = _membership_from_code(code=code, user=user)
        device: TOTPDevice | PhoneDevice
        if registration.factor == "sms":
            device = PhoneDevice(
                name="default", number=registration.phone, key=registration.factor_key,
                method="sms",
            )
        else:
            device = TOTPDevice(
                name="default", key=registration.factor_key, tolerance=TOTP_TOLERANCE,
                last_t=registration.totp_step if registration.totp_step is not None else -1,
            )
        device = services.device_add(user=user, device=device, request=request)
        backup_codes = backup_codes_create(user=user, request=request)
        if registration.terms_version is not None:
            terms_accept(user=user, version=registration.terms_version, request=request)
        security_event_record(
            user=user, kind=SecurityEvent.Kind.CODE_REDEEMED, request=request,
            code_id=code.pk, portal=code.kind, person_id=person.pk if person else None,
            **({"reopened": True} if previous is not None else {}),
        )
    return Created(user=user, device=device, membership=membership, backup_codes=backup_codes)


def _account_reopen(user: User) -> None:
    """A deactivated account (services.account_deactivate) registered again with a new code and
    its old address: the same row, active again with only what the new code grants. Its old
    factors, backup codes and any staff rights go; its revoked accesses stay revoked."""
    from django_otp import devices_for_user

    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.is_staff = user.is_superuser = False
    user.is_active = True


def password_hash(password: str) -> str:
    return make_password(password)


# --- Staff invitations --------------------------------------------------------------------------
#
# Nobody creates a staff account with a password typed by someone else: a superuser invites the
# colleague's e-mail address, and the colleague opens the account through /register/code/ (own
# password, e-mail confirmation, second factor), or redeems it on an existing account.

STAFF_INVITATION_DAYS = 14


def staff_invitation_issue(
    *, email: str, groups, created_by: User, days: int = STAFF_INVITATION_DAYS,
    request: HttpRequest | None = None,
) -> IssuedCode:
    """A single-use invitation for a new support colleague, e-mailed to the invited address.
    The returned plain code is the only copy (shown once to the superuser who invited)."""
    if not created_by.is_superuser:
        raise RegistrationError("only a superuser invites staff")
    email = email.strip().lower()
    with transaction.atomic():
        issued = registration_code_issue(
            kind=RegistrationCode.STAFF, role="", created_by=created_by, email=email, days=days,
        )
        issued.code.staff_groups.set(groups)
        with translation.override(translation.get_language() or settings.LANGUAGE_CODE):
            body = render_to_string(
                "emails/registration_staff_code.txt",
                {
                    "code": issued.plain,
                    "expires_at": issued.code.expires_at,
                    "register_url": f"{settings.SITE_URL}/register/code/",
                },
            )
            subject = _("Votre accès à l'administration du portail : code d'invitation")
        message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=email, subject=subject,
                      body=body, expires_at=issued.code.expires_at)
        security_event_record(
            user=created_by, kind=SecurityEvent.Kind.STAFF_INVITED, request=request,
            email=email, code_id=issued.code.pk,
            groups=sorted(group.name for group in issued.code.staff_groups.all()),
        )
    return issued


def _staff_rights_grant(*, code: RegistrationCode, user: User) -> None:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(*code.staff_groups.all())


def _staff_invitation_check(*, code_id: int, user: User, request: HttpRequest | None) -> None:
    """Before the transaction, so that the failure stays recorded (it counts towards the lock)."""
    code = RegistrationCode.objects.get(pk=code_id)
    if not code_email_matches(code=code, email=user.email):
        _failure_record(request=request, flow="code", reason="staff_email")
        raise IdentificationFailed


def _staff_invitation_attach(
    *, code: RegistrationCode, user: User, request: HttpRequest | None
) -> None:
    """Inside registration_code_attach's transaction, the code row locked (and its e-mail
    checked)."""
    redeemed = registration_code_redeem(code_id=code.pk, user=user)
    _staff_rights_grant(code=redeemed, user=user)
    security_event_record(
        user=user, kind=SecurityEvent.Kind.CODE_REDEEMED, request=request,
        code_id=redeemed.pk, portal=redeemed.kind, person_id=None,
    )


# --- Access requests ----------------------------------------------------------------------------


ACCESS_REQUESTS_PER_IP_HOUR = 5


class AccessRequestThrottled(RegistrationError):
    """Too many access requests from one client address within the hour."""


def _access_request_budget_take(ip: str | None) -> None:
    """At most 5 public access requests an hour per client address (shared cache, so it holds
    across web processes); a flood is refused before it reaches support's queue."""
    if not ip:
        return
    key = f"access-request-ip:v1:{ip}:{int(time.time()) // 3600}"
    cache.add(key, 0, 3600)
    if cache.incr(key) > ACCESS_REQUESTS_PER_IP_HOUR:
        raise AccessRequestThrottled


def access_request_submit(
    *,
    ip: str | None = None,
    kind: str,
    organisation_name: str,
    organisation_number: str,
    contact_first_name: str,
    contact_last_name: str,
    email: str,
    mobile: str,
    language: str,
) -> AccessRequest:
    _access_request_budget_take(ip)
    with transaction.atomic():
        access_request = AccessRequest.objects.create(
            kind=kind,
            organisation_name=organisation_name,
            organisation_number=organisation_number,
            contact_first_name=contact_first_name,
            contact_last_name=contact_last_name,
            email=email.lower(),
            mobile=mobile,
            language=language,
        )
        if access_request_existing_organisation(access_request) is not None:
            # Tell the requester who has to vouch for them, so support is not asked to guess.
            # Nothing about the organisation's users: the requester is not known yet.
            with translation.override(language or settings.LANGUAGE_CODE):
                body = render_to_string(
                    "emails/access_request_confirmation_needed.txt",
                    {"access_request": access_request},
                )
                subject = _("Votre demande d'accès au portail")
            message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=access_request.email,
                          subject=subject, body=body)
    return access_request


def _organisation_for(access_request: AccessRequest) -> Employer | Agency:
    organisation = access_request_organisation(access_request)
    if organisation is not None:
        return organisation
    if access_request.kind == Membership.Kind.EMPLOYER:
        uid = normalize_uid(access_request.organisation_number)
        return Employer.objects.create(
            name=access_request.organisation_name, uid=uid, language=access_request.language
        )
    number = access_request.organisation_number.strip().upper()
    return Agency.objects.create(name=access_request.organisation_name, register_number=number)


class AlreadyDecided(RegistrationError):
    """The request was approved or rejected meanwhile."""


class ConfirmationRequired(RegistrationError):
    """The organisation already has portal users and nobody who may speak for it has confirmed
    the request: support alone must not hand out admin access to it."""

    def __init__(self, organisation: Employer | Agency) -> None:
        super().__init__("confirmation required")
        self.organisation = organisation


class ConfirmerCannotApprove(RegistrationError):
    """Four eyes: whoever confirmed access to an existing organisation does not also approve it."""


class ConfirmationNotAllowed(RegistrationError):
    """The user may not confirm (or decline) access to this organisation."""


CONFIRM_PERMISSION = "accounts.confirm_existing_organisation"


def _speaks_for(*, user: User | None, organisation: Employer | Agency | None) -> str:
    """'supervisor', 'organisation_admin' or '' (may not vouch for access to `organisation`)."""
    if user is None or not user.is_active:
        return ""
    if user.is_staff and user.has_perm(CONFIRM_PERMISSION):
        return "supervisor"
    if organisation is None:
        return ""
    kind = Membership.Kind.EMPLOYER if isinstance(organisation, Employer) else Membership.Kind.BROKER
    if organisation_memberships_current(organisation).filter(
        user=user, role__in=ORGANISATION_ADMIN_ROLES[kind]
    ).exists():
        return "organisation_admin"
    return ""


def access_request_confirm(
    *, access_request: AccessRequest, confirmed_by: User, request: HttpRequest | None = None
) -> bool:
    """A supervisor, or a current admin of the organisation, vouches for a pending request to an
    organisation that already has portal users; support may then approve it. False when it was
    confirmed already."""
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        if locked.status != AccessRequest.Status.PENDING:
            raise AlreadyDecided
        organisation = access_request_organisation(locked)
        role = _speaks_for(user=confirmed_by, organisation=organisation)
        if not role:
            raise ConfirmationNotAllowed
        if locked.confirmed_at is not None:
            return False
        # Pin the organisation that was vouched for: a later edit of the number cannot move
        # the confirmation to another company.
        if isinstance(organisation, Employer):
            locked.employer = organisation
        elif isinstance(organisation, Agency):
            locked.agency = organisation
        locked.confirmed_by = confirmed_by
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["employer", "agency", "confirmed_by", "confirmed_at"])
        security_event_record(
            user=confirmed_by, kind=SecurityEvent.Kind.ACCESS_DECISION, request=request,
            decision="confirmed", confirmed_as=role, access_request_id=locked.pk,
            portal=locked.kind, organisation_id=organisation.pk if organisation else None,
        )
    access_request.refresh_from_db()
    return True


def access_request_decline(
    *, access_request: AccessRequest, declined_by: User, request: HttpRequest | None = None,
    note: str = "",
) -> None:
    """An admin of the organisation turns a pending request for access to it down."""
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        if locked.status != AccessRequest.Status.PENDING:
            raise AlreadyDecided
        organisation = access_request_organisation(locked)
        role = _speaks_for(user=declined_by, organisation=organisation)
        if not role:
            raise ConfirmationNotAllowed
        locked.status = AccessRequest.Status.REJECTED
        locked.decided_by = declined_by
        locked.decided_at = timezone.now()
        if note:
            locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        security_event_record(
            user=declined_by, kind=SecurityEvent.Kind.ACCESS_DECISION, request=request,
            decision="rejected", declined_as=role, access_request_id=locked.pk,
            portal=locked.kind, organisation_id=organisation.pk if organisation else None,
        )
    access_request.refresh_from_db()


def access_request_approve(
    *, access_request: AccessRequest, decided_by: User, request: HttpRequest | None = None,
    note: str = "",
) -> IssuedCode:
    """Link or create the employer/agency, issue a code and e-mail it. The returned plain code is
    the only copy: print the letter now or never."""
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        if locked.status != AccessRequest.Status.PENDING:
            raise AlreadyDecided
        existing = access_request_existing_organisation(locked)
        # Checked here, under the row lock, so the admin's button, its bulk action and any
        # other caller obey it. The confirmer must still speak for this very organisation.
        if existing is not None and (
            locked.confirmed_at is None
            or not _speaks_for(user=locked.confirmed_by, organisation=existing)
        ):
            raise ConfirmationRequired(existing)
        if existing is not None and locked.confirmed_by_id == decided_by.pk:
            raise ConfirmerCannotApprove
        organisation = _organisation_for(locked)
        if isinstance(organisation, Employer):
            locked.employer = organisation
            issued = registration_code_issue(
                kind=Membership.Kind.EMPLOYER, role=Membership.Role.ADMIN, employer=organisation,
                email=locked.email, created_by=decided_by,
            )
        else:
            locked.agency = organisation
            issued = registration_code_issue(
                kind=Membership.Kind.BROKER, role=Membership.Role.BROKER, agency=organisation,
                email=locked.email, created_by=decided_by,
            )
        locked.status = AccessRequest.Status.APPROVED
        locked.decided_by = decided_by
        locked.decided_at = timezone.now()
        if note:
            locked.decision_note = note
        locked.save()
        with translation.override(locked.language or settings.LANGUAGE_CODE):
            body = render_to_string(
                "emails/registration_access_code.txt",
                {
                    "access_request": locked,
                    "code": issued.plain,
                    "expires_at": issued.code.expires_at,
                    "register_url": f"{settings.SITE_URL}/register/code/",
                },
            )
            subject = _("Votre accès au portail : code d'enregistrement")
        message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=locked.email,
                      subject=subject, body=body)
        security_event_record(
            user=decided_by, kind=SecurityEvent.Kind.ACCESS_DECISION, request=request,
            decision="approved", access_request_id=locked.pk, portal=locked.kind,
            organisation_id=organisation.pk, code_id=issued.code.pk,
        )
    access_request.refresh_from_db()
    return issued


class ReasonRequired(RegistrationError):
    """Support rejects a request only with a reason (the requester reads it)."""


def access_request_reject(
    *, access_request: AccessRequest, decided_by: User, request: HttpRequest | None = None,
    note: str,
) -> bool:
    """Reject a pending request with a reason and tell the requester by e-mail, in the language
    of the request, with that reason. False when it was decided meanwhile (nothing is sent)."""
    note = (note or "").strip()
    if not note:
        raise ReasonRequired
    with transaction.atomic():
        updated = AccessRequest.objects.filter(
            pk=access_request.pk, status=AccessRequest.Status.PENDING
        ).update(
            status=AccessRequest.Status.REJECTED, decided_by=decided_by,
            decided_at=timezone.now(), decision_note=note,
        )
        if updated:
            access_request.refresh_from_db()
            with translation.override(access_request.language or settings.LANGUAGE_CODE):
                body = render_to_string("emails/access_request_rejected.txt", {
                    "access_request": access_request, "reason": note,
                    "fund_phone": settings.FUND_PHONE, "fund_email": settings.FUND_EMAIL,
                })
                subject = _("Votre demande d'accès au portail")
            message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=access_request.email,
                          subject=subject, body=body)
            security_event_record(
                user=decided_by, kind=SecurityEvent.Kind.ACCESS_DECISION, request=request,
                decision="rejected", access_request_id=access_request.pk,
                portal=access_request.kind,
            )
    access_request.refresh_from_db()
    return bool(updated)
