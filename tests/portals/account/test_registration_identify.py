"""Step 1 and the registration codes: one answer for every failure, and the one-hour lock."""

from __future__ import annotations

from datetime import date, timedelta
from unittest.mock import patch

import pytest
from django.utils import timezone

from accounts import registration as reg
from accounts.models import Membership, RegistrationCode, SecurityEvent, hash_code
from tests import factories as f
from tests.conftest import identify

pytestmark = pytest.mark.django_db

GENERIC = "Nous n&#x27;avons pas pu vous identifier avec ces données"
LOCKED = "l&#x27;enregistrement est bloqué pendant une heure"


def _post(client, *, ahv, birth, code, ip="127.0.0.1", accept=True):
    data = {"ahv_number": ahv, "birth_date": birth, "code": code}
    if accept:
        data["accept_terms"] = "on"
    return client.post("/register/", data, REMOTE_ADDR=ip)


def test_a_right_identification_leads_to_step_two(client, person, issued):
    response = identify(client, person, issued.plain)
    assert response.status_code == 302 and response["Location"] == "/register/user/"
    state = client.session["registration"]
    assert state["person_id"] == person.pk and state["code_id"] == issued.code.pk
    assert state["terms_version"] == 1


@pytest.mark.parametrize("ahv_spelling", ["dots", "plain", "spaces"])
def test_it_accepts_the_ahv_number_with_or_without_dots(client, person, issued, ahv_spelling):
    ahv = {"dots": person.ahv_number, "plain": person.ahv_number.replace(".", ""),
           "spaces": person.ahv_number.replace(".", " ")}[ahv_spelling]
    response = _post(client, ahv=ahv, birth="12.04.1961", code=issued.plain.lower())
    assert response["Location"] == "/register/user/"


def test_it_accepts_the_code_without_dashes(client, person, issued):
    response = _post(client, ahv=person.ahv_number, birth="12.04.1961",
                     code=issued.plain.replace("-", ""))
    assert response["Location"] == "/register/user/"


def test_it_requires_the_terms(client, person, issued):
    response = _post(client, ahv=person.ahv_number, birth="12.04.1961", code=issued.plain,
                     accept=False)
    assert response.status_code == 200
    assert "Veuillez accepter les conditions" in response.content.decode()


def test_it_explains_a_badly_typed_ahv_number(client, issued):
    response = _post(client, ahv="756.1234", birth="12.04.1961", code=issued.plain)
    assert "Numéro AVS invalide" in response.content.decode()
    assert not SecurityEvent.objects.exists()


def _failure_cases(person, issued):
    other = f.InsuredPersonFactory()
    other_code = reg.registration_code_issue(kind="insured", role="insured",
                                             insured_person=other, created_by=None)
    expired = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                          created_by=None)
    RegistrationCode.objects.filter(pk=expired.code.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    used = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                       created_by=None)
    RegistrationCode.objects.filter(pk=used.code.pk).update(redeemed_at=timezone.now())
    revoked = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                          created_by=None)
    reg.registration_code_revoke(code=revoked.code)
    return {
        "unknown person": (f.next_ahv(), "12.04.1961", issued.plain),
        "wrong birth date": (person.ahv_number, "13.04.1961", issued.plain),
        "wrong code": (person.ahv_number, "12.04.1961", "AAAA-BBBB-CCCC"),
        "someone else's code": (person.ahv_number, "12.04.1961", other_code.plain),
        "expired code": (person.ahv_number, "12.04.1961", expired.plain),
        "used code": (person.ahv_number, "12.04.1961", used.plain),
        "revoked code": (person.ahv_number, "12.04.1961", revoked.plain),
    }


def test_every_failure_gets_the_same_answer(client, person, issued, monkeypatch):
    from accounts import registration as reg

    monkeypatch.setattr(reg, "CODE_FAILURE_LIMIT", 100)  # stay below the lock: answers only
    pages = set()
    for n, (ahv, birth, code) in enumerate(_failure_cases(person, issued).values()):
        response = _post(client, ahv=ahv, birth=birth, code=code, ip=f"10.0.0.{n + 1}")
        assert response.status_code == 200
        page = response.content.decode()
        assert GENERIC in page
        pages.add(page.split('class="error-summary"')[1].split("</div>")[0])
    assert len(pages) == 1
    assert "registration" not in client.session


