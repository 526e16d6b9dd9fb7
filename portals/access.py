"""The one gate in front of every portal page.

anonymous -> login; not OTP-verified -> second factor (or its set-up, or re-enrolment); current
terms not accepted -> terms page; no current membership of the portal's kind -> 403; several and
none chosen -> the chooser; the view's `required_capability` not granted to the active
membership -> 403. Objects come only through selectors that take the active membership, so an
object of someone else (or of a membership not active now) is a 404.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode

from accounts.models import Membership
from accounts.selectors import gate_prefetch, memberships_current, terms_accepted_current

Kind, Role = Membership.Kind, Membership.Role

# What each role may do, in one table: views declare a capability, never a role name.
CAPABILITIES: dict[tuple[str, str], frozenset[str]] = {
    (Kind.INSURED, Role.INSURED): frozenset({"view_own_pension"}),
    (Kind.EMPLOYER, Role.ADMIN): frozenset(
        {"view_company", "view_staff", "submit_mutations", "manage_access", "view_documents"}
    ),
    (Kind.EMPLOYER, Role.CLERK): frozenset(
        {"view_company", "view_staff", "submit_mutations", "view_documents"}
    ),
    (Kind.EMPLOYER, Role.THIRD_PARTY): frozenset({"view_company", "view_staff", "view_documents"}),
    (Kind.BROKER, Role.BROKER): frozenset({"view_portfolio", "view_commissions"}),
    (Kind.BROKER, Role.AGENCY_ADMIN): frozenset(
        {"view_portfolio", "view_agency_portfolio", "view_commissions"}
    ),
}
# What a grant adds on top of its role (the employer admin chose "read + mutations").
GRANTED: dict[str, frozenset[str]] = {"grants_mutations": frozenset({"submit_mutations"})}

SESSION_ACTIVE = "membership_{kind}"
# What a page remembers in the session to read its cache entries with the gate's round trip
# (the dashboard's person, the broker pages' scope); used only when they are the membership's
# own, and forgotten whenever the gate refuses, so a former broker's remembered scope is never
# looked in again.
HINT_DASHBOARD_PERSON = "dashboard_person"
HINT_BROKER_SCOPE = "broker_scope"
SESSION_HINTS = (HINT_DASHBOARD_PERSON, HINT_BROKER_SCOPE)
# The portal used last: the profile pages keep its navigation (portals.context_processors).
SESSION_LAST_PORTAL = "portal_last"


def organisation_name(membership: Membership) -> str:
    """The company or agency of the membership, else its target, as the header names it."""
    employer = membership.employer if membership.employer_id else None
    agency = membership.agency if membership.agency_id else None
    return str((employer and employer.name) or (agency and agency.name) or membership.target
               or "")


def capabilities_of(membership: Membership) -> frozenset[str]:
    granted = CAPABILITIES.get((membership.kind, membership.role), frozenset())
    for flag, extra in GRANTED.items():
        if getattr(membership, flag, False):
            granted |= extra
    return granted


def gate_redirect(request: HttpRequest, cache_keys=()):
    """Where the user must go first, or None when login, second factor and terms are in order.

    `cache_keys`: shared-cache entries the page will read, fetched with the gate's own round
    trip; what was found is left in `request.gate_prefetched` (None when the gate read
    nothing: the caller then reads them itself)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_verified():
        from django_otp import devices_for_user

        if any(True for _ in devices_for_user(user)):
            return redirect_to_login(request.get_full_path())
        from accounts.reenrol import reenrol_required

        if reenrol_required(user):
            return redirect(reverse("factor-reenrol"))
        return redirect(reverse("two_factor:setup"))
    # Memberships, terms version and the page's own entries: one cache round trip.
    request.gate_prefetched = gate_prefetch(user, cache_keys)
    if not terms_accepted_current(user, request.session):
        return redirect(f"{reverse('terms')}?{urlencode({'next': request.get_full_path()})}")
    return None


def memberships_of_kind(request: HttpRequest, kind: str) -> list[Membership]:
    return [m for m in memberships_current(request.user) if m.kind == kind]


def membership_activate(request: HttpRequest, membership: Membership) -> None:
    request.session[SESSION_ACTIVE.format(kind=membership.kind)] = membership.pk


