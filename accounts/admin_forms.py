"""Forms of support's admin pages (issuing registration codes, inviting a colleague)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import BoundedModelMultipleChoiceField
from accounts.models import User
from policies.validators import normalize_ahv


class IssueInsuredCodeForm(forms.Form):
    """Support (admin): a code for one insured person, found by AHV number."""

    ahv_number = forms.CharField(label=_("Numéro AVS de la personne assurée"), max_length=24)
    days = forms.IntegerField(label=_("Validité du code (jours)"), min_value=1, max_value=365,
                              initial=90)

    def clean_ahv_number(self):
        from policies.models import InsuredPerson

        ahv = normalize_ahv(self.cleaned_data["ahv_number"])
        person = InsuredPerson.objects.filter(ahv_number=ahv).first()
        if person is None:
            raise ValidationError(_("Aucune personne assurée avec ce numéro AVS."))
        self.person = person
        return ahv


class StaffInvitationForm(forms.Form):
    """Superuser (admin): invite a support colleague by e-mail, with the groups he will get."""

    email = forms.EmailField(label=_("E-mail professionnel du ou de la collègue"))
    groups = BoundedModelMultipleChoiceField(
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


class DecisionNoteForm(forms.Form):
    """Support's optional note when approving or rejecting an access request (a NUL character
    is refused with Django's message instead of reaching the database)."""

    decision_note = forms.CharField(required=False)
