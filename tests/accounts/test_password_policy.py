"""The password rule, as a table: what passes and what is refused, with Django's validators too."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.password_validation import PasswordPolicyValidator
from policies.models import InsuredPerson

pytestmark = pytest.mark.django_db

AHV = "756.1234.5678.97"


def _user():
    person = InsuredPerson(ahv_number=AHV, first_name="Marie", last_name="Dupont")
    return User(email="marie.dupont@example.ch", first_name="Marie", last_name="Dupont",
                insured_person=person)


def _codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("Velo-Rouge-24", True),          # 4 groups
        ("velo-rouge-24", True),          # lower, special, digits: 3 of 4
        ("VeloRouge2024", True),          # upper, lower, digits
        ("Velo-Rouge-Velo", True),        # 15 characters: a passphrase needs no groups ...
        ("cheval agrafe pile", True),     # ... even all lower case with spaces
        ("velorougevelo", False),         # 13 lower-case letters: 1 group
        ("veloROUGEvelo", False),         # 2 groups
        ("Ve1-", False),                  # too short
        ("Password123", False),           # a common password
        ("12345678901234567", False),     # only digits
        ("A" * 64 + "b1-" * 21, True),    # 127 characters
        ("Ab1-" * 32, True),              # exactly 128
        ("Ab1-" * 32 + "x", False),       # 129: refused, never cut
    ],
)
def test_the_password_table(password, accepted):
    assert (not _codes(password)) is accepted, _codes(password)


@pytest.mark.parametrize(
    "password",
    ["Marie-Dupont-1", "dupont.MARIE.9", "Marie.Dupont@ex1", "Xy-12345678-97", "Zz!4567897x"],
)
def test_it_refuses_passwords_close_to_the_email_name_or_ahv(password):
    assert "password_too_personal" in _codes(password, _user())


def test_an_unrelated_password_passes_for_that_user():
    assert _codes("Velo-Rouge-2024!", _user()) == set()


def test_too_long_is_said_plainly():
    with pytest.raises(ValidationError) as error:
        PasswordPolicyValidator().validate("Ab1-" * 40)
    assert "au plus 128 caractères" in str(error.value)


def test_the_rule_is_written_for_people():
    text = PasswordPolicyValidator().get_help_text()
    assert "Au moins 8 caractères" in text and "15" in text and "128" in text


def test_it_is_the_one_validator_and_runs_djangos_checks_too(settings):
    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["accounts.password_validation.PasswordPolicyValidator"]
    assert "password_too_common" in _codes("password1", None)
    assert "password_too_short" in _codes("Ab1-", None)
