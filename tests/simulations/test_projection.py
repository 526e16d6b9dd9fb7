from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from simulations.engine import (
    Plan,
    ProjectionInput,
    ProjectionYear,
    SimulationError,
    compare_retirement_ages,
    project,
)

D = Decimal


def person(**kwargs) -> ProjectionInput:
    values = {
        "year": 2025,
        "birth_date": date(1963, 4, 10),
        "sex": "M",
        "annual_salary": D(50000),
        "savings_capital": D(200000),
    }
    values.update(kwargs)
    return ProjectionInput(**values)


def test_it_projects_a_man_of_62_to_65_year_by_year():
    # 2025: coordinated 50,000 - 26,460 = 23,540; credit 18 % = 4,237.20; interest 1.25 %.
    # 2025 age 62: interest 200,000 x 0.0125 = 2,500; capital 206,737.20
    # 2026 age 63: interest 206,737.20 x 0.0125 = 2,584.215; capital 213,558.615
    # 2027 age 64: interest 213,558.615 x 0.0125 = 2,669.4826875; capital 220,465.2976875
    # pension 220,465.2976875 x 6.8 % = 14,991.64024275
    result = project(person())
    assert result.years == (
        ProjectionYear(2025, 62, D("4237.20"), D("2500.00"), D("206737.20")),
        ProjectionYear(2026, 63, D("4237.20"), D("2584.22"), D("213558.62")),
        ProjectionYear(2027, 64, D("4237.20"), D("2669.48"), D("220465.30")),
    )
    assert result.capital_at_retirement == D("220465.30")
    assert result.conversion_rate == D("0.068")
    assert result.annual_pension == D("14991.64")
    assert result.lump_sum == D("0.00")
    assert (result.retirement_age, result.retirement_year) == (65, 2028)
    assert (result.coordinated_salary, result.insured_salary) == (D("23540.00"), D("23540.00"))
    assert result.interest_rate == D("0.0125")
    assert result.bvg_capital_at_retirement == result.capital_at_retirement
    assert result.bvg_pension == result.annual_pension
    assert result.bvg_minimum_applied is False


def test_it_rounds_only_the_reported_figures():
    # 100,000.40 + 1,250.005 + 4,237.20 = 105,487.605 (shown 105,487.61)
    # 105,487.605 + 1,318.5950625 + 4,237.20 = 111,043.4000625 -> 111,043.40
    # (rounding each year would give 111,043.41). Pension at 64: 6.6 % -> 7,328.864404125.
    result = project(person(savings_capital=D("100000.40"), retirement_age=64))
    assert [row.capital for row in result.years] == [D("105487.61"), D("111043.40")]
    assert result.years[0].interest == D("1250.01")
    assert result.capital_at_retirement == D("111043.40")
    assert result.annual_pension == D("7328.86")


@pytest.mark.parametrize(
    ("bvg_age", "credit"),
    [
        # 7 / 10 / 15 / 18 % of 23,540
        (24, "0.00"),
        (25, "1647.80"),
        (34, "1647.80"),
        (35, "2354.00"),
        (44, "2354.00"),
        (45, "3531.00"),
        (54, "3531.00"),
        (55, "4237.20"),
    ],
)
def test_the_first_year_credit_follows_the_bvg_age(bvg_age, credit):
    result = project(person(birth_date=date(2025 - bvg_age, 12, 31), savings_capital=D(0)))
    assert result.years[0].age == bvg_age
    assert result.years[0].credit == D(credit)
    assert len(result.years) == 65 - bvg_age


def test_it_credits_an_age_65_worker_but_not_after():
    # Born 1960, BVG age 65 in 2025, retiring at 67: 65 gets 18 % = 4,237.20, 66 gets nothing.
    # 100,000 + 1,250 + 4,237.20 = 105,487.20; + 1,318.59 = 106,805.79; 7.2 % at 67.
    result = project(
        person(birth_date=date(1960, 1, 1), savings_capital=D(100000), retirement_age=67)
    )
    assert [row.credit for row in result.years] == [D("4237.20"), D("0.00")]
    assert result.capital_at_retirement == D("106805.79")  # 105,487.20 x 1.0125
    assert result.conversion_rate == D("0.072")
    assert result.annual_pension == D("7690.02")  # 106,805.79 x 0.072 = 7,690.01688


