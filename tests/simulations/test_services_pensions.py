"""What the simulation pages compare: a withdrawal never raises and a buy-in never lowers the
projected pension, also where the BVG minimum pension (art. 14) is the one paid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulations import services as sim
from tests import factories as f

pytestmark = pytest.mark.django_db


def _person_under_a_low_converting_plan(bvg_part: Decimal, capital: Decimal):
    # 5.0 % conversion: on a large BVG part the legal minimum (6.8 % on that part) is paid.
    plan = f.PlanFactory(code="low-conversion", conversion_rate=Decimal("0.0500"))
    person = f.InsuredPersonFactory(birth_date=date(1971, 6, 3), sex="F",
                                    contract=f.ContractFactory(plan=plan))
    certificate = f.CertificateFactory(person=person, savings_capital=capital,
                                       bvg_savings_capital=bvg_part)
    return person, certificate


def _wef(person, certificate, amount: Decimal) -> dict:
    return sim.wef_simulate(person=person, certificate=certificate,
                            withdrawal_date=date(2027, 3, 31), amount=amount, purpose="ownership",
                            vested_benefit_at_50=certificate.savings_capital / 2)


def test_a_withdrawal_lowers_the_pension_where_the_bvg_minimum_is_paid():
    # The defect: "sans versement CHF 20'174.21, avec versement CHF 20'174.21" while the chart
    # showed the lower capital; the BVG part was left whole, so its minimum pension won twice.
    person, certificate = _person_under_a_low_converting_plan(
        Decimal("180000"), Decimal("187650.35"))
    result = _wef(person, certificate, Decimal("60000"))
    assert result["allowed"] is True, result["reasons"]
    assert Decimal(result["pension_with"]) < Decimal(result["pension_without"])
    assert Decimal(result["capital_with"]) < Decimal(result["capital_without"])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(capital=st.decimals("1000", "900000", places=2),
       bvg_share=st.decimals("0", "1", places=2),
       amount=st.decimals("1", "900000", places=2))
def test_a_withdrawal_never_raises_and_a_buy_in_never_lowers_the_pension(capital, bvg_share,
                                                                        amount):
    person, certificate = _person_under_a_low_converting_plan(
        (capital * bvg_share).quantize(Decimal("0.01")), capital)
    wef = _wef(person, certificate, amount)
    assert Decimal(wef["pension_with"]) <= Decimal(wef["pension_without"])
    buy_in = sim.buy_in_simulate(person=person, certificate=certificate, amount=amount,
                                 payment_date=date(2026, 6, 1))
    assert Decimal(buy_in["pension_with"]) >= Decimal(buy_in["pension_without"])
