"""Re-authentication before a sensitive action (reveal the AHV number, change mobile or IBAN).

The view asks for the password again; success stores the time in the session. Views guarded by
RecentAuthRequiredMixin (or `is_recently_reauthenticated`) redirect to it when that is too old.
"""

from __future__ import annotations

import time

from django import forms
from django.contrib.auth import authenticate
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portals.access import gate_redirect

from .redirects import safe_next

SESSION_KEY = "reauthenticated_at"
MAX_AGE_SECONDS = 5 * 60


def is_recently_reauthenticated(request, max_age: int = MAX_AGE_SECONDS) -> bool:
    at = request.session.get(SESSION_KEY)
    return at is not None and time.time() - at <= max_age


def reauth_url(next_url: str) -> str:
    return f"{reverse('reauth')}?{urlencode({'next': next_url})}"


class RecentAuthRequiredMixin:
    reauth_max_age = MAX_AGE_SECONDS

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_recently_reauthenticated(
            request, self.reauth_max_age
        ):
            return redirect(reauth_url(request.get_full_path()))
        return super().dispatch(request, *args, **kwargs)


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe actuel"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        strip=False,
    )


@never_cache
def reauth_view(request):
    response = gate_redirect(request)
    if response is not None:
        return response
    next_url = safe_next(request, reverse("profile"))
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=request.user.email, password=form.cleaned_data["password"]
        )
        if user is not None and user.pk == request.user.pk:
            request.session[SESSION_KEY] = time.time()
            return redirect(next_url)
        form.add_error("password", _("Mot de passe incorrect."))
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})
