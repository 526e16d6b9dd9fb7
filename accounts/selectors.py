from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from .models import Membership, SupportContact, TermsAcceptance, User
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
