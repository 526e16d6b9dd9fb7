"""The one gate in front of every portal page.

anonymous -> login; not OTP-verified -> second factor (or its set-up); current terms not accepted
-> terms page; no current membership of the portal's kind -> 403. Objects come only through
selectors that take the membership, so someone else's object is a 404.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Membership
from accounts.selectors import memberships_current, terms_accepted_current


def gate_redirect(request: HttpRequest):
    """Where the user must go first, or None when login, second factor and terms are in order."""
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
    if not terms_accepted_current(user, request.session):
        return redirect(f"{reverse('terms')}?{urlencode({'next': request.get_full_path()})}")
    return None


def membership_for(request: HttpRequest, kind: str) -> Membership | None:
    current = [m for m in memberships_current(request.user) if m.kind == kind]
    if not current:
        return None
    chosen = request.session.get(f"membership_{kind}")
    for membership in current:
        if membership.pk == chosen:
            return membership
    return current[0]


class VerifiedMixin:
    """Login, second factor and terms, without a portal membership (profile pages)."""

    def dispatch(self, request, *args, **kwargs):
        response = gate_redirect(request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)


class PortalMixin:
    portal_kind: str = ""
    allowed_roles: frozenset[str] | None = None

    def dispatch(self, request, *args, **kwargs):
        response = gate_redirect(request)
        if response is not None:
            return response
        membership = membership_for(request, self.portal_kind)
        if membership is None:
            raise PermissionDenied("no membership for this portal")
        if self.allowed_roles is not None and membership.role not in self.allowed_roles:
            raise PermissionDenied("role not allowed")
        request.membership = membership
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["membership"] = self.request.membership
        context["portal_kind"] = self.portal_kind
        return context


class InsuredPortalMixin(PortalMixin):
    portal_kind = Membership.Kind.INSURED


class EmployerPortalMixin(PortalMixin):
    portal_kind = Membership.Kind.EMPLOYER


class BrokerPortalMixin(PortalMixin):
    portal_kind = Membership.Kind.BROKER