def test_it_retires_at_58_with_5_4_percent():
    # BVG age 58, retiring now: no year to project; 300,000 x 5.4 % = 16,200
    result = project(
        person(birth_date=date(1967, 1, 1), savings_capital=D(300000), retirement_age=58)
    )
    assert result.years == ()
    assert result.conversion_rate == D("0.054")
    assert result.annual_pension == D("16200.00")


def test_it_retires_at_70_with_7_8_percent():
    # BVG age 69: one year of interest only: 100,000 x 1.0125 = 101,250; x 7.8 % = 7,897.50
    result = project(
        person(birth_date=date(1956, 1, 1), savings_capital=D(100000), retirement_age=70)
    )
    assert result.capital_at_retirement == D("101250.00")
    assert result.annual_pension == D("7897.50")


@pytest.mark.parametrize("age", [57, 71])
def test_it_rejects_a_retirement_age_outside_the_plan(age):
    with pytest.raises(SimulationError) as exc:
        person(retirement_age=age)
    assert exc.value.errors == {"retirement_age": ["must be between 58 and 70 under this plan"]}


def test_it_rejects_a_retirement_age_already_passed():
    with pytest.raises(SimulationError) as exc:
        person(birth_date=date(1958, 1, 1), retirement_age=65)  # BVG age 67
    assert exc.value.errors == {"retirement_age": ["must not be below the current BVG age"]}


def test_it_pays_a_whole_lump_sum():
    result = project(person(lump_sum_share=D(1)))
    assert result.lump_sum == D("220465.30")
    assert result.annual_pension == D("0.00")
    assert result.bvg_minimum_applied is False


def test_it_splits_lump_sum_and_pension():
    # 220,465.2976875 / 4 = 55,116.324421875; pension 3/4 x 14,991.64024275 = 11,243.73018
    result = project(person(lump_sum_share=D("0.25")))
    assert result.lump_sum == D("55116.32")
    assert result.annual_pension == D("11243.73")


@pytest.mark.parametrize(
    ("share", "plan"),
    [(D("1.01"), Plan()), (D("0.51"), Plan(max_lump_sum_share=D("0.5"))), (D("-0.01"), Plan())],
)
def test_it_rejects_a_lump_sum_share_above_the_plan_maximum(share, plan):
    with pytest.raises(SimulationError) as exc:
        person(lump_sum_share=share, plan=plan)
    assert list(exc.value.errors) == ["lump_sum_share"]


def test_a_woman_of_1962_converts_at_6_9_percent_at_65():
    # Reference age 64 y 6 m: 6.8 + 0.2 x 6/12 = 6.9 %
    result = project(person(birth_date=date(1962, 3, 1), sex="F"))
    assert result.conversion_rate == D("0.069")


def test_it_projects_at_the_given_interest_and_conversion_rate():
    # 200,000 x 1.02 + 4,237.20 = 208,237.20; x 1.02 + 4,237.20 = 216,639.144;
    # x 1.02 + 4,237.20 = 225,209.12688; pension x 7 % = 15,764.6388816
    result = project(person(interest_rate=D("0.02"), conversion_rate=D("0.07")))
    assert result.capital_at_retirement == D("225209.13")
    assert result.annual_pension == D("15764.64")
    assert result.interest_rate == D("0.02")
    assert result.bvg_minimum_applied is False


def test_it_projects_on_the_given_insured_salary():
    # credit 18 % x 60,000 = 10,800
    result = project(person(insured_salary=D(60000)))
    assert result.years[0].credit == D("10800.00")
    assert result.insured_salary == D("60000.00")
    assert result.coordinated_salary == D("23540.00")


def test_it_uses_the_plan_projection_interest():
    result = project(person(plan=Plan(projection_interest=D("0.02"))))
    assert result.interest_rate == D("0.02")
    assert result.capital_at_retirement == D("225209.13")


def test_a_plan_pension_below_the_bvg_minimum_is_raised_to_it():
    # Plan pays no interest: 200,000 + 3 x 4,237.20 = 212,711.60; x 6.8 % = 14,464.39.
    # Shadow BVG account (1.25 %): 220,465.2976875 x 6.8 % = 14,991.64 -> applies.
    result = project(person(plan=Plan(projection_interest=D(0))))
    assert result.capital_at_retirement == D("212711.60")
    assert result.bvg_capital_at_retirement == D("220465.30")
    assert result.bvg_pension == D("14991.64")
    assert result.annual_pension == D("14991.64")
    assert result.bvg_minimum_applied is True


