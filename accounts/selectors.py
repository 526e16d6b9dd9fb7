from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ua_parser import parse as ua_parse

from policies.models import Agency, Employer
from policies.validators import normalize_uid

from .models import (
    AccessRequest,
    Membership,
    OutboxMessage,
    RegistrationCode,
    SecurityEvent,
    SupportContact,
    TermsAcceptance,
    User,
    UserSession,
)
from .services import TERMS_CACHE_KEY, terms_current_version

MEMBERSHIP_FIELDS = (
    "id", "user_id", "kind", "role", "insured_person_id", "employer_id", "agency_id",
    "granted_by_id", "valid_until", "grants_mutations", "revoked_at", "created_at",
)
MEMBERSHIP_CACHE_SECONDS = 300
TERMS_SESSION_KEY = "terms_accepted_version"


def memberships_cache_key(user_id: int) -> str:
    return f"memberships:v2:{user_id}"  # v2: rows carry grants_mutations


def memberships_current(user: User) -> list[Membership]:
    """The user's memberships in force today.

    Every portal request needs them, so the rows live in the shared cache (Redis in production)
    and a save or delete of a Membership drops the user's entry (accounts.signals); the date
    check runs on every read, so an expiry takes effect at midnight whatever the cache holds.
    Related objects load lazily, only on the pages that show them.
    """
    cached = getattr(user, "_memberships_current", None)
    if cached is not None:
        return cached
    key = memberships_cache_key(user.pk)
    return _memberships_from(user, cache.get(key))


def _memberships_from(user: User, rows: list[dict] | None) -> list[Membership]:
    key = memberships_cache_key(user.pk)
    if rows is None:
        rows = list(
            Membership.objects.filter(user_id=user.pk, revoked_at__isnull=True)
            .order_by("kind", "pk")
            .values(*MEMBERSHIP_FIELDS)
        )
        cache.set(key, rows, MEMBERSHIP_CACHE_SECONDS)
    today = timezone.localdate()
    memberships = [
        Membership(**row) for row in rows
        if row["valid_until"] is None or row["valid_until"] >= today
    ]
    user._memberships_current = memberships
    return memberships


def gate_prefetch(user: User, extra_keys=()) -> dict | None:
    """What the portal gate reads from the shared cache on every page, the user's memberships
    and the current terms version, in one round trip; `memberships_current` and
    `terms_accepted_current` then use it for the rest of the request. `extra_keys`: what the
    page will read next, fetched in the same round trip; returns what was found of them (None
    when nothing was read here)."""
    if getattr(user, "_memberships_current", None) is not None:
        return None
    key = memberships_cache_key(user.pk)
    found = cache.get_many([key, TERMS_CACHE_KEY, *extra_keys])
    _memberships_from(user, found.get(key))
    if TERMS_CACHE_KEY in found:
        user._terms_version = found[TERMS_CACHE_KEY] or None
    return {k: found[k] for k in extra_keys if k in found}


def terms_accepted_current(user: User, session=None) -> bool:
    """Whether the user accepted the current terms; the answer is kept in the session so the
    portal gate asks the database once per session and version, not on every page."""
    if hasattr(user, "_terms_version"):
        version = user._terms_version
    else:
        version = terms_current_version()
    if version is None:
        return True
    if session is not None and session.get(TERMS_SESSION_KEY) == version:
        return True
    accepted = TermsAcceptance.objects.filter(user=user, version=version).exists()
    if accepted and session is not None:
        session[TERMS_SESSION_KEY] = version
    return accepted


def support_contact_for(kind: str) -> SupportContact | None:
    return SupportContact.objects.filter(kind=kind).first()


@dataclass(frozen=True)
class Contact:
    label: str
    name: str
    phone: str
    email: str
    hours: str = ""
    kind: str = ""  # the portal (Membership.Kind) this contact is for


def support_contacts_for_user(user: User | None) -> list[Contact]:
    """Whom to call about a lost phone: the client centre for insured persons and employers,
    the agency's account manager for brokers. Without a user (login page): every centre."""
    kinds = (
        sorted({m.kind for m in memberships_current(user)})
        if user is not None and user.is_authenticated
        else [k for k, _ in Membership.Kind.choices]
    )
    contacts: list[Contact] = []
    for kind in kinds:
        if kind == Membership.Kind.BROKER and user is not None and user.is_authenticated:
            for membership in memberships_current(user):
                agency = membership.agency
                if membership.kind == kind and agency and agency.account_manager:
                    contacts.append(Contact(
                        label=str(_("Votre chargé·e de clientèle")),
                        name=agency.account_manager,
                        phone=agency.account_manager_phone,
                        email=agency.account_manager_email,
                        kind=kind,
                    ))
            if any(c.label == str(_("Votre chargé·e de clientèle")) for c in contacts):
                continue
        row = support_contact_for(kind)
        if row is not None:
            contact = Contact(label=row.get_kind_display(), name=row.name_display,
                              phone=row.phone, email=row.email, hours=row.hours_display,
                              kind=kind)
            if all((c.phone, c.email) != (contact.phone, contact.email) for c in contacts):
                contacts.append(contact)
    return contacts


def session_device_label(user_agent: str) -> str:
    """"Chrome sur Linux", "Mobile Safari sur iOS": what a person recognises of a browser."""
    parsed = ua_parse(user_agent or "")
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    if browser and browser != "Other" and system and system != "Other":
        return _("%(browser)s sur %(system)s") % {"browser": browser, "system": system}
    if browser and browser != "Other":
        return browser
    return str(_("Appareil inconnu"))


