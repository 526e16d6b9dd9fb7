"""The forms of the project read Swiss values through the toolkit's fields: what a person types
in one form is read the same way in every other."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_registration_reads_a_two_digit_birth_year_in_the_past(client, person, issued):
    # Born 12.04.1961: "61" must not become 2061.
    response = client.post("/register/", {
        "ahv_number": person.ahv_number, "birth_date": "12.4.61", "code": issued.plain,
        "accept_terms": "on"})
    assert response.status_code == 302 and response["Location"] == "/register/user/"


def test_registration_explains_a_birth_date_that_does_not_exist(client, person, issued):
    response = client.post("/register/", {
        "ahv_number": person.ahv_number, "birth_date": "31.02.1961", "code": issued.plain,
        "accept_terms": "on"})
    assert response.status_code == 200
    assert "Cette date n&#x27;existe pas" in response.content.decode()


def test_registration_explains_a_wrong_ahv_check_digit(client, person, issued):
    wrong = person.ahv_number[:-1] + str((int(person.ahv_number[-1]) + 1) % 10)
    response = client.post("/register/", {
        "ahv_number": wrong, "birth_date": "12.04.1961", "code": issued.plain,
        "accept_terms": "on"})
    assert response.status_code == 200
    assert "le dernier chiffre ne correspond pas" in response.content.decode()
