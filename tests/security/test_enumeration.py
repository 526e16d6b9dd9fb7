"""Enumeration: whether an account, a person, an organisation or a policy exists cannot be
learnt from the answers. For each public door (login, registration step 1, forgotten password,
access requests) and the broker's policy lookup, an existing and a missing subject get the same
status, the same redirect and the same page, byte for byte once the CSRF token, the CSP nonce
and the subject typed (echoed back in its field) are replaced by placeholders."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from accounts.models import Membership
from policies.models import Mandate
from tests import factories as f
from tests.conftest import PASSWORD, login_verified, post_password

pytestmark = pytest.mark.django_db

TOKENS = [
    (re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"'), b'name="csrfmiddlewaretoken"'),
    (re.compile(rb'nonce="[^"]+"'), b'nonce=""'),
]


def normalised(response, *subjects: str) -> tuple[int, str, bytes]:
    """(status, redirect, body) with tokens and what the user typed blanked."""
    body, location = response.content, response.get("Location", "")
    for pattern, placeholder in TOKENS:
        body = pattern.sub(placeholder, body)
    for subject in subjects:
        location = location.replace(subject, "SUBJECT")
        for form in {subject, subject.replace("'", "&#x27;")}:
            body = body.replace(form.encode(), b"SUBJECT")
    return response.status_code, location, body


def same_answers(existing: list, missing: list) -> None:
    assert len(existing) == len(missing)
    for known, unknown in zip(existing, missing, strict=True):
        assert known[:2] == unknown[:2]
        assert known[2] == unknown[2]


# --- login ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("login", ["email", "ahv"])
def test_login_answers_an_existing_and_a_missing_account_alike(insured, login):
    existing = insured.email if login == "email" else insured.insured_person.ahv_number
    missing = "nobody@example.ch" if login == "email" else f.next_ahv()
    known, unknown = Client(), Client()
    answers = [[normalised(post_password(client, subject, "Wrong-Password-1"), subject)
                for _ in range(3)]
               for client, subject in ((known, existing), (unknown, missing))]
    same_answers(*answers)
    assert answers[0][0][0] == 200


def test_login_answers_an_inactive_account_like_a_missing_one(insured):
    insured.is_active = False
    insured.save()
    known = normalised(post_password(Client(), insured.email, PASSWORD), insured.email)
    unknown = normalised(post_password(Client(), "nobody@example.ch", PASSWORD),
                         "nobody@example.ch")
    same_answers([known], [unknown])


def test_the_login_lock_answers_an_existing_and_a_missing_account_alike(insured):
    answers = []
    for subject in (insured.email, "nobody@example.ch"):
        client = Client()
        answers.append([normalised(post_password(client, subject, "Wrong-Password-1"), subject)
                        for _ in range(11)])  # the 10th failure locks, the 11th is refused
    same_answers(*answers)
    assert b"bloqu" in answers[0][-1][2]


# --- registration, step 1 (AHV number, birth date, code) -----------------------------------------

def _identify(client, ahv: str, birth: date, code: str):
    return client.post("/register/", {"ahv_number": ahv, "birth_date": f"{birth:%d.%m.%Y}",
                                      "code": code, "accept_terms": "on"})


def test_registration_answers_an_existing_and_a_missing_person_alike(person, issued):
    missing = f.next_ahv()
    answers = []
    for ahv, address in ((person.ahv_number, "10.0.0.1"), (missing, "10.0.0.2")):
        client = Client(REMOTE_ADDR=address)  # the lock counts per address too
        answers.append([normalised(_identify(client, ahv, person.birth_date, "AAAA-BBBB-CCCC"),
                                   ahv) for _ in range(6)])  # the 5th locks, the 6th is refused
    same_answers(*answers)
    assert answers[0][0][0] == 200


def test_registration_answers_a_wrong_birth_date_like_a_missing_person(person, issued):
    wrong_birth = normalised(_identify(Client(), person.ahv_number, date(1990, 1, 1),
                                       issued.plain), person.ahv_number, issued.plain)
    missing = f.next_ahv()
    unknown = normalised(_identify(Client(), missing, date(1990, 1, 1), issued.plain),
                         missing, issued.plain)
    same_answers([wrong_birth], [unknown])


def test_the_code_page_answers_a_used_and_a_missing_code_alike(terms, employer):
    from accounts import registration as reg

    used = reg.registration_code_issue(kind="employer", role="admin", employer=employer,
                                       created_by=None)
    reg.registration_code_revoke(code=used.code)
    answers = []
    for code in (used.plain, "ZZZZ-ZZZZ-ZZZZ"):
        answers.append([normalised(Client().post("/register/code/", {
            "code": code, "accept_terms": "on"}), code)])
    same_answers(*answers)


# --- forgotten password ----------------------------------------------------------------------------

def test_password_reset_answers_an_existing_and_a_missing_account_alike(insured):
    answers = []
    for subject in (insured.email, "nobody@example.ch"):
        client = Client()
        start = client.post("/password/forgot/", {"login": subject})
        steps = [normalised(start, subject), normalised(client.get(start["Location"]), subject)]
        steps += [normalised(client.post("/password/forgot/code/", {"code": f"{n:06d}"}))
                  for n in range(6)]  # a wrong code, 5 times, then the code is spent
        steps.append(normalised(client.get("/password/forgot/factor/")))
        answers.append(steps)
    same_answers(*answers)
    assert answers[0][0][:2] == (302, "/password/forgot/code/")


def test_password_reset_answers_an_ahv_number_with_and_without_account(insured):
    ahv = insured.insured_person.ahv_number
    missing = f.next_ahv()
    answers = []
    for subject in (ahv, missing):
        client = Client()
        start = client.post("/password/forgot/", {"login": subject})
        answers.append([normalised(start, subject),
                        normalised(client.get(start["Location"]), subject)])
    same_answers(*answers)


# --- access requests -------------------------------------------------------------------------------

def _access_request(client, kind: str, number: str, email: str):
    return client.post(f"/access-request/{kind}/", {
        "organisation_name": "Menuiserie Rochat SA", "organisation_number": number,
        "contact_first_name": "Sophie", "contact_last_name": "Rochat", "email": email,
        "mobile": "079 555 12 34", "language": "fr",
    })


@pytest.mark.parametrize("kind", ["employer", "broker"])
def test_an_access_request_answers_a_known_and_an_unknown_organisation_alike(hr_admin, employer,
                                                                            broker, agency,
                                                                            kind):
    known = employer.uid if kind == "employer" else agency.register_number
    unknown = f.next_uid() if kind == "employer" else "F99999999"
    answers = []
    # A known organisation, with an address that has an account, against a new organisation
    # and a new address.
    for number, email in ((known, hr_admin.email if kind == "employer" else broker.email),
                          (unknown, "someone@example.ch")):
        client = Client()
        sent = _access_request(client, kind, number, email)
        answers.append([normalised(sent), normalised(client.get(sent["Location"]))])
    same_answers(*answers)
    assert answers[0][0][:2] == (302, "/access-request/sent/")


# --- the broker's policy lookup --------------------------------------------------------------------

def test_the_policy_lookup_answers_a_foreign_and_a_missing_policy_alike(broker, agency):
    other = f.AgencyFactory(name="Autre Courtage SA")
    foreign = f.PolicyFactory(number="P-820001")
    Mandate.objects.create(agency=other, policy=foreign, start_date=date(2020, 1, 1))
    own = f.PolicyFactory(number="P-810001")
    Mandate.objects.create(agency=agency, policy=own, broker=broker, start_date=date(2020, 1, 1))
    client = login_verified(Client(), broker)
    client.get("/broker/")  # the session's first-request work out of the way
    answers = []
    for number in ("P-820001", "P-899999"):
        steps = []
        for tab in ("details", "values"):
            inquiry = client.get("/broker/inquiry/", {"number": number, "tab": tab})
            steps += [normalised(inquiry, number),
                      normalised(client.get(inquiry["Location"]), number)]
        answers.append(steps)
    same_answers(*answers)
    assert answers[0][1][0] == 404
    found = client.get("/broker/inquiry/", {"number": "P-810001"})
    assert client.get(found["Location"]).status_code == 200


__all__ = ["Membership"]
