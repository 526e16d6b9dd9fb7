"""Whether an e-mail address has an account: registration step 2 and /profile/email/ answer a
taken address exactly like a free one; its owner gets a notice instead of a code, and no code
can ever confirm it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import OutboxMessage, User, VerificationCode
from tests.conftest import identify, login_verified, user_data

TAKEN = "taken@example.ch"
FREE = "free@example.ch"
NOTICE = "Quelqu'un a essayé d'ouvrir un nouveau compte"


def page_text(response, address: str) -> str:
    """The page without what differs by design: the address typed, hidden tokens."""
    body = response.content.decode().replace(address, "ADDRESS")
    return re.sub(r'value="[^"]*"', "", body)


def has_code(message: OutboxMessage) -> bool:
    return re.search(r"\b\d{6}\b", message.body) is not None


@pytest.fixture
def owner(db):
    return User.objects.create_user(TAKEN, "x", language="de")


@pytest.mark.django_db
def test_registration_answers_a_taken_address_exactly_like_a_free_one(person, issued, owner):
    taken, free = Client(), Client()
    for client in (taken, free):
        identify(client, person, issued.plain)
    a, b = user_data(taken, email=TAKEN.upper()), user_data(free, email=FREE)
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"]) == (
        302, "/register/email/")
    assert page_text(taken.get(a["Location"]), TAKEN) == page_text(free.get(b["Location"]), FREE)

    code_mail = OutboxMessage.objects.get(recipient=FREE)
    notice = OutboxMessage.objects.get(recipient=TAKEN)
    assert has_code(code_mail) and not has_code(notice)
    # The owner reads it in the account's language (German here), with the way back in.
    assert "Mot de passe oublié" not in notice.body and "/account/login/" in notice.body
    assert notice.subject and notice.subject != code_mail.subject


@pytest.mark.django_db
def test_no_code_typed_for_a_taken_address_ever_creates_an_account(client, person, issued,
                                                                   owner):
    free = Client()
    for wizard, address in ((client, TAKEN), (free, FREE)):
        identify(wizard, person, issued.plain)
        user_data(wizard, email=address)
    answers = [client.post("/register/email/", {"code": f"{n:06d}"}) for n in range(5)]
    same = [free.post("/register/email/", {"code": "000000"}) for _ in range(5)]
    assert [r.status_code for r in answers] == [r.status_code for r in same] == [200] * 5
    assert "Il vous reste 4 essais" in answers[0].content.decode()
    assert "n&#x27;est plus valable" in answers[-1].content.decode()
    assert VerificationCode.objects.get(target=TAKEN).code_hash == ""  # nothing can match
    assert client.get("/register/factor/").status_code == 302
    assert list(User.objects.values_list("email", flat=True)) == [TAKEN]


@pytest.mark.django_db
def test_probing_addresses_at_step_two_stops_after_five_and_looks_the_same(person, issued):
    # The attack of the issue: one identified wizard, one address after the other (39 probes),
    # every other one belonging to an account.
    for n in range(1, 39, 2):
        User.objects.create_user(f"probe{n}@example.ch", "x")
    client = Client()
    identify(client, person, issued.plain)
    answers = []
    for n in range(39):
        response = user_data(client, email=f"probe{n}@example.ch")
        answers.append((response.status_code, response.get("Location"),
                        "trop de codes" in response.content.decode()))
    assert set(answers[:5]) == {(302, "/register/email/", False)}
    # From the sixth on every address gets the same refusal, taken or not.
    assert set(answers[5:]) == {(200, None, True)}
    assert OutboxMessage.objects.count() == 5
    notices = OutboxMessage.objects.filter(recipient__in=["probe1@example.ch",
                                                          "probe3@example.ch"])
    assert notices.count() == 2 and not any(has_code(m) for m in notices)


@pytest.mark.django_db
def test_the_owner_is_not_flooded_with_notices(person, issued, owner):
    from datetime import timedelta

    from django.db.models import F

    for _ in range(30):  # one new wizard every 2 minutes, all on the owner's address
        client = Client()
        identify(client, person, issued.plain)
        user_data(client, email=TAKEN)
        for model in (VerificationCode, OutboxMessage):
            model.objects.update(created_at=F("created_at") - timedelta(minutes=2))
    notices = OutboxMessage.objects.filter(recipient=TAKEN).count()
    assert 0 < notices <= 10


@pytest.mark.django_db
def test_the_email_change_answers_a_taken_address_like_a_free_one(insured, other_insured):
    from tests.conftest import reauthed

    me = reauthed(login_verified(Client(), insured))
    taken = me.post("/profile/email/", {"email": other_insured.email.upper()})
    taken_page = page_text(me.get("/profile/email/confirm/"), other_insured.email)
    free = me.post("/profile/email/", {"email": "claire.new@example.ch"})
    free_page = page_text(me.get("/profile/email/confirm/"), "claire.new@example.ch")
    assert (taken.status_code, taken.url) == (free.status_code, free.url) == (
        302, "/profile/email/confirm/")
    assert taken_page == free_page

    notice = OutboxMessage.objects.get(recipient=other_insured.email)
    assert not has_code(notice) and "pour un autre compte" in notice.body
    assert has_code(OutboxMessage.objects.get(recipient="claire.new@example.ch"))
    assert User.objects.get(pk=other_insured.pk).email == other_insured.email
