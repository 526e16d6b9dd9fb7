"""E-mail codes obey the limits of SMS codes: 3 per 5 minutes per address, 10 per 24 hours per
account, checked under the same advisory locks, wherever an e-mail code is sent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from accounts.models import OutboxMessage, User
from accounts.services import EmailLimitExceeded, email_code_send, email_limit_check
from tests.conftest import identify, login_verified, reauthed, user_data

ADDRESS = "new@example.ch"


def _sent(user, address, count, minutes_ago, *, code=True):
    for _ in range(count):
        message = OutboxMessage.objects.create(
            channel="email", recipient=address, body="x", user=user,
            expires_at=timezone.now() + timedelta(minutes=10) if code else None,
        )
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago))


@pytest.mark.django_db
def test_eight_quick_email_change_requests_send_three_emails(insured):
    # The attack of the issue: eight POSTs to /profile/email/ in half a second.
    me = reauthed(login_verified(Client(), insured))
    answers = [me.post("/profile/email/", {"email": ADDRESS}) for _ in range(8)]
    assert [r.status_code for r in answers] == [302] * 3 + [200] * 5
    assert "Trois codes ont déjà été envoyés à cette adresse e-mail" in (
        answers[3].content.decode().replace("&#x27;", "'"))
    assert OutboxMessage.objects.filter(channel="email", recipient=ADDRESS).count() == 3


@pytest.mark.django_db
def test_the_eleventh_email_code_of_the_day_for_one_account_is_refused(insured):
    _sent(insured, "elsewhere@example.ch", 10, 60)
    me = reauthed(login_verified(Client(), insured))
    response = me.post("/profile/email/", {"email": ADDRESS})
    assert response.status_code == 200
    assert "10 codes par e-mail en 24 heures" in response.content.decode()
    assert not OutboxMessage.objects.filter(recipient=ADDRESS).exists()


@pytest.mark.django_db
def test_the_limits_count_codes_not_notices(insured):
    _sent(insured, ADDRESS, 5, 1, code=False)  # "your password was changed" and the like
    email_limit_check(address=ADDRESS, user=insured)
    _sent(insured, ADDRESS.upper(), 3, 1)
    with pytest.raises(EmailLimitExceeded, match="Trois codes"):
        email_limit_check(address=ADDRESS, user=insured)
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    email_limit_check(address=ADDRESS, user=insured)


@pytest.mark.django_db
def test_a_taken_address_counts_for_the_asker_like_a_free_one(insured, other_insured):
    me = reauthed(login_verified(Client(), insured))
    _sent(insured, "elsewhere@example.ch", 9, 60)
    assert me.post("/profile/email/", {"email": other_insured.email}).status_code == 302
    refused = me.post("/profile/email/", {"email": ADDRESS})
    assert "10 codes par e-mail en 24 heures" in refused.content.decode()


@pytest.mark.django_db
def test_registration_codes_go_through_the_same_limit(client, person, issued):
    _sent(None, ADDRESS, 3, 2)  # three codes to this address from other wizards just now
    identify(client, person, issued.plain)
    response = user_data(client, email=ADDRESS)
    assert response.status_code == 200
    assert "Trois codes ont déjà été envoyés à cette adresse e-mail" in (
        response.content.decode().replace("&#x27;", "'"))
    assert OutboxMessage.objects.filter(recipient=ADDRESS).count() == 3


@pytest.mark.django_db
def test_a_taken_address_at_its_limit_gets_the_same_refusal(client, person, issued):
    User.objects.create_user(ADDRESS, "x")
    _sent(None, ADDRESS, 3, 2)
    identify(client, person, issued.plain)
    response = user_data(client, email=ADDRESS)
    assert response.status_code == 200
    assert "Trois codes ont déjà été envoyés à cette adresse e-mail" in (
        response.content.decode().replace("&#x27;", "'"))
    assert OutboxMessage.objects.filter(recipient=ADDRESS).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_pass_the_email_limit():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are only meaningful on PostgreSQL")
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def send() -> None:
        try:
            barrier.wait()
            email_code_send(to=ADDRESS, user=None, template="emails/security_email_code.txt",
                            subject="code", context={"code": "123456"},
                            expires_at=timezone.now() + timedelta(minutes=10))
            outcomes.append("sent")
        except EmailLimitExceeded:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused"] * 7 + ["sent"] * 3
    assert OutboxMessage.objects.filter(recipient=ADDRESS).count() == 3
