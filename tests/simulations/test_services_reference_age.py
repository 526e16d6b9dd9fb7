"""A plan without its own reference age uses the legal one (AHV 21) for each person."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from simulations import engine
from simulations.services import engine_plan, projection_input_for, reference_age_years
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sex,birth,expected",
    [("F", date(1960, 5, 1), 64), ("F", date(1962, 5, 1), 64), ("F", date(1964, 5, 1), 65),
     ("M", date(1960, 5, 1), 65)],
)
def test_the_legal_reference_age_applies_when_the_plan_sets_none(sex, birth, expected):
    person = f.InsuredPersonFactory(sex=sex, birth_date=birth)
    assert person.contract.plan.reference_age is None
    assert reference_age_years(person, engine_plan(person.contract.plan)) == expected


def test_a_woman_born_1960_retiring_at_64_gets_the_full_conversion_rate():
    person = f.InsuredPersonFactory(sex="F", birth_date=date(1960, 5, 1))
    certificate = f.CertificateFactory(person=person, year=2023)  # she is 63 that year
    result = engine.project(projection_input_for(person, certificate, retirement_age=64))
    # 64 is her reference age: 6.8 %, not 6.8 % - 0.2 points for retiring a year "early".
    assert result.conversion_rate == Decimal("0.068")


def test_a_plan_may_fix_its_own_reference_age():
    plan = f.PlanFactory(code="own-age", reference_age=65)
    person = f.InsuredPersonFactory(sex="F", birth_date=date(1960, 5, 1),
                                    contract=f.ContractFactory(plan=plan))
    assert reference_age_years(person, engine_plan(plan)) == 65


def test_the_legal_minimum_is_guaranteed_on_the_bvg_part_only():
    plan = f.PlanFactory(code="low-rate", conversion_rate=Decimal("0.0500"))
    person = f.InsuredPersonFactory(sex="M", birth_date=date(1966, 3, 1),
                                    contract=f.ContractFactory(plan=plan))
    unknown = f.CertificateFactory(person=person, savings_capital=Decimal("400000"))
    result = engine.project(projection_input_for(person, unknown, retirement_age=65))
    # No BVG part on the certificate: the plan's 5 % applies, no guarantee is invented.
    assert result.annual_pension == (result.capital_at_retirement * Decimal("0.05")).quantize(
        Decimal("0.01"))
    assert not result.bvg_minimum_applied
    unknown.bvg_savings_capital = Decimal("380000")  # almost all of it is BVG money
    result = engine.project(projection_input_for(person, unknown, retirement_age=65))
    assert result.bvg_minimum_applied
    assert result.annual_pension > result.capital_at_retirement * Decimal("0.05")
