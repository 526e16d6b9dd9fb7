"""Coordinated salary (art. 7 and 8 BVG)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import checks
from .checks import ZERO
from .errors import ErrorCollector
from .params import BvgParameters
from .plan import BVG_MINIMUM, Plan
from .rounding import money


@dataclass(frozen=True, slots=True)
class CoordinatedSalary:
    year: int
    annual_salary: Decimal
    insured: bool
    coordinated_salary: Decimal


def coordinated_amount(params: BvgParameters, annual_salary: Decimal, plan: Plan) -> Decimal:
    """Unrounded coordinated salary; zero when the salary is not above the entry threshold."""
    if annual_salary <= params.entry_threshold:
        return ZERO
    capped = min(annual_salary, params.upper_limit) if plan.cap_at_upper_limit else annual_salary
    return max(
        capped - params.coordination_deduction * plan.deduction_share, params.min_coordinated
    )


def coordinated_salary(
    year: int, annual_salary: Decimal, plan: Plan = BVG_MINIMUM
) -> CoordinatedSalary:
    errors = ErrorCollector()
    params = checks.year(errors, year)
    checks.money(errors, "annual_salary", annual_salary)
    errors.raise_if_any()
    assert params is not None
    amount = coordinated_amount(params, annual_salary, plan)
    return CoordinatedSalary(
        year=year,
        annual_salary=annual_salary,
        insured=annual_salary > params.entry_threshold,
        coordinated_salary=money(amount),
    )
