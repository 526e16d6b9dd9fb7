from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from policies.selectors import policy_number_normalize

TABS = ("details", "values")


class PolicyInquiryForm(forms.Form):
    """A policy number as people type it: P-700001, p 700 001, 700001."""

    number = forms.CharField(
        label=_("Numéro de police"), max_length=40, strip=True,
        help_text=_("Par exemple P-700001, avec ou sans tiret ni espaces."),
        error_messages={
            "required": _("Saisissez le numéro de police."),
            "max_length": _("Un numéro de police compte au plus 40 caractères."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )
    tab = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_number(self) -> str:
        number = policy_number_normalize(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(
                _("Ce n'est pas un numéro de police : il commence par une lettre (P) suivie de "
                  "chiffres, par exemple P-700001.")
            )
        return number

    def clean_tab(self) -> str:
        tab = self.cleaned_data.get("tab")
        return tab if tab in TABS else "details"  # an unknown tab is no error: the first one
