"""The WEF simulation limits the withdrawal from the day after the 50th birthday (BVG.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from simulations.engine.dates import add_years

pytestmark = pytest.mark.django_db


def _wef(client, withdrawal: date, **data):
    payload = {"amount": "20000", "withdrawal_date": withdrawal.strftime("%d.%m.%Y"),
               "purpose": "ownership", "vested_benefit_at_50": "", "last_withdrawal_date": "",
               "spouse_consent": "on", **data}
    return client.post(reverse("insured:simulation-wef"), payload)


def test_fifty_years_and_some_days_old_gets_the_wefv_limit(as_user, insured, insured_person):
    today = date.today()
    insured_person.birth_date = add_years(today, -50) - timedelta(days=10)  # 50 y 10 d today
    insured_person.save()
    response = _wef(as_user(insured), today + timedelta(days=30))
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    # Benefit at 50 left blank (a = 0): b = 187,650.35 / 2 = 93,825.175 -> 93,825.18, not the
    # whole 187,650.35 that 50 completed years used to give.
    assert result["max_withdrawal"] == "93825.18"


def test_on_the_50th_birthday_the_whole_benefit_is_available(as_user, insured, insured_person):
    withdrawal = date.today() + timedelta(days=30)
    insured_person.birth_date = add_years(withdrawal, -50)  # the 50th birthday that day
    insured_person.save()
    response = _wef(as_user(insured), withdrawal)
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    assert result["max_withdrawal"] == "187650.35"
