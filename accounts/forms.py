from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """E-mail or AHV number; one message for an unknown user, a wrong password or a locked one."""

    username = forms.CharField(
        label=_("E-mail ou numéro AVS"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "Nom d'utilisateur ou mot de passe incorrect. Après 10 essais, l'accès est bloqué "
            "pendant une heure."
        ),
        "inactive": _(
            "Nom d'utilisateur ou mot de passe incorrect. Après 10 essais, l'accès est bloqué "
            "pendant une heure."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
