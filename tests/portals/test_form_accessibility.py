from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    amount = forms.DecimalField(label="Montant", help_text="En francs")
    choice = forms.ChoiceField(label="Méthode", choices=[("a", "App"), ("s", "SMS")],
                               widget=forms.RadioSelect)


@pytest.mark.django_db
def test_help_text_is_announced_and_radio_groups_have_a_legend():
    html = render_to_string("_form_fields.html", {"form": _Form()})
    assert 'aria-describedby="id_amount_helptext"' in html
    assert 'id="id_amount_helptext"' in html
    assert "<legend>Méthode" in html