def test_failures_are_recorded_without_the_ahv_number_or_the_code(client, person, issued):
    _post(client, ahv=person.ahv_number, birth="12.04.1961", code="AAAA-BBBB-CCCC")
    event = SecurityEvent.objects.get(kind="code_failure")
    assert event.detail["person_id"] == person.pk
    assert event.ip_address == "127.0.0.1"
    text = str(event.detail)
    assert person.ahv_number not in text and person.ahv_number.replace(".", "") not in text
    assert "AAAA" not in text


def test_five_wrong_tries_lock_the_person_even_from_other_addresses(client, person, issued):
    for n in range(4):
        response = _post(client, ahv=person.ahv_number, birth="12.04.1961",
                         code="AAAA-BBBB-CCCC", ip=f"10.0.1.{n}")
        assert GENERIC in response.content.decode()
    fifth = _post(client, ahv=person.ahv_number, birth="12.04.1961", code="AAAA-BBBB-CCCC",
                  ip="10.0.1.99")
    assert LOCKED in fifth.content.decode()
    # Even the right code, from a fresh address, is refused for the hour.
    right = _post(client, ahv=person.ahv_number, birth="12.04.1961", code=issued.plain,
                  ip="10.0.2.1")
    assert right.status_code == 200 and LOCKED in right.content.decode()
    assert "registration" not in client.session


def test_five_wrong_tries_lock_the_client_address_for_everyone(client, person, issued):
    for n in range(5):
        stranger = f.InsuredPersonFactory()
        _post(client, ahv=stranger.ahv_number, birth="01.01.1970", code=f"AAAA-BBBB-CCC{n}",
              ip="10.0.3.3")
    response = _post(client, ahv=person.ahv_number, birth="12.04.1961", code=issued.plain,
                     ip="10.0.3.3")
    assert LOCKED in response.content.decode()
    # Another address is not affected.
    other = _post(client, ahv=person.ahv_number, birth="12.04.1961", code=issued.plain,
                  ip="10.0.3.4")
    assert other["Location"] == "/register/user/"


def test_an_unknown_ahv_number_locks_like_a_known_one(client):
    for n in range(5):
        response = _post(client, ahv=f.next_ahv(), birth="01.01.1970", code="X",
                         ip=f"10.0.4.{n}")
    assert LOCKED in response.content.decode()


def test_the_lock_ends_after_an_hour(client, person, issued):
    for n in range(5):
        _post(client, ahv=person.ahv_number, birth="12.04.1961", code="AAAA-BBBB-CCCC",
              ip=f"10.0.5.{n}")
    later = timezone.now() + timedelta(hours=1, seconds=1)  # audit rows are never rewritten
    with patch("django.utils.timezone.now", return_value=later):
        response = _post(client, ahv=person.ahv_number, birth="12.04.1961", code=issued.plain)
    assert response["Location"] == "/register/user/"


def test_a_person_with_an_account_is_told_to_log_in(client, person, issued):
    f.UserFactory(insured_person=person)
    response = identify(client, person, issued.plain)
    assert "Un compte existe déjà" in response.content.decode()


def test_codes_are_random_hashed_and_expire_after_90_days(person):
    first = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                        created_by=None)
    second = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                         created_by=None)
    assert first.plain != second.plain
    row = RegistrationCode.objects.get(pk=first.code.pk)
    assert row.code_hash == hash_code(first.plain) and first.plain not in row.code_hash
    assert row.hint == first.plain[-4:]
    assert timedelta(days=89) < row.expires_at - timezone.now() <= timedelta(days=90)


def test_a_code_redeems_only_once(person, issued):
    user = f.UserFactory()
    reg.registration_code_redeem(code_id=issued.code.pk, user=user)
    with pytest.raises(reg.CodeUnavailable):
        reg.registration_code_redeem(code_id=issued.code.pk, user=f.UserFactory())
    assert RegistrationCode.objects.get().redeemed_by == user


def test_revoking_an_unused_code(person, issued):
    assert reg.registration_code_revoke(code=issued.code) is True
    assert reg.registration_code_revoke(code=issued.code) is False


def test_the_wizard_state_expires_after_an_hour(client, person, issued):
    identify(client, person, issued.plain)
    session = client.session
    session["registration"]["started"] -= 3601
    session.save()
    assert client.get("/register/user/")["Location"] == "/register/"


def test_the_membership_kind_matches_an_insured_code(issued):
    assert issued.code.kind == Membership.Kind.INSURED
    assert issued.code.insured_person.birth_date == date(1961, 4, 12)
