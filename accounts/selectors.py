from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    Membership,
    SecurityEvent,
    SupportContact,
    TermsAcceptance,
    User,
    UserSession,
)
from .services import terms_current_version


def memberships_current(user: User) -> list[Membership]:
    """The user's memberships in force today, cached on the user object for the request."""
    cached = getattr(user, "_memberships_current", None)
    if cached is not None:
        return cached
    today = timezone.localdate()
    memberships = list(
        Membership.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("insured_person", "employer", "agency")
        .order_by("kind", "pk")
    )
    user._memberships_current = memberships
    return memberships


def terms_accepted_current(user: User) -> bool:
    version = terms_current_version()
    if version is None:
        return True
    return TermsAcceptance.objects.filter(user=user, version=version).exists()


def support_contact_for(kind: str) -> SupportContact | None:
    return SupportContact.objects.filter(kind=kind).first()


@dataclass(frozen=True)
class Contact:
    label: str
    name: str
    phone: str
    email: str
    hours: str = ""


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
                    ))
            if any(c.label == str(_("Votre chargé·e de clientèle")) for c in contacts):
                continue
        row = support_contact_for(kind)
        if row is not None:
            contact = Contact(label=row.get_kind_display(), name=row.name, phone=row.phone,
                              email=row.email, hours=row.hours)
            if all((c.phone, c.email) != (contact.phone, contact.email) for c in contacts):
                contacts.append(contact)
    return contacts


def user_sessions_active(user: User) -> list[UserSession]:
    now = timezone.now()
    return list(
        UserSession.objects.filter(
            user=user,
            last_seen__gte=now - timedelta(seconds=settings.SESSION_IDLE_SECONDS),
            created_at__gte=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS),
        )
    )


def security_events_recent(user: User, limit: int = 20) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user).order_by("-created_at")[:limit])
