from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from simulations.engine import BuyInInput, CreditBand, Plan, SimulationError, buy_in

D = Decimal


def person(**kwargs) -> BuyInInput:
    values = {
        "year": 2025,
        "birth_date": date(1995, 7, 1),
        "annual_salary": D(50000),
        "savings_capital": D(5000),
    }
    values.update(kwargs)
    return BuyInInput(**values)


def test_it_computes_the_regulatory_maximum_from_age_25():
    # BVG age 30; credits 7 % x 23,540 = 1,647.80 for ages 25..29 at 1.25 %:
    # 1,647.80 -> 3,316.1975 -> 5,005.44996875 -> 6,715.818093359375
    # -> 6,715.818093359375 x 1.0125 + 1,647.80 = 8,447.5658195263671875
    result = buy_in(person())
    assert result.max_capital == D("8447.57")
    assert result.max_buy_in == D("3447.57")  # 8,447.5658... - 5,000
    assert result.annual_cap is None
    assert result.blocked_reason is None
    assert result.reasons == ()
    assert result.tax_saving is None
    assert result.capital_locked_until is None


def test_it_computes_the_default_3a_maximum_for_the_birth_year():
    # BVG age 25 in 2020: 6,826 -> x 1.01 + 6,883 = 13,777.26 -> x 1.01 + 6,883 = 20,798.0326
    # -> x 1.01 + 7,056 = 28,062.012926 -> x 1.0125 + 7,056 = 35,468.788087575
    # -> x 1.0125 + 7,258 = 43,170.1479386696875
    result = buy_in(person(pillar3a_balance=D(50000)))
    assert result.pillar3a_max == D("43170.15")
    assert result.pillar3a_excess == D("6829.85")
    assert result.max_buy_in == D(0)  # 8,447.57 - 5,000 - 6,829.85 < 0


def test_nobody_under_25_can_buy_in():
    assert buy_in(person(birth_date=date(2001, 1, 1))).max_capital == D("0.00")


def test_it_uses_the_given_interest_rate_and_insured_salary():
    # BVG age 30: 7 % x 10,000 = 700 a year for ages 25..29 at 0 % = 3,500
    result = buy_in(person(insured_salary=D(10000), interest_rate=D(0)))
    assert result.max_capital == D("3500.00")


def test_it_uses_the_plan_scale_and_rate():
    plan = Plan(savings_credits=(CreditBand(20, 64, D("0.1")),), projection_interest=D(0))
    # ages 20..29: 10 x 10 % x 23,540 = 23,540
    assert buy_in(person(plan=plan)).max_capital == D("23540.00")


BASE = {"max_capital": D(500000), "savings_capital": D(200000)}


@pytest.mark.parametrize(
    ("kwargs", "max_buy_in"),
    [
        ({}, "300000.00"),  # 500,000 - 200,000
        ({"pillar3a_balance": D(50000), "pillar3a_max": D(40000)}, "290000.00"),  # excess 10,000
        ({"pillar3a_balance": D(30000), "pillar3a_max": D(40000)}, "300000.00"),  # no excess
        ({"vested_benefits_not_transferred": D(20000)}, "280000.00"),
        ({"retirement_benefits_drawn": D(5000)}, "295000.00"),
        ({"wef_outstanding": D(15000), "wef_repayable": False}, "285000.00"),
        (
            {
                "pillar3a_balance": D(50000),
                "pillar3a_max": D(40000),
                "vested_benefits_not_transferred": D(20000),
                "retirement_benefits_drawn": D(5000),
                "wef_outstanding": D(15000),
                "wef_repayable": False,
            },
            "250000.00",
        ),
        ({"savings_capital": D(600000)}, "0.00"),  # never negative
    ],
)
def test_it_deducts_everything_the_law_counts(kwargs, max_buy_in):
    result = buy_in(person(**(BASE | kwargs)))
    assert result.max_capital == D("500000.00")
    assert result.max_buy_in == D(max_buy_in)