def test_a_low_conversion_rate_is_topped_up_to_the_bvg_minimum():
    result = project(person(conversion_rate=D("0.05")))
    # 220,465.2976875 x 5 % = 11,023.26 < 14,991.64
    assert result.annual_pension == D("14991.64")
    assert result.bvg_minimum_applied is True


def test_the_shadow_account_starts_from_the_bvg_part_when_known():
    # Plan pays no interest: 212,711.60. Shadow from the BVG part 100,000 at 1.25 %:
    # 100,000 x 1.0125 + 4,237.20 = 105,487.20
    # 105,487.20 x 1.0125 + 4,237.20 = 106,805.79 + 4,237.20 = 111,042.99
    # 111,042.99 x 1.0125 + 4,237.20 = 112,431.027375 + 4,237.20 = 116,668.227375
    plan = Plan(projection_interest=D(0))
    result = project(person(plan=plan, bvg_savings_capital=D(100000)))
    assert result.bvg_capital_at_retirement == D("116668.23")
    assert result.bvg_pension == D("7933.44")  # 116,668.227375 x 6.8 % = 7,933.4394615
    assert result.annual_pension == D("14464.39")  # 212,711.60 x 6.8 % = 14,464.3888
    assert result.bvg_minimum_applied is False


def test_a_richer_plan_keeps_its_own_pension():
    plan = Plan(
        savings_credits=(), conversion_rate_at_reference=D("0.068"), cap_at_upper_limit=False
    )
    result = project(person(plan=plan, annual_salary=D(150000)))
    # No plan credits: 200,000 x 1.0125^3 = 207,594.53...; the shadow has BVG credits on
    # 90,720 - 26,460 = 64,260 (18 % = 11,566.80 a year) and is higher.
    assert result.bvg_minimum_applied is True
    assert result.coordinated_salary == D("123540.00")


def test_someone_not_insured_only_earns_interest():
    result = project(person(annual_salary=D(22680)))
    assert {row.credit for row in result.years} == {D("0.00")}
    assert result.coordinated_salary == D("0.00")


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"year": 2027}, {"year"}),
        ({"birth_date": date(2026, 1, 1)}, {"birth_date"}),
        ({"birth_date": date(1899, 12, 31)}, {"birth_date", "retirement_age"}),
        ({"sex": "X"}, {"sex"}),
        ({"annual_salary": D(-1), "savings_capital": D(-1)}, {"annual_salary", "savings_capital"}),
        ({"insured_salary": D(-1)}, {"insured_salary"}),
        ({"bvg_savings_capital": D(-1)}, {"bvg_savings_capital"}),
        ({"interest_rate": D("0.21")}, {"interest_rate"}),
        ({"interest_rate": D("-0.01")}, {"interest_rate"}),
        ({"conversion_rate": D("NaN")}, {"conversion_rate"}),
    ],
)
def test_it_rejects_bad_input_naming_each_field(kwargs, fields):
    with pytest.raises(SimulationError) as exc:
        person(**kwargs)
    assert set(exc.value.errors) == fields


def test_it_compares_every_retirement_age_in_one_pass():
    inp = person()
    options = compare_retirement_ages(inp)
    assert [o.retirement_age for o in options] == list(range(62, 71))
    for option in options:
        single = project(replace(inp, retirement_age=option.retirement_age))
        assert (
            option.capital_at_retirement,
            option.conversion_rate,
            option.annual_pension,
            option.lump_sum,
            option.bvg_minimum_applied,
            option.retirement_year,
        ) == (
            single.capital_at_retirement,
            single.conversion_rate,
            single.annual_pension,
            single.lump_sum,
            single.bvg_minimum_applied,
            single.retirement_year,
        )


def test_it_compares_from_58_for_a_younger_person():
    options = compare_retirement_ages(person(birth_date=date(1980, 1, 1)))
    assert [o.retirement_age for o in options] == list(range(58, 71))
    pensions = [o.annual_pension for o in options]
    assert pensions == sorted(pensions)


def test_a_shadow_check_applies_in_the_comparison_too():
    # Retiring now (62) both accounts hold 200,000: equal is not lower, so no top-up.
    inp = person(plan=Plan(projection_interest=D(0)))
    applied = {o.retirement_age: o.bvg_minimum_applied for o in compare_retirement_ages(inp)}
    assert applied == {62: False} | {age: True for age in range(63, 71)}