def membership_for(request: HttpRequest, kind: str) -> Membership | None:
    """The active membership of this kind: the only one, or the one the user chose. With several
    and no (still valid) choice there is none: the user picks, nothing falls back silently."""
    current = memberships_of_kind(request, kind)
    if len(current) == 1:
        return current[0]
    chosen = request.session.get(SESSION_ACTIVE.format(kind=kind))
    return next((m for m in current if m.pk == chosen), None)


def remember_hint(request: HttpRequest, name: str, value) -> bool:
    """Keeps `value` as the session's hint `name` (one of SESSION_HINTS); whether the session
    held exactly that already (what a page read with the gate's round trip is then its own)."""
    if request.session.get(name) == value:
        return True
    request.session[name] = value
    return False


def forget_hints(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        for name in SESSION_HINTS:
            session.pop(name, None)


class VerifiedMixin:
    """Login, second factor and terms, without a portal membership (profile pages)."""

    def dispatch(self, request, *args, **kwargs):
        response = gate_redirect(request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)


class PortalMixin:
    portal_kind: str = ""
    required_capability: str | None = None
    # Shared-cache entries the view already read (with others, in one round trip), by key:
    # the header's organisation comes from here when it is in.
    cache_found: dict = {}

    def header_cache_keys(self) -> list[str]:
        """The shared-cache keys of what the header shows (the organisation)."""
        return []

    def gate_cache_keys(self) -> list[str]:
        """Shared-cache keys this page will read, to fetch with the gate's round trip. Only
        what the request (the session) tells before the gate has run; a page that guessed
        checks that its guess holds before it uses what was fetched."""
        return []

    def dispatch(self, request, *args, **kwargs):
        try:
            response = self.gate(request)
        except PermissionDenied:
            forget_hints(request)
            raise
        if response is not None:
            forget_hints(request)
            return response
        return super().dispatch(request, *args, **kwargs)

    def gate(self, request):
        """None when the page may be shown; else where to go (or PermissionDenied)."""
        response = gate_redirect(request, self.gate_cache_keys())
        if response is not None:
            return response
        current = memberships_of_kind(request, self.portal_kind)
        if not current:
            raise PermissionDenied("no membership for this portal")
        membership = membership_for(request, self.portal_kind)
        if membership is None:
            return redirect(f"{reverse('portal-chooser')}?kind={self.portal_kind}")
        request.membership = membership
        request.capabilities = capabilities_of(membership)
        request.memberships_of_kind = current
        if request.session.get(SESSION_LAST_PORTAL) != self.portal_kind:
            request.session[SESSION_LAST_PORTAL] = self.portal_kind
        if self.required_capability and self.required_capability not in request.capabilities:
            raise PermissionDenied("capability not granted")
        return None

    def shell_key(self, context) -> tuple | None:
        """What the portal's shell shows (portals.common.shell): the navigation, the page's
        place in it and the capabilities (the organisation's name is put in on each request);
        None (no cached shell) when the header lists several organisations to switch between."""
        from portals.context_processors import portal_nav_for

        if context.get("switchable_memberships"):
            return None
        request = self.request
        match = request.resolver_match
        return (portal_nav_for(request), match.url_name if match else "",
                tuple(sorted(request.capabilities)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["membership"] = self.request.membership
        context["capabilities"] = self.request.capabilities
        context["portal_kind"] = self.portal_kind
        # The organisation the header names: read when shown (the portal's mixin may still
        # set the company or agency from the cache after this).
        membership = self.request.membership
        context["organisation_name"] = SimpleLazyObject(lambda: organisation_name(membership))
        context["switchable_memberships"] = (
            self.request.memberships_of_kind if len(self.request.memberships_of_kind) > 1 else []
        )
        return context


class InsuredPortalMixin(PortalMixin):
    portal_kind = Kind.INSURED
    required_capability = "view_own_pension"


class EmployerPortalMixin(PortalMixin):
    portal_kind = Kind.EMPLOYER
    required_capability = "view_company"

    def header_cache_keys(self) -> list[str]:
        from policies.selectors import employer_cache_key

        return [employer_cache_key(self.request.membership.employer_id)]

    def get_context_data(self, **kwargs):
        from policies.selectors import employer_cache_key, employer_for

        # The header names the membership's company: from the shared cache, not a query.
        membership = self.request.membership
        membership.employer = employer_for(membership, cached=self.cache_found.get(
            employer_cache_key(membership.employer_id)))
        return super().get_context_data(**kwargs)


class BrokerPortalMixin(PortalMixin):
    portal_kind = Kind.BROKER
    required_capability = "view_portfolio"
