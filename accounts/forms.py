from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.forms import OTPAuthenticationFormMixin
from phonenumber_field.phonenumber import PhoneNumber
from two_factor.forms import AuthenticationTokenForm

from portals.common.fields import MobileField, TelInput

from .models import SecurityEvent, User
from .security import record_factor_failure
from .services import security_event_record

GENERIC_LOGIN_ERROR = _(
    "Nom d'utilisateur ou mot de passe incorrect. Après 10 essais, l'accès est bloqué "
    "pendant une heure."
)
LOCKED_LOGIN_ERROR = _(
    "Trop d'essais infructueux : la connexion à ce compte est bloquée pendant une heure. "
    "Réessayez plus tard, utilisez « Mot de passe oublié » ou contactez le support."
)


class LoginForm(AuthenticationForm):
    """E-mail or AHV number; one message for an unknown user, a wrong password or an inactive one.

    After 10 failures for one username (known or not: axes counts both alike) the form says the
    access is locked, so the lock reveals nothing about whether the account exists.
    """

    username = forms.CharField(
        label=_("E-mail ou numéro AVS"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": GENERIC_LOGIN_ERROR,
        "inactive": GENERIC_LOGIN_ERROR,
        "locked": LOCKED_LOGIN_ERROR,
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(self.error_messages["locked"], code="locked") from None
            raise

    def confirm_login_allowed(self, user) -> None:
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


def too_many_codes_message():
    return _(
        "Vous avez saisi %(count)s codes incorrects. Ce code n'est plus accepté : demandez un "
        "nouveau code par SMS ou recommencez la connexion."
    ) % {"count": settings.SECOND_FACTOR_MAX_FAILURES}


class TokenForm(AuthenticationTokenForm):
    """Second-factor code at login: 5 wrong codes per challenge, then a new code is needed.

    The count lives on the device (django-otp's throttling counter, its delay switched off), so it
    holds across browsers and web processes; a new SMS or a new password step starts it again.
    """

    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Saisissez le code."),
        "invalid_token": _("Code incorrect. Vérifiez-le et réessayez."),
        "device_required": _("Aucun code de secours n'est enregistré pour ce compte."),
    }

    def __init__(self, user, initial_device, request=None, **kwargs):
        super().__init__(user, initial_device, **kwargs)
        self.request = request
        field = self.fields["otp_token"]
        field.label = _("Code à 6 chiffres")
        field.widget.attrs.update({"inputmode": "numeric"})
        field.error_messages.update({
            "invalid": _("Le code se compose de 6 chiffres."),
            "min_length": _("Le code se compose de 6 chiffres."),
            "max_length": _("Le code se compose de 6 chiffres."),
            "required": _("Saisissez le code."),
        })

    @staticmethod
    def _exhausted(device) -> bool:
        count = getattr(device, "throttling_failure_count", 0) or 0
        return count >= settings.SECOND_FACTOR_MAX_FAILURES

    def _verify_token(self, user, token, device=None):
        if device is not None and self._exhausted(device):
            raise ValidationError(too_many_codes_message(), code="too_many")
        try:
            return super()._verify_token(user, token, device)
        except ValidationError as exc:
            if exc.code == "invalid_token":
                security_event_record(
                    user=user, kind=SecurityEvent.Kind.FACTOR_FAILURE, request=self.request,
                    device=type(device).__name__,
                )
                if self.request is not None:
                    record_factor_failure(self.request, user)
                if self._exhausted(device):
                    raise ValidationError(too_many_codes_message(), code="too_many") from None
            raise


class BackupCodeForm(TokenForm):
    otp_token = forms.CharField(
        label=_("Code de secours"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def __init__(self, user, initial_device, request=None, **kwargs):
        super(TokenForm, self).__init__(user, initial_device, **kwargs)
        self.request = request


class LoginIdentifierForm(forms.Form):
    login = forms.CharField(
        label=_("E-mail ou numéro AVS"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code à 6 chiffres"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Le code se compose de 6 chiffres.")},
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
            "maxlength": 6,
        }),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("Nouvelle adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email == self.user.email.lower():
            raise ValidationError(_("C'est déjà votre adresse actuelle."))
        # An address of another account is not refused here: that answer told anyone whether
        # the address has an account. email_change_start tells its owner instead.
        return email


class MobileForm(forms.Form):
    number = MobileField(
        label=_("Nouveau numéro de mobile"), international=True,
        help_text=_("Par exemple 079 123 45 67 ou +41 79 123 45 67."),
        widget=TelInput(attrs={"autocomplete": "tel", "autofocus": True}),
    )

    def clean_number(self) -> PhoneNumber:
        # The profile view reads .as_e164; return the plain string once it reads the value.
        return PhoneNumber.from_string(self.cleaned_data["number"])


class AuthenticatorForm(forms.Form):
    token = forms.RegexField(
        label=_("Code affiché par l'application"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Le code se compose de 6 chiffres.")},
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
            "maxlength": 6,
        }),
    )
