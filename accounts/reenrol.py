"""A new second factor after support reset a lost one.

The reset deletes every factor; the password alone must then not be enough to enrol a new one
(whoever knows the password could take the account over). Support posts a re-enrolment code to
the person's address; only with that code may the account set up a factor again.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user

from . import registration as reg
from .models import Membership, RegistrationCode, SecurityEvent, User
from .services import security_event_record

SESSION_KEY = "factor_reenrol_user"


def _last_reset(user: User) -> SecurityEvent | None:
    return (
        SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.FACTOR_RESET)
        .order_by("-created_at")
        .first()
    )


def reenrol_required(user: User) -> bool:
    """No factor left, and the factors were taken away by support (not a first set-up)."""
    has_factor = any(True for _ in devices_for_user(user, confirmed=True))
    return not has_factor and _last_reset(user) is not None


def reenrol_allowed(request: HttpRequest) -> bool:
    return request.session.get(SESSION_KEY) == request.user.pk


def reenrol_code_issue(*, user: User, by: User | None) -> reg.IssuedCode:
    """The code for the letter support posts after a reset (bound to the account's e-mail)."""
    membership = Membership.objects.filter(user=user).order_by("kind", "pk").first()
    return reg.registration_code_issue(
        kind=membership.kind if membership else Membership.Kind.INSURED,
        role=membership.role if membership else Membership.Role.INSURED,
        created_by=by,
        insured_person=user.insured_person,
        employer=membership.employer if membership else None,
        agency=membership.agency if membership else None,
        email=user.email,
    )


def reenrol_redeem(*, user: User, code: str, request: HttpRequest) -> None:
    """Accept the posted code for this account, with the lock and the one-time use of every
    registration code (5 failures an hour lock the step, per client address and per account)."""
    subject = f"user:{user.pk}"
    with reg.identification_attempt(request=request, subject=subject):
        _redeem(user=user, code=code, request=request, subject=subject)
    request.session[SESSION_KEY] = user.pk


def _redeem(*, user: User, code: str, request: HttpRequest, subject: str) -> None:
    candidate = reg.registration_code_find(code)
    reset = _last_reset(user)
    if (
        candidate is None or reset is None or not candidate.is_usable
        or candidate.email.lower() != user.email.lower()
        or candidate.created_at < reset.created_at
    ):
        reg.code_failure(request=request, flow="reenrol", reason="code", subject=subject)
    try:
        with transaction.atomic():
            redeemed: RegistrationCode = reg.registration_code_redeem(code_id=candidate.pk,
                                                                      user=user)
            security_event_record(user=user, kind=SecurityEvent.Kind.CODE_REDEEMED,
                                  request=request, code_id=redeemed.pk, purpose="reenrol")
    except reg.CodeUnavailable:
        # Redeemed from another browser meanwhile: a used code, answered like one (not a 500).
        reg.code_failure(request=request, flow="reenrol", reason="code", subject=subject)
