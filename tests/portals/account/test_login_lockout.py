"""django-axes through the login wizard: 10 consecutive failures lock the username for an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.conftest import (
    GENERIC,
    LOCKED,
    PASSWORD,
    fail,
    post_password,
    post_token,
    totp_now,
    wrong_totp,
)


@pytest.mark.django_db
def test_the_tenth_wrong_password_locks_and_the_eleventh_try_is_refused_even_if_right(
    client, insured
):
    answers = fail(client, insured.email, 10)
    for response in answers[:9]:
        assert GENERIC in response.content.decode()
        assert LOCKED not in response.content.decode()
    assert LOCKED in answers[9].content.decode()

    eleventh = post_password(client, insured.email, PASSWORD)

    assert eleventh.status_code == 200
    assert LOCKED in eleventh.content.decode()
    assert "token-otp_token" not in eleventh.content.decode()
    assert SecurityEvent.objects.filter(user=insured, kind=SecurityEvent.Kind.LOCKOUT).count() == 1


@pytest.mark.django_db
def test_an_unknown_username_locks_the_same_way_so_the_lock_reveals_nothing(client):
    answers = fail(client, "nobody@example.ch", 11)
    assert [LOCKED in r.content.decode() for r in answers] == [False] * 9 + [True, True]
    assert {r.status_code for r in answers} == {200}


@pytest.mark.django_db
def test_email_and_ahv_number_share_one_counter_and_no_ahv_is_stored(client, insured):
    ahv = insured.insured_person.ahv_number
    fail(client, insured.email, 5)
    fail(client, ahv, 3)
    fail(client, ahv.replace(".", ""), 2)
    assert LOCKED in post_password(client, insured.email).content.decode()
    usernames = list(AccessAttempt.objects.values_list("username", flat=True))
    assert usernames == [insured.email]


@pytest.mark.django_db
def test_unknown_ahv_numbers_are_counted_under_a_hash(client):
    fail(client, "756.9999.9999.91", 1)
    (username,) = AccessAttempt.objects.values_list("username", flat=True)
    assert "9999" not in username and username.startswith("ahv:")


@pytest.mark.django_db
def test_the_lock_ends_after_one_hour(client, insured):
    fail(client, insured.email, 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=61))
    response = post_password(client, insured.email)
    assert "token-otp_token" in response.content.decode()


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(client, insured):
    fail(client, insured.email, 9)
    post_password(client, insured.email)
    assert post_token(client, totp_now(insured)).status_code == 302
    other = Client()
    answers = fail(other, insured.email, 9)
    assert all(LOCKED not in r.content.decode() for r in answers)


@pytest.mark.django_db
def test_wrong_second_factor_codes_count_towards_the_lock(client, insured):
    for _ in range(2):
        post_password(client, insured.email)
        for _ in range(5):
            post_token(client, wrong_totp(insured))
    response = post_password(client, insured.email)
    assert LOCKED in response.content.decode()
