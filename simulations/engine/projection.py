"""Retirement projection year by year (art. 13-16 BVG) with the BVG shadow check (art. 14).

Shadow account: the same person projected on the BVG minimum plan (art. 16 credits on the BVG
coordinated salary, at the simulated year's BVG minimum interest), starting from
``bvg_savings_capital`` (the BVG part of the savings capital from the certificate; when unknown,
the whole savings capital, which can only raise the guarantee). Its pension is the shadow
capital x the BVG minimum plan's conversion rate at the same retirement age (6.8 % at the
reference age) x the share not taken as a lump sum. If the plan pension is lower, the pension is
raised to it and ``bvg_minimum_applied`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from . import checks
from .checks import ONE, ZERO
from .errors import ErrorCollector
from .params import bvg_parameters, reference_age_months
from .plan import BVG_MINIMUM, Plan
from .rounding import CENT, money
from .salary import coordinated_amount

SEXES = ("M", "F")


@dataclass(frozen=True, slots=True)
class ProjectionInput:
    year: int
    birth_date: date
    sex: str
    annual_salary: Decimal
    savings_capital: Decimal
    interest_rate: Decimal | None = None
    retirement_age: int = 65
    lump_sum_share: Decimal = ZERO
    conversion_rate: Decimal | None = None
    insured_salary: Decimal | None = None
    bvg_savings_capital: Decimal | None = None
    plan: Plan = BVG_MINIMUM

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        checks.year(errors, self.year)
        checks.day(errors, "birth_date", self.birth_date)
        if self.birth_date.year > self.year:
            errors.add("birth_date", "must not be after the simulated year")
        if self.sex not in SEXES:
            errors.add("sex", 'must be "M" or "F"')
        for name in ("annual_salary", "savings_capital", "insured_salary", "bvg_savings_capital"):
            checks.money(errors, name, getattr(self, name))
        checks.rate(errors, "interest_rate", self.interest_rate)
        checks.rate(errors, "conversion_rate", self.conversion_rate)
        plan = self.plan
        if not plan.earliest_retirement_age <= self.retirement_age <= plan.latest_retirement_age:
            errors.add(
                "retirement_age",
                f"must be between {plan.earliest_retirement_age} and "
                f"{plan.latest_retirement_age} under this plan",
            )
        elif self.retirement_age < self.year - self.birth_date.year:
            errors.add("retirement_age", "must not be below the current BVG age")
        if not ZERO <= self.lump_sum_share <= plan.max_lump_sum_share:
            errors.add("lump_sum_share", f"must be between 0 and {plan.max_lump_sum_share}")
        errors.raise_if_any()


class ProjectionYear(NamedTuple):
    """One simulated year; ``capital`` is the balance at the end of the year. A named tuple,
    not a dataclass: a projection builds one per year and this is three times cheaper."""

    year: int
    age: int
    credit: Decimal
    interest: Decimal
    capital: Decimal


@dataclass(frozen=True, slots=True)
class ProjectionResult:
    capital_at_retirement: Decimal
    conversion_rate: Decimal
    annual_pension: Decimal
    lump_sum: Decimal
    years: tuple[ProjectionYear, ...]
    retirement_age: int
    retirement_year: int
    coordinated_salary: Decimal
    insured_salary: Decimal
    interest_rate: Decimal
    bvg_capital_at_retirement: Decimal
    bvg_pension: Decimal
    bvg_minimum_applied: bool


@dataclass(frozen=True, slots=True)
class RetirementOption:
    retirement_age: int
    retirement_year: int
    capital_at_retirement: Decimal
    conversion_rate: Decimal
    annual_pension: Decimal
    lump_sum: Decimal
    bvg_minimum_applied: bool


@dataclass(frozen=True, slots=True)
class _Setup:
    age: int
    capital: Decimal
    rate: Decimal
    insured: Decimal
    coordinated: Decimal
    bvg_capital: Decimal
    bvg_rate: Decimal
    bvg_coordinated: Decimal
    reference_months: int
    # False when the shadow account is the plan account itself (BVG minimum plan, no
    # overrides): then it needs no second recurrence.
    shadow_differs: bool


def _setup(inp: ProjectionInput) -> _Setup:
    params = bvg_parameters(inp.year)
    plan = inp.plan
    coordinated = coordinated_amount(params, inp.annual_salary, plan)
    if plan is BVG_MINIMUM:
        bvg_coordinated = coordinated
    else:
        bvg_coordinated = coordinated_amount(params, inp.annual_salary, BVG_MINIMUM)
    rate = inp.interest_rate
    if rate is None:
        rate = (
            plan.projection_interest
            if plan.projection_interest is not None
            else (params.min_interest)
        )
    return _Setup(
        age=inp.year - inp.birth_date.year,
        capital=inp.savings_capital,
        rate=rate,
        insured=coordinated if inp.insured_salary is None else inp.insured_salary,
        coordinated=coordinated,
        bvg_capital=(
            inp.savings_capital if inp.bvg_savings_capital is None else inp.bvg_savings_capital
        ),
        shadow_differs=not (
            plan is BVG_MINIMUM
            and inp.insured_salary is None
            and inp.bvg_savings_capital is None
            and rate == params.min_interest
        ),
        bvg_rate=params.min_interest,
        bvg_coordinated=bvg_coordinated,
        reference_months=reference_age_months(inp.birth_date, inp.sex),
    )


def _pension(
    inp: ProjectionInput, setup: _Setup, retirement_age: int, capital: Decimal, bvg_capital: Decimal
) -> tuple[Decimal, Decimal, Decimal, Decimal, bool]:
    """(conversion rate, unrounded pension, shadow pension, lump sum, shadow applied)."""
    rate = inp.conversion_rate
    if rate is None:
        rate = inp.plan.conversion_rate(retirement_age, setup.reference_months)
    annuitised = ONE - inp.lump_sum_share
    pension = capital * annuitised * rate
    bvg_pension = (
        bvg_capital
        * annuitised
        * BVG_MINIMUM.conversion_rate(retirement_age, setup.reference_months)
    )
    applied = pension < bvg_pension
    return (
        rate,
        bvg_pension if applied else pension,
        bvg_pension,
        capital * inp.lump_sum_share,
        applied,
    )


def project(inp: ProjectionInput) -> ProjectionResult:
    s = _setup(inp)
    rates = inp.plan.credit_rates
    bvg_rates = BVG_MINIMUM.credit_rates
    capital, rate, insured = s.capital, s.rate, s.insured
    bvg_capital, bvg_rate, bvg_coordinated = s.bvg_capital, s.bvg_rate, s.bvg_coordinated
    year = inp.year
    rows = []
    append = rows.append
    # Local names: this loop is the engine's hot path (see bench/engine.py). The credit only
    # changes at a band boundary, so it is computed and rounded once per band.
    quantize, cent, half_up, make = Decimal.quantize, CENT, ROUND_HALF_UP, ProjectionYear._make
    shadow = s.shadow_differs
    band_rate: Decimal | None = None
    credit = shown_credit = ZERO
    for age in range(s.age, inp.retirement_age):
        if rates[age] is not band_rate:
            band_rate = rates[age]
            credit = band_rate * insured
            shown_credit = quantize(credit, cent, half_up)
        interest = capital * rate
        capital = capital + interest + credit
        append(
            make(
                (
                    year,
                    age,
                    shown_credit,
                    quantize(interest, cent, half_up),
                    quantize(capital, cent, half_up),
                )
            )
        )
        year += 1
        if shadow:
            bvg_capital = bvg_capital + bvg_capital * bvg_rate + bvg_rates[age] * bvg_coordinated
    if not shadow:
        bvg_capital = capital
    conversion_rate, pension, bvg_pension, lump_sum, applied = _pension(
        inp, s, inp.retirement_age, capital, bvg_capital
    )
    return ProjectionResult(
        capital_at_retirement=money(capital),
        conversion_rate=conversion_rate,
        annual_pension=money(pension),
        lump_sum=money(lump_sum),
        years=tuple(rows),
        retirement_age=inp.retirement_age,
        retirement_year=inp.birth_date.year + inp.retirement_age,
        coordinated_salary=money(s.coordinated),
        insured_salary=money(insured),
        interest_rate=rate,
        bvg_capital_at_retirement=money(bvg_capital),
        bvg_pension=money(bvg_pension),
        bvg_minimum_applied=applied,
    )


def compare_retirement_ages(inp: ProjectionInput) -> tuple[RetirementOption, ...]:
    """Every retirement age the plan allows from the current BVG age on, in one pass (the
    input's ``retirement_age`` is ignored; its lump-sum share and rate overrides apply to all)."""
    s = _setup(inp)
    plan = inp.plan
    rates = plan.credit_rates
    bvg_rates = BVG_MINIMUM.credit_rates
    capital, rate, insured = s.capital, s.rate, s.insured
    bvg_capital, bvg_rate, bvg_coordinated = s.bvg_capital, s.bvg_rate, s.bvg_coordinated
    options = []
    for age in range(s.age, plan.latest_retirement_age + 1):
        if age >= plan.earliest_retirement_age:
            conversion_rate, pension, _, lump_sum, applied = _pension(
                inp, s, age, capital, bvg_capital
            )
            options.append(
                RetirementOption(
                    retirement_age=age,
                    retirement_year=inp.birth_date.year + age,
                    capital_at_retirement=money(capital),
                    conversion_rate=conversion_rate,
                    annual_pension=money(pension),
                    lump_sum=money(lump_sum),
                    bvg_minimum_applied=applied,
                )
            )
        capital = capital + capital * rate + rates[age] * insured
        bvg_capital = bvg_capital + bvg_capital * bvg_rate + bvg_rates[age] * bvg_coordinated
    return tuple(options)
