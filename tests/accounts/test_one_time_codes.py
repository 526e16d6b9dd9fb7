"""One mechanism for every one-time code: registration codes obey the limits of profile codes,
a new code ends the earlier one, and a code with no account behind it (registration) counts its
number or address as the account: 10 a day, so restarting the wizard makes no SMS or e-mail
cannon."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from accounts import registration as reg
from accounts.models import OutboxMessage, User, VerificationCode
from accounts.services import sms_limit_check
from tests.conftest import identify, login_verified, reauthed, user_data, walk_to_factor

ADDRESS = "shared@example.ch"
NUMBER = "+41791234567"

pytestmark = pytest.mark.django_db


def _code_in(message: OutboxMessage) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def _time_passes(**delta) -> None:
    for model in (VerificationCode, OutboxMessage):
        model.objects.update(created_at=F("created_at") - timedelta(**delta))


def _hours_pass(hours: int) -> None:
    _time_passes(hours=hours)


def test_a_registration_email_code_counts_against_the_address_limit_of_profile_codes(
    insured, person, issued
):
    me = reauthed(login_verified(Client(), insured))
    for _ in range(2):
        assert me.post("/profile/email/", {"email": ADDRESS}).status_code == 302
    first = Client()
    identify(first, person, issued.plain)
    assert user_data(first, email=ADDRESS).status_code == 302  # the third code in 5 minutes
    _time_passes(minutes=2)
    second = Client()
    identify(second, person, issued.plain)
    refused = user_data(second, email=ADDRESS)
    assert refused.status_code == 200
    assert "Trois codes ont déjà été envoyés à cette adresse e-mail" in (
        refused.content.decode().replace("&#x27;", "'"))
    assert OutboxMessage.objects.filter(recipient=ADDRESS).count() == 3


def test_a_registration_sms_counts_against_the_number_limit_of_profile_codes(
    insured, person, issued
):
    me = reauthed(login_verified(Client(), insured))
    for _ in range(3):
        assert me.post("/profile/mobile/", {"number": "079 123 45 67"}).status_code == 302
    client = Client()
    walk_to_factor(client, person, issued.plain)
    refused = client.post("/register/factor/", {"method": "sms", "mobile": "0791234567"})
    assert refused.status_code == 200
    assert "Trois codes ont déjà été envoyés à ce numéro" in (
        refused.content.decode().replace("&#x27;", "'"))
    assert OutboxMessage.objects.filter(channel="sms", recipient=NUMBER).count() == 3


def test_an_earlier_registration_code_stops_working_once_a_new_one_is_sent(person, issued):
    earlier, later = Client(), Client()
    for wizard in (earlier, later):
        identify(wizard, person, issued.plain)
    user_data(earlier, email=ADDRESS)
    earlier_code = _code_in(OutboxMessage.objects.get(recipient=ADDRESS))
    _time_passes(minutes=2)
    user_data(later, email=ADDRESS)
    later_code = _code_in(OutboxMessage.objects.filter(recipient=ADDRESS).latest("pk"))
    refused = earlier.post("/register/email/", {"code": earlier_code})
    assert refused.status_code == 200 and "n&#x27;est plus valable" in refused.content.decode()
    assert later.post("/register/email/", {"code": later_code})["Location"] == "/register/factor/"


def test_restarted_wizards_send_one_number_ten_sms_a_day_then_refuse(insured):
    # Each send stands for a new wizard (its own pace starts afresh), two hours apart: the
    # limit of 3 in 5 minutes never bites. The eleventh of the day is refused and said.
    for _ in range(10):
        reg.sms_code_send(key=reg.factor_key_new(), number=NUMBER, sends_so_far=0,
                          last_sent_at=None)
        _hours_pass(2)
    with pytest.raises(reg.SendThrottled) as refused:
        reg.sms_code_send(key=reg.factor_key_new(), number=NUMBER, sends_so_far=0,
                          last_sent_at=None)
    assert "Ce numéro a déjà reçu 10 codes en 24 heures" in refused.value.message
    assert OutboxMessage.objects.filter(recipient=NUMBER).count() == 10
    # The codes of the number's account are not held back by strangers' registrations.
    sms_limit_check(number=NUMBER, user=insured)
    _hours_pass(5)  # a day after the first ones, the number may get codes again
    reg.sms_code_send(key=reg.factor_key_new(), number=NUMBER, sends_so_far=0,
                      last_sent_at=None)


def test_a_taken_address_reaches_the_day_limit_exactly_like_a_free_one():
    owner = User.objects.create_user("taken@example.ch", "x")
    for _ in range(10):  # the owner's own codes of the day (password reset and the like)
        OutboxMessage.objects.create(channel="email", recipient=owner.email, body="x",
                                     user=owner, expires_at=timezone.now())
    _hours_pass(1)
    outcomes: dict[str, list[str]] = {"taken@example.ch": [], "free@example.ch": []}
    for _ in range(11):
        for address, answers in outcomes.items():
            try:
                reg.email_code_send(email=address, sends_so_far=0)
                answers.append("sent")
            except reg.SendThrottled as throttled:
                answers.append(throttled.message)
        _hours_pass(2)
    assert outcomes["taken@example.ch"] == outcomes["free@example.ch"]
    assert outcomes["free@example.ch"][:10] == ["sent"] * 10
    assert "Cette adresse e-mail a déjà reçu 10 codes" in outcomes["free@example.ch"][10]
    notices = OutboxMessage.objects.filter(recipient=owner.email, user__isnull=True)
    assert notices.count() == 10  # the owner is told, and not flooded
