"""Forms of the registration wizard and the public access requests: they validate, services act."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from policies.validators import normalize_uid
from portals.common.fields import AhvField, MobileField, SwissDateField, TelInput

from .models import Membership, User
from .password_validation import PasswordPolicyValidator


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


class IssueInsuredCodeForm(forms.Form):
    """Support (admin): a code for one insured person, found by AHV number."""

    ahv_number = AhvField(label=_("Numéro AVS de la personne assurée"))
    days = forms.IntegerField(label=_("Validité du code (jours)"), min_value=1, max_value=365,
                              initial=90)

    def clean_ahv_number(self):
        from policies.models import InsuredPerson

        ahv = self.cleaned_data["ahv_number"]
        person = InsuredPerson.objects.filter(ahv_number=ahv).first()
        if person is None:
            raise ValidationError(_("Aucune personne assurée avec ce numéro AVS."))
        self.person = person
        return ahv


class StaffInvitationForm(forms.Form):
    """Superuser (admin): invite a support colleague by e-mail, with the groups he will get."""

    email = forms.EmailField(label=_("E-mail professionnel du ou de la collègue"))
    groups = forms.ModelMultipleChoiceField(
        label=_("Groupes"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Les droits reçus à l'inscription (jamais ceux de superutilisateur)."),
    )
    days = forms.IntegerField(label=_("Validité de l'invitation (jours)"), min_value=1,
                              max_value=30, initial=14)

    def __init__(self, *args, **kwargs) -> None:
        from django.contrib.auth.models import Group

        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = Group.objects.order_by("name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email, is_staff=True).exists():
            raise ValidationError(_("Ce compte fait déjà partie de l'équipe support."))
        return email