def network_hint(ip: str | None) -> str:
    """The network, not the device: 185.12.34.x, 2001:db8:1:2::/64 (no city, no full address)."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if address.version == 4:
        return ".".join(ip.split(".")[:3]) + ".x"
    return f"{ipaddress.ip_network(f'{ip}/64', strict=False).network_address}/64"


def user_sessions_active(user: User) -> list[UserSession]:
    now = timezone.now()
    sessions = list(
        UserSession.objects.filter(
            user=user,
            last_seen__gte=now - timedelta(seconds=settings.SESSION_IDLE_SECONDS),
            created_at__gte=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS),
        )
    )
    for session in sessions:
        session.device_label = session_device_label(session.user_agent)
        session.network = network_hint(session.ip_address)
    return sessions


def security_events_recent(user: User, limit: int = 20) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user).order_by("-created_at")[:limit])


# --- Access requests for an organisation that already has portal users --------------------------

# Who speaks for an organisation: may confirm (or decline) a request for access to it.
ORGANISATION_ADMIN_ROLES = {
    Membership.Kind.EMPLOYER: frozenset({Membership.Role.ADMIN}),
    Membership.Kind.BROKER: frozenset({Membership.Role.AGENCY_ADMIN}),
}
# Whom support sees named on the decision page (an agency may have brokers but no agency admin).
ORGANISATION_LISTED_ROLES = {
    Membership.Kind.EMPLOYER: frozenset({Membership.Role.ADMIN}),
    Membership.Kind.BROKER: frozenset({Membership.Role.AGENCY_ADMIN, Membership.Role.BROKER}),
}


def access_request_organisation(access_request: AccessRequest) -> Employer | Agency | None:
    """The employer or agency a request is for, when it exists already: the one support linked,
    else the one with the request's UID or register number. Creates nothing."""
    if access_request.kind == Membership.Kind.EMPLOYER:
        if access_request.employer_id is not None:
            return access_request.employer
        try:
            uid = normalize_uid(access_request.organisation_number)
        except ValidationError:
            return None
        return Employer.objects.filter(uid=uid).first()
    if access_request.agency_id is not None:
        return access_request.agency
    number = access_request.organisation_number.strip().upper()
    if not number:
        return None
    return Agency.objects.filter(register_number__iexact=number).first()


def organisation_memberships_current(organisation: Employer | Agency) -> QuerySet[Membership]:
    today = timezone.localdate()
    target = (
        Q(kind=Membership.Kind.EMPLOYER, employer=organisation)
        if isinstance(organisation, Employer)
        else Q(kind=Membership.Kind.BROKER, agency=organisation)
    )
    return Membership.objects.filter(
        target, Q(valid_until__isnull=True) | Q(valid_until__gte=today), revoked_at__isnull=True
    )


def organisation_admins_current(organisation: Employer | Agency) -> list[Membership]:
    """The current admins (for an agency: agency admins and brokers), with their users."""
    kind = Membership.Kind.EMPLOYER if isinstance(organisation, Employer) else Membership.Kind.BROKER
    return list(
        organisation_memberships_current(organisation)
        .filter(role__in=ORGANISATION_LISTED_ROLES[kind])
        .select_related("user")
        .order_by("role", "user__last_name", "user__email")
    )


def access_request_existing_organisation(
    access_request: AccessRequest,
) -> Employer | Agency | None:
    """The organisation of the request if it already has portal users (a current membership)
    or an access code on its way (issued, not yet used): access to it is then not support's
    decision alone, or a second stranger could slip in before the first code is redeemed."""
    organisation = access_request_organisation(access_request)
    if organisation is None:
        return None
    if organisation_memberships_current(organisation).exists():
        return organisation
    codes = RegistrationCode.objects.filter(
        **({"employer": organisation} if isinstance(organisation, Employer)
           else {"agency": organisation}),
        redeemed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now(),
    )
    return organisation if codes.exists() else None


def access_requests_for_employer(membership: Membership) -> QuerySet[AccessRequest]:
    """Requests for access to the membership's company (linked to it, or naming its UID)."""
    if membership.kind != Membership.Kind.EMPLOYER or membership.employer_id is None:
        return AccessRequest.objects.none()
    employer = membership.employer
    return AccessRequest.objects.filter(kind=Membership.Kind.EMPLOYER).filter(
        Q(employer_id=employer.pk) | Q(employer__isnull=True, organisation_number=employer.uid)
    )


def access_requests_pending_for(membership: Membership) -> QuerySet[AccessRequest]:
    return access_requests_for_employer(membership).filter(
        status=AccessRequest.Status.PENDING
    ).order_by("created_at")


def access_request_for(membership: Membership, pk: int) -> AccessRequest:
    access_request = access_requests_for_employer(membership).filter(pk=pk).first()
    if access_request is None:
        raise Http404
    return access_request


def sms_code_undelivered(*, number: str, user: User | None, within: timedelta) -> bool:
    """Whether the latest SMS to this number for this account in the last `within` could not be
    sent (the provider refused it, or the queue was down): the page says so instead of "we
    sent you a code"."""
    latest = (
        OutboxMessage.objects.filter(
            channel=OutboxMessage.Channel.SMS, recipient=number, user=user,
            created_at__gte=timezone.now() - within,
        ).order_by("-created_at", "-pk").only("status").first()
    )
    return latest is not None and latest.status == OutboxMessage.Status.FAILED
