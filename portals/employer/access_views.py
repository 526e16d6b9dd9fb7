"""Self-service third-party access for company admins (capability manage_access): who has
access, since when, granted by whom, until when; invite by e-mail; change the scope or end
date; revoke in one click. Everyone of the company sees nothing of another company's."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts import grants
from accounts.models import Membership
from portals.access import EmployerPortalMixin, capabilities_of

from . import forms


class AccessMixin(EmployerPortalMixin):
    required_capability = "manage_access"


class AccessListView(AccessMixin, TemplateView):
    template_name = "employer/access/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        memberships = list(grants.employer_memberships(self.request.membership))
        context.update(
            employer=self.request.membership.employer,
            staff=[m for m in memberships if m.role != Membership.Role.THIRD_PARTY],
            third_parties=[m for m in memberships if m.role == Membership.Role.THIRD_PARTY],
            invitations=list(grants.invitations_pending(self.request.membership)),
            can_mutate={m.pk: "submit_mutations" in capabilities_of(m) for m in memberships},
        )
        return context


class InviteView(AccessMixin, TemplateView):
    template_name = "employer/access/invite.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", forms.InviteForm())
        return context

    def post(self, request, *args, **kwargs):
        form = forms.InviteForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self.get_context_data(form=form))
        data = form.cleaned_data
        try:
            grants.third_party_invite(
                membership=request.membership, by=request.user, first_name=data["first_name"],
                last_name=data["last_name"], email=data["email"],
                grants_mutations=data["scope"] == "mutations", valid_until=data["valid_until"],
                request=request,
            )
        except grants.InvitationLimit:
            form.add_error(None, _("Vous avez envoyé %(n)s invitations en 24 heures : "
                                   "réessayez demain ou contactez-nous.")
                           % {"n": grants.INVITATIONS_PER_DAY})
            return render(request, self.template_name, self.get_context_data(form=form))
        messages.success(request, _("Invitation envoyée à %(email)s. Le code est valable 30 "
                                    "jours.") % {"email": data["email"]})
        return redirect("employer:access")


class AccessChangeView(AccessMixin, TemplateView):
    template_name = "employer/access/change.html"

    def target(self):
        return grants.third_party_membership_for(self.request.membership, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        target = kwargs.get("target") or self.target()
        context["target"] = target
        context.setdefault("form", forms.AccessChangeForm(initial={
            "scope": "mutations" if target.grants_mutations else "read",
            "valid_until": target.valid_until}))
        return context

    def post(self, request, *args, **kwargs):
        target = self.target()
        form = forms.AccessChangeForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name,
                          self.get_context_data(form=form, target=target))
        grants.third_party_change(
            target=target, by=request.user,
            grants_mutations=form.cleaned_data["scope"] == "mutations",
            valid_until=form.cleaned_data["valid_until"], request=request)
        messages.success(request, _("Accès de %(email)s modifié.") % {"email": target.user.email})
        return redirect("employer:access")


class AccessRevokeView(AccessMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        target = grants.third_party_membership_for(request.membership, pk)
        grants.third_party_revoke(target=target, by=request.user, request=request)
        messages.success(request, _("Accès de %(email)s révoqué : ses sessions sont fermées.")
                         % {"email": target.user.email})
        return redirect("employer:access")


class InvitationRevokeView(AccessMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        code = grants.invitation_for(request.membership, pk)
        grants.invitation_revoke(code=code, by=request.user, request=request)
        messages.success(request, _("Invitation annulée : le code ne fonctionne plus."))
        return redirect("employer:access")
