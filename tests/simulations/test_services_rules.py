"""The bridge applies the engine's rules with the right inputs: the WEF cut-off from the legal
reference age in months, and the buy-in lock from the payment date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from simulations import services as sim
from simulations.engine.dates import add_years
from tests import factories as f

pytestmark = pytest.mark.django_db


def _wef(person, certificate, on: date) -> dict:
    return sim.wef_simulate(
        person=person, certificate=certificate, withdrawal_date=on, amount=Decimal("20000"),
        purpose="ownership", vested_benefit_at_50=Decimal("100000"),
    )


# Born 15.3.; cut-off = reference age - 3 years (comments: reference age -> last possible day)
@pytest.mark.parametrize("sex,born,latest", [
    ("F", date(1962, 3, 15), date(2023, 9, 15)),  # 64 y 6 m -> 61 y 6 m
    ("M", date(1962, 3, 15), date(2024, 3, 15)),  # 65 -> 62
    ("F", date(1964, 3, 15), date(2026, 3, 15)),  # 65 -> 62
])
def test_the_wef_cut_off_follows_the_legal_reference_age_in_months(sex, born, latest):
    person = f.InsuredPersonFactory(sex=sex, birth_date=born)
    certificate = f.CertificateFactory(person=person, year=2023)
    assert person.contract.plan.reference_age is None
    last = _wef(person, certificate, latest)
    assert last["latest_withdrawal_date"] == latest.isoformat()
    assert last["allowed"] is True, last["reasons"]
    refused = _wef(person, certificate, latest + timedelta(days=1))
    assert refused["reasons"] == ["too_close_to_retirement"]


def test_a_plan_reference_age_sets_the_wef_cut_off_in_whole_years():
    plan = f.PlanFactory(code="own-age-wef", reference_age=65)
    person = f.InsuredPersonFactory(sex="F", birth_date=date(1962, 3, 15),
                                    contract=f.ContractFactory(plan=plan))
    certificate = f.CertificateFactory(person=person, year=2023)
    # The plan's 65, not the legal 64 y 6 m: 62nd birthday.
    assert _wef(person, certificate, date(2024, 3, 15))["allowed"] is True


def test_the_buy_in_lock_runs_from_the_payment_date_not_the_certificate_year():
    person = f.InsuredPersonFactory(birth_date=date(1975, 5, 20))
    certificate = f.CertificateFactory(person=person, year=2025, valid_from=date(2025, 1, 1),
                                       savings_capital=Decimal("10000"))
    result = sim.buy_in_simulate(person=person, certificate=certificate, amount=Decimal("1000"),
                                 payment_date=date(2026, 3, 15))
    # Before: 31.12.2025 (the certificate year) + 3 years = 31.12.2028, too early.
    assert result["capital_locked_until"] == "2029-03-15"


def test_the_buy_in_lock_runs_from_today_by_default():
    person = f.InsuredPersonFactory(birth_date=date(1975, 5, 20))
    today = timezone.localdate()
    certificate = f.CertificateFactory(person=person, year=today.year - 1,
                                       savings_capital=Decimal("10000"))
    result = sim.buy_in_simulate(person=person, certificate=certificate, amount=Decimal("1000"))
    assert result["capital_locked_until"] == add_years(today, 3).isoformat()


def test_a_buy_in_is_never_paid_before_the_certificate_year():
    person = f.InsuredPersonFactory(birth_date=date(1975, 5, 20))
    certificate = f.CertificateFactory(person=person, year=2026, valid_from=date(2026, 1, 1),
                                       savings_capital=Decimal("10000"))
    result = sim.buy_in_simulate(person=person, certificate=certificate, amount=Decimal("1000"),
                                 payment_date=date(2025, 12, 20))
    assert result["capital_locked_until"] == "2029-01-01"  # 1.1.2026 + 3 years
