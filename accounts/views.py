from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django_otp import devices_for_user
from two_factor import views as two_factor_views
from two_factor.forms import AuthenticationTokenForm, BackupTokenForm

from portals.access import VerifiedMixin

from .forms import LoginForm
from .models import SecurityEvent
from .selectors import memberships_current
from .services import security_event_record


class ProfileView(VerifiedMixin, TemplateView):
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["devices"] = list(devices_for_user(user))
        context["memberships"] = memberships_current(user)
        context["events"] = SecurityEvent.objects.filter(user=user)[:20]
        return context


class PasswordChangeView(VerifiedMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        security_event_record(
            user=self.request.user, kind=SecurityEvent.Kind.PASSWORD_CHANGED, request=self.request
        )
        messages.success(self.request, _("Votre mot de passe a été modifié."))
        return response


class LoginView(two_factor_views.LoginView):
    form_list = (
        ("auth", LoginForm),
        ("token", AuthenticationTokenForm),
        ("backup", BackupTokenForm),
    )
