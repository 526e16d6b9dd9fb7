"""One password rule text everywhere (the registration's house rule), never Django's list of
validator help texts beside it, and the rule's errors under the new password field."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import forms as auth_forms

from accounts.password_validation import PasswordPolicyValidator
from tests.conftest import PASSWORD, identify, login_verified, reauthed

pytestmark = pytest.mark.django_db

RULE = PasswordPolicyValidator().get_help_text()
DJANGO_SIMILARITY = "ressembler à vos autres informations personnelles"


def _helps(body: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h))
            for h in re.findall(r'<(?:p|div) class="help"[^>]*>(.*?)</(?:p|div)>', body, re.S)]


def test_the_password_change_page_shows_the_rule_once(client, insured):
    login_verified(client, insured)
    body = client.get("/profile/password/").content.decode()
    assert _helps(body) == [RULE]
    assert DJANGO_SIMILARITY not in html.unescape(body)


def test_registration_shows_the_same_rule(client, person, issued):
    identify(client, person, issued.plain)
    body = client.get("/register/user/").content.decode()
    assert RULE in _helps(body)


def test_every_django_password_form_has_the_one_rule_too(insured):
    # The forgotten-password and admin forms build their help from the validators list.
    help_text = str(auth_forms.SetPasswordForm(insured).fields["new_password1"].help_text)
    assert html.unescape(help_text).count("caractères") == RULE.count("caractères")
    assert DJANGO_SIMILARITY not in help_text


def test_a_weak_new_password_is_explained_under_the_new_password(client, insured):
    login_verified(client, insured)
    reauthed(client)
    response = client.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"})
    form = response.context["form"]
    assert form.errors.keys() == {"new_password1"}
    assert 'id="id_new_password1_error"' in response.content.decode()


def test_two_different_new_passwords_are_explained_under_the_confirmation(client, insured):
    login_verified(client, insured)
    reauthed(client)
    response = client.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "Velo-Rouge-2024!",
        "new_password2": "Velo-Rouge-2025!"})
    assert response.context["form"].errors.keys() == {"new_password2"}
