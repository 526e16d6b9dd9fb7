from __future__ import annotations

from decimal import Decimal

import pytest

from simulations.engine import BVG_MINIMUM, CreditBand, Plan, SimulationError

D = Decimal


def test_the_default_plan_is_the_bvg_minimum():
    assert Plan() == BVG_MINIMUM
    assert Plan.bvg_minimum() is BVG_MINIMUM
    assert BVG_MINIMUM.max_lump_sum_share == 1
    assert BVG_MINIMUM.wef_cutoff_years == 3
    assert (BVG_MINIMUM.earliest_retirement_age, BVG_MINIMUM.latest_retirement_age) == (58, 70)
    assert BVG_MINIMUM.projection_interest is None


@pytest.mark.parametrize(
    ("age", "rate"),
    [
        # Art. 16 BVG: 25-34 7 %, 35-44 10 %, 45-54 15 %, 55-65 18 %, nothing before 25.
        (-1, "0"),
        (0, "0"),
        (24, "0"),
        (25, "0.07"),
        (34, "0.07"),
        (35, "0.10"),
        (44, "0.10"),
        (45, "0.15"),
        (54, "0.15"),
        (55, "0.18"),
        (65, "0.18"),
        (66, "0"),
        (120, "0"),
        (121, "0"),
    ],
)
def test_it_gives_the_savings_credit_of_each_bvg_age(age, rate):
    assert BVG_MINIMUM.credit_rate(age) == D(rate)


@pytest.mark.parametrize(
    ("age", "rate"),
    [
        # 6.8 % at 65, 0.2 points a year less before, more after.
        (58, "0.054"),
        (60, "0.058"),
        (64, "0.066"),
        (65, "0.068"),
        (66, "0.070"),
        (70, "0.078"),
    ],
)
def test_it_converts_at_6_8_percent_at_65_with_0_2_points_a_year(age, rate):
    assert BVG_MINIMUM.conversion_rate(age, 65 * 12) == D(rate)


def test_it_converts_the_months_of_a_transitional_reference_age_pro_rata():
    # Reference age 64 y 6 m (women of 1962): at 65, 6 months late: 6.8 + 0.2 x 6/12 = 6.9 %.
    assert BVG_MINIMUM.conversion_rate(65, 774) == D("0.069")
    # At 64, 6 months early: 6.8 - 0.2 x 6/12 = 6.7 %.
    assert BVG_MINIMUM.conversion_rate(64, 774) == D("0.067")


def test_a_plan_may_fix_its_own_reference_age():
    plan = Plan(reference_age=60, conversion_rate_at_reference=D("0.05"))
    assert plan.conversion_rate(60, 780) == D("0.05")
    assert plan.conversion_rate(62, 780) == D("0.054")


def test_a_conversion_rate_never_goes_below_zero():
    plan = Plan(conversion_rate_step_early=D("0.05"))
    # 6.8 % - 7 x 5 points < 0
    assert plan.conversion_rate(58, 780) == 0


def test_a_plan_may_start_credits_earlier():
    plan = Plan(savings_credits=(CreditBand(18, 64, D("0.12")),))
    assert plan.first_credit_age == 18
    assert plan.credit_rate(18) == D("0.12")


def test_a_plan_without_credits_starts_them_never():
    assert Plan(savings_credits=()).first_credit_age == 120


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"savings_credits": (CreditBand(25, 40, D("0.1")), CreditBand(40, 50, D("0.1")))},
            "savings_credits",
        ),
        ({"savings_credits": (CreditBand(30, 20, D("0.1")),)}, "savings_credits"),
        ({"savings_credits": (CreditBand(25, 30, D("1.5")),)}, "savings_credits"),
        ({"earliest_retirement_age": 71}, "latest_retirement_age"),
        ({"max_lump_sum_share": D("1.1")}, "max_lump_sum_share"),
        ({"deduction_share": D("-0.1")}, "deduction_share"),
    ],
)
def test_it_rejects_inconsistent_plan_rules(kwargs, field):
    with pytest.raises(SimulationError) as exc:
        Plan(**kwargs)
    assert list(exc.value.errors) == [field]
