"""Forms of the account pages: login, codes, profile changes, registration wizard, access
requests, re-authentication. They validate; services act."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.forms import OTPAuthenticationFormMixin
from phonenumber_field.phonenumber import PhoneNumber
from two_factor.forms import AuthenticationTokenForm
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import Membership, SecurityEvent, User
from accounts.password_validation import PasswordPolicyValidator
from accounts.security import record_factor_failure
from accounts.services import CodeCheck, phone_code_consume, security_event_record
from policies.validators import normalize_uid
from portals.common.fields import AhvField, MobileField, SwissDateField, TelInput

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
            verified = super()._verify_token(user, token, device)
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
        if isinstance(verified, PhoneDevice) and not phone_code_consume(device=verified):
            # Typed twice at once in two browsers: only the first one logs in.
            raise ValidationError(self.otp_error_messages["invalid_token"], code="invalid_token")
        return verified


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


class IdentificationForm(forms.Form):
    ahv_number = AhvField(label=_("Numéro AVS (756.xxxx.xxxx.xx)"))
    birth_date = SwissDateField(
        label=_("Date de naissance (JJ.MM.AAAA)"), past=True,
        widget=forms.DateInput(format="%d.%m.%Y", attrs={
            "autocomplete": "bday", "inputmode": "numeric", "placeholder": "31.12.1960"}),
    )
    code = forms.CharField(
        label=_("Code d'enregistrement"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "placeholder": "ABCD-EFGH-JKLM"}),
    )
    accept_terms = forms.BooleanField(
        label=_("J'ai lu les conditions d'utilisation et je les accepte."),
        error_messages={"required": _("Veuillez accepter les conditions d'utilisation.")},
    )


class CodeIdentificationForm(forms.Form):
    code = IdentificationForm.base_fields["code"]
    accept_terms = IdentificationForm.base_fields["accept_terms"]


EMAIL_OTHER_THAN_CODE = _(
    "Ce code a été envoyé à une autre adresse e-mail. Utilisez l'adresse à laquelle vous "
    "l'avez reçu."
)


class UserDataForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail (votre nom d'utilisateur)"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # No max_length here: a browser's maxlength would cut a pasted password silently; the
    # policy validator refuses more than 128 characters instead.
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Répéter le mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, person=None, code_email: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.code_email = code_email  # the address the code was sent to, if it was
        self.fields["password1"].help_text = PasswordPolicyValidator().get_help_text()
        self.fields["password1"].widget.attrs["aria-describedby"] = "id_password1_help"

    def clean_email(self) -> str:
        # An address that has an account is not refused here: that told anyone whether it has
        # one. The wizard goes on to step 3 alike and its owner is told (email_code_send).
        email = self.cleaned_data["email"].strip().lower()
        if self.code_email and email != self.code_email.strip().lower():
            raise ValidationError(EMAIL_OTHER_THAN_CODE, code="email_other_than_code")
        return email

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
            return cleaned
        if password1:
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=getattr(self.person, "first_name", ""),
                last_name=getattr(self.person, "last_name", ""),
                insured_person=self.person,
            )
            try:
                validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class HousePasswordMixin:
    """The new-password fields of the password forms: the registration's one rule text (not
    Django's list of validator help texts), and the rule's errors under the new password, the
    field they concern (Django puts them under the confirmation)."""

    def _house_rule(self) -> None:
        new1 = self.fields["new_password1"]
        new1.help_text = PasswordPolicyValidator().get_help_text()
        new1.label = _("Nouveau mot de passe")
        self.fields["new_password2"].label = _("Répéter le nouveau mot de passe")
        self.fields["new_password2"].help_text = ""

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        if not self.has_error("new_password2", "password_mismatch"):
            self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


class SetPasswordForm(HousePasswordMixin, auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._house_rule()


class PasswordChangeForm(HousePasswordMixin, auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._house_rule()
        self.fields["old_password"].label = _("Mot de passe actuel")


class EmailCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code de confirmation (6 chiffres)"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]{6}"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError(_("Le code comporte 6 chiffres."), code="digits")
        return code


class FactorChoiceForm(forms.Form):
    METHOD_CHOICES = [
        ("totp", _("Application d'authentification (recommandé)")),
        ("sms", _("SMS sur mon téléphone portable")),
    ]
    method = forms.ChoiceField(
        label=_("Méthode"), choices=METHOD_CHOICES, widget=forms.RadioSelect, initial="totp"
    )
    mobile = MobileField(
        label=_("Numéro de mobile (seulement pour le SMS)"), required=False, international=True,
        widget=TelInput(attrs={"autocomplete": "tel", "placeholder": "079 123 45 67"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") != "sms":
            # The number only matters for SMS: a stray entry must not block the app choice.
            self.errors.pop("mobile", None)
            cleaned["mobile"] = ""
        elif not cleaned.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", _("Saisissez le numéro de votre téléphone portable."))
        return cleaned


class FactorTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]{6}"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise ValidationError(_("Le code comporte 6 chiffres."), code="digits")
        return token


class AccessRequestForm(forms.Form):
    organisation_name = forms.CharField(label=_("Raison sociale"), max_length=200)
    organisation_number = forms.CharField(max_length=40)
    contact_first_name = forms.CharField(
        label=_("Prénom de la personne de contact"), max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    contact_last_name = forms.CharField(
        label=_("Nom de la personne de contact"), max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    mobile = MobileField(
        label=_("Téléphone portable"), international=True,
        help_text=_("Pour la connexion avec code SMS. Exemple : 079 123 45 67."),
    )
    language = forms.ChoiceField(label=_("Langue de correspondance"), choices=settings.LANGUAGES)

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        number = self.fields["organisation_number"]
        if kind == Membership.Kind.EMPLOYER:
            number.label = _("Numéro IDE (CHE-123.456.789)")
            number.widget.attrs.update({"placeholder": "CHE-123.456.789"})
        else:
            number.label = _("Numéro au registre des intermédiaires d'assurance")
            number.help_text = _("Numéro d'enregistrement FINMA / registre des intermédiaires.")

    def clean_organisation_number(self) -> str:
        value = self.cleaned_data["organisation_number"].strip()
        if self.kind == Membership.Kind.EMPLOYER:
            return normalize_uid(value)
        if not value or not any(ch.isalnum() for ch in value):
            raise ValidationError(_("Numéro au registre invalide."), code="invalid_register")
        return value.upper()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


def code_error(result: CodeCheck) -> str:
    if result is CodeCheck.WRONG:
        return _("Code incorrect. Vérifiez-le et réessayez.")
    return _("Ce code n'est plus valable (5 essais ou 10 minutes dépassés). "
             "Demandez un nouveau code.")


class BackupCodeResetForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code de secours"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                      "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()


class ReenrolForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code reçu par courrier"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class CodeAddForm(forms.Form):
    code = CodeIdentificationForm.base_fields["code"]


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe actuel"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        strip=False,
    )
