from __future__ import annotations

from decimal import Decimal

import pytest

from simulations.engine import CoordinatedSalary, Plan, SimulationError, coordinated_salary

D = Decimal


@pytest.mark.parametrize(
    ("year", "salary", "insured", "coordinated"),
    [
        # 2025: threshold 22,680, deduction 26,460, upper limit 90,720, min 3,780.
        (2025, "0", False, "0.00"),
        (2025, "22680.00", False, "0.00"),  # exactly the threshold: not "more than"
        (2025, "22680.01", True, "3780.00"),  # 22,680.01 - 26,460 < 0 -> raised to 3,780
        (2025, "30000", True, "3780.00"),  # 30,000 - 26,460 = 3,540 -> raised to 3,780
        (2025, "30240", True, "3780.00"),  # 30,240 - 26,460 = 3,780 exactly
        (2025, "50000", True, "23540.00"),  # BVG.md example: 50,000 - 26,460
        (2025, "90719.99", True, "64259.99"),
        (2025, "90720", True, "64260.00"),  # upper limit: 90,720 - 26,460
        (2025, "90720.01", True, "64260.00"),  # capped at the upper limit
        (2025, "250000", True, "64260.00"),
        (2021, "21510", False, "0.00"),
        (2021, "50000", True, "24905.00"),  # 50,000 - 25,095
        (2024, "88200", True, "62475.00"),  # 88,200 - 25,725
        (2026, "33540.555", True, "7080.56"),  # 33,540.555 - 26,460 = 7,080.555 -> half up
    ],
)
def test_it_computes_the_bvg_coordinated_salary(year, salary, insured, coordinated):
    result = coordinated_salary(year, D(salary))
    assert result == CoordinatedSalary(year, D(salary), insured, D(coordinated))
    assert str(result.coordinated_salary) == coordinated


def test_a_plan_without_a_cap_coordinates_the_whole_salary():
    plan = Plan(cap_at_upper_limit=False)
    # 120,000 - 26,460 = 93,540
    assert coordinated_salary(2025, D(120000), plan).coordinated_salary == D("93540.00")


def test_a_plan_may_pro_rate_the_deduction():
    plan = Plan(deduction_share=D("0.5"))
    # 50,000 - 26,460 x 0.5 = 36,770
    assert coordinated_salary(2025, D(50000), plan).coordinated_salary == D("36770.00")


def test_it_rejects_an_unknown_year_and_a_negative_salary_together():
    with pytest.raises(SimulationError) as exc:
        coordinated_salary(2019, D(-1))
    assert set(exc.value.errors) == {"year", "annual_salary"}
    assert exc.value.errors["annual_salary"] == ["must not be negative"]


@pytest.mark.parametrize(
    ("salary", "message"),
    [
        ("1000000000000.01", "must be at most 1000000000000.00"),
        ("NaN", "must be a finite amount"),
        ("Infinity", "must be a finite amount"),
    ],
)
def test_it_rejects_absurd_salaries(salary, message):
    with pytest.raises(SimulationError) as exc:
        coordinated_salary(2025, D(salary))
    assert exc.value.errors == {"annual_salary": [message]}
