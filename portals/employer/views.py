from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts import registration as reg
from accounts.selectors import access_request_for, access_requests_pending_for
from policies.selectors import employer_staff_counts
from portals.access import EmployerPortalMixin


class HomeView(EmployerPortalMixin, TemplateView):
    template_name = "employer/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        membership = self.request.membership
        context["employer"] = membership.employer
        context["counts"] = employer_staff_counts(membership)
        if "manage_access" in self.request.capabilities:
            context["access_requests_pending"] = access_requests_pending_for(membership).count()
        return context


class AccessRequestsView(EmployerPortalMixin, TemplateView):
    """Pending requests for access to the company, for one of its admins to confirm or decline
    (support may approve access to a company with portal users only once confirmed)."""

    template_name = "employer/access_requests.html"
    required_capability = "manage_access"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["employer"] = self.request.membership.employer
        context["access_requests"] = access_requests_pending_for(self.request.membership)
        return context


class AccessRequestDecisionView(EmployerPortalMixin, View):
    required_capability = "manage_access"
    http_method_names = ["post"]

    def decide(self, request: HttpRequest, access_request) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        access_request = access_request_for(request.membership, pk)  # another company's: 404
        try:
            done = self.decide(request, access_request)
        except reg.AlreadyDecided:
            messages.warning(request, _("Cette demande a déjà été traitée."))
        except reg.ConfirmationNotAllowed:
            raise PermissionDenied from None
        else:
            messages.success(request, done)
        return redirect("employer:access-requests")


class AccessRequestConfirmView(AccessRequestDecisionView):
    def decide(self, request: HttpRequest, access_request) -> str:
        reg.access_request_confirm(access_request=access_request, confirmed_by=request.user,
                                   request=request)
        return _("Demande confirmée. Notre équipe enverra le code d'enregistrement à %(email)s.") % {
            "email": access_request.email}


class AccessRequestDeclineView(AccessRequestDecisionView):
    def decide(self, request: HttpRequest, access_request) -> str:
        note = request.POST.get("note", "").strip()[:1000]
        reg.access_request_decline(access_request=access_request, declined_by=request.user,
                                   request=request, note=note)
        return _("Demande refusée. Aucun accès ne sera donné.")