def test_a_repayable_wef_withdrawal_blocks_buy_ins():
    result = buy_in(person(**BASE, wef_outstanding=D(15000), amount=D(1000)))
    assert result.max_buy_in == D("0.00")
    assert result.blocked_reason == "wef_outstanding"
    assert result.reasons == ("wef_outstanding",)
    assert result.capital_locked_until is None


@pytest.mark.parametrize(
    ("first_year", "cap"),
    [
        (2025, "4708.00"),  # 20 % x 23,540
        (2021, "4708.00"),  # 2021..2025 is five years
        (2020, None),
    ],
)
def test_arrivals_from_abroad_are_capped_at_20_percent_for_five_years(first_year, cap):
    result = buy_in(person(**BASE, first_swiss_affiliation_year=first_year))
    assert result.annual_cap == (None if cap is None else D(cap))
    assert result.max_buy_in == (D("300000.00") if cap is None else D(cap))


def test_an_amount_above_the_maximum_is_reported_not_clipped():
    result = buy_in(person(**BASE, amount=D("300000.01"), marginal_tax_rate=D("0.3")))
    assert result.reasons == ("exceeds_maximum",)
    assert result.max_buy_in == D("300000.00")
    assert result.tax_saving == D("90000.00")  # on what can be deducted: 300,000 x 30 %


def test_it_estimates_the_tax_saving_on_the_amount():
    result = buy_in(person(**BASE, amount=D("10000"), marginal_tax_rate=D("0.255")))
    assert result.tax_saving == D("2550.00")
    assert result.reasons == ()


def test_it_estimates_the_tax_saving_on_the_maximum_without_an_amount():
    result = buy_in(person(**BASE, marginal_tax_rate=D("0.3333")))
    assert result.tax_saving == D("99990.00")  # 300,000 x 33.33 %


@pytest.mark.parametrize(
    ("paid_on", "locked_until"),
    [
        (None, date(2028, 12, 31)),  # 31 December of the year by default
        (date(2025, 3, 15), date(2028, 3, 15)),
    ],
)
def test_it_reports_the_three_year_capital_lock(paid_on, locked_until):
    result = buy_in(person(**BASE, amount=D(10000), date=paid_on))
    assert result.capital_locked_until == locked_until


def test_the_lock_runs_from_the_payment_date_even_after_the_certificate_year():
    # Figures of the 2025 certificate, paid on 15.3.2026: locked until 15.3.2029, not from a
    # day of the certificate year (31.12.2025 + 3 years = 31.12.2028 would end too early).
    result = buy_in(person(**BASE, amount=D(10000), date=date(2026, 3, 15)))
    assert result.capital_locked_until == date(2029, 3, 15)


def test_a_lock_from_29_february_ends_on_28_february():
    result = buy_in(person(**BASE, year=2024, amount=D(10000), date=date(2024, 2, 29)))
    assert result.capital_locked_until == date(2027, 2, 28)


def test_a_nil_amount_locks_nothing():
    assert buy_in(person(**BASE, amount=D(0))).capital_locked_until is None


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"year": 2020}, {"year"}),
        ({"birth_date": date(2026, 1, 1)}, {"birth_date", "first_swiss_affiliation_year"}),
        ({"amount": D(-1), "wef_outstanding": D(-1)}, {"amount", "wef_outstanding"}),
        ({"marginal_tax_rate": D("1.01")}, {"marginal_tax_rate"}),
        ({"interest_rate": D("0.5")}, {"interest_rate"}),
        ({"first_swiss_affiliation_year": 2026}, {"first_swiss_affiliation_year"}),
        ({"date": date(2024, 12, 31)}, {"date"}),  # before the simulated year
        ({"date": date(2200, 1, 1)}, {"date"}),
    ],
)
def test_it_rejects_bad_input_naming_each_field(kwargs, fields):
    values = {"first_swiss_affiliation_year": 2020} | kwargs
    with pytest.raises(SimulationError) as exc:
        person(**values)
    assert set(exc.value.errors) == fields
