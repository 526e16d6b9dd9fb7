"""Third-party access granted by an employer admin (replaces the paper "Autorisation d'accès
pour des tiers"): an invitation by e-mail carrying a registration code bound to that address,
a change of scope or end date, a revocation that ends the person's sessions at once. Every
step is written to the audit (SecurityEvent)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import Membership, OutboxMessage, RegistrationCode, SecurityEvent, User
from .registration import IssuedCode, registration_code_issue, registration_code_revoke
from .services import message_queue, security_event_record, sessions_end

THIRD_PARTY = Membership.Role.THIRD_PARTY
INVITATIONS_PER_DAY = 20  # per admin: a stolen session cannot turn the portal into a mailer


class InvitationLimit(Exception):
    pass


def _scope(grants_mutations: bool) -> str:
    return "read_mutations" if grants_mutations else "read"


# --- reads ---------------------------------------------------------------------------------------

def employer_memberships(membership: Membership) -> QuerySet[Membership]:
    """Everyone with current access to the active membership's company."""
    if membership.kind != Membership.Kind.EMPLOYER or membership.employer_id is None:
        raise Http404
    today = timezone.localdate()
    return (
        Membership.objects.filter(
            kind=Membership.Kind.EMPLOYER, employer_id=membership.employer_id,
            revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("user", "granted_by")
        .order_by("role", "user__last_name", "user__email")
    )


def third_party_membership_for(membership: Membership, pk) -> Membership:
    """A third party of the same company (the only ones an admin changes or revokes here)."""
    found = employer_memberships(membership).filter(pk=pk, role=THIRD_PARTY).first()
    if found is None:
        raise Http404
    return found


def invitations_pending(membership: Membership) -> QuerySet[RegistrationCode]:
    if membership.kind != Membership.Kind.EMPLOYER or membership.employer_id is None:
        raise Http404
    return RegistrationCode.objects.filter(
        kind=Membership.Kind.EMPLOYER, role=THIRD_PARTY, employer_id=membership.employer_id,
        redeemed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now(),
    ).select_related("created_by").order_by("-created_at")


def invitation_for(membership: Membership, pk) -> RegistrationCode:
    found = invitations_pending(membership).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- writes --------------------------------------------------------------------------------------

@transaction.atomic
def third_party_invite(
    *, membership: Membership, by: User, first_name: str, last_name: str, email: str,
    grants_mutations: bool, valid_until: date | None, request: HttpRequest | None = None,
) -> IssuedCode:
    since = timezone.now() - timedelta(days=1)
    sent = SecurityEvent.objects.filter(user=by, kind=SecurityEvent.Kind.ACCESS_GRANTED,
                                        detail__stage="invited", created_at__gte=since).count()
    if sent >= INVITATIONS_PER_DAY:
        raise InvitationLimit
    employer = membership.employer
    issued = registration_code_issue(
        kind=Membership.Kind.EMPLOYER, role=THIRD_PARTY, employer=employer, email=email,
        valid_until=valid_until, grants_mutations=grants_mutations, created_by=by, days=30,
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string("emails/third_party_invitation.txt", {
            "first_name": first_name, "last_name": last_name, "organisation": employer.name,
            "granted_by": by.get_full_name(), "code": issued.plain,
            "expires_at": issued.code.expires_at, "valid_until": valid_until,
            "grants_mutations": grants_mutations,
            "register_url": f"{settings.SITE_URL}/register/code/",
            "add_url": f"{settings.SITE_URL}/register/code/add/",
        })
        subject = gettext("Accès au portail de prévoyance pour %(org)s") % {
            "org": employer.name}
    message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=email, subject=subject,
                  body=body)
    security_event_record(
        user=by, kind=SecurityEvent.Kind.ACCESS_GRANTED, request=request, stage="invited",
        employer_id=employer.pk, email=email, scope=_scope(grants_mutations),
        valid_until=valid_until.isoformat() if valid_until else None, code_id=issued.code.pk,
    )
    return issued


@transaction.atomic
def third_party_change(
    *, target: Membership, by: User, grants_mutations: bool, valid_until: date | None,
    request: HttpRequest | None = None,
) -> Membership:
    locked = Membership.objects.select_for_update().get(pk=target.pk)
    before = {"scope": _scope(locked.grants_mutations),
              "valid_until": locked.valid_until.isoformat() if locked.valid_until else None}
    locked.grants_mutations, locked.valid_until = grants_mutations, valid_until
    locked.save(update_fields=["grants_mutations", "valid_until"])  # drops the gate's cache
    security_event_record(
        user=by, kind=SecurityEvent.Kind.ACCESS_CHANGED, request=request,
        membership_id=locked.pk, employer_id=locked.employer_id, target_user_id=locked.user_id,
        before=before, after={"scope": _scope(grants_mutations),
                              "valid_until": valid_until.isoformat() if valid_until else None},
    )
    return locked


@transaction.atomic
def third_party_revoke(*, target: Membership, by: User,
                       request: HttpRequest | None = None) -> Membership:
    """At once: the membership is revoked (the gate's cache dropped by the save) and the
    person's sessions end, so the next request of that browser is a login."""
    locked = Membership.objects.select_for_update().get(pk=target.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        sessions_end(user=locked.user)
        security_event_record(
            user=by, kind=SecurityEvent.Kind.ACCESS_REVOKED, request=request,
            membership_id=locked.pk, employer_id=locked.employer_id,
            target_user_id=locked.user_id,
        )
    return locked


def invitation_revoke(*, code: RegistrationCode, by: User,
                      request: HttpRequest | None = None) -> bool:
    revoked = registration_code_revoke(code=code)
    if revoked:
        security_event_record(
            user=by, kind=SecurityEvent.Kind.ACCESS_REVOKED, request=request,
            stage="invitation", code_id=code.pk, employer_id=code.employer_id, email=code.email,
        )
    return revoked
