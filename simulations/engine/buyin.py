"""Voluntary buy-in (art. 79b BVG, art. 60a-60d BVV 2).

Default 3a maximum balance (art. 60a para. 2 BVV 2, when ``pillar3a_max`` is not given): the
yearly 3a maximums for employees with a pension fund, paid from 1 January of the year of BVG
age 25 (never before 1987) up to and including the simulated year, each year's opening balance
earning that year's BVG minimum interest (the method of the BSV table "grösstmögliches
3a-Guthaben nach Jahrgang", balance at 31 December).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import checks
from .checks import ZERO
from .dates import add_years
from .errors import ErrorCollector
from .params import PILLAR3A_FIRST_YEAR, bvg_parameters, pillar3a_history
from .plan import BVG_MINIMUM, Plan
from .rounding import money
from .salary import coordinated_amount

WEF_OUTSTANDING = "wef_outstanding"
EXCEEDS_MAXIMUM = "exceeds_maximum"
ABROAD_SHARE = Decimal("0.2")
ABROAD_YEARS = 5
CAPITAL_LOCK_YEARS = 3


@dataclass(frozen=True, slots=True)
class BuyInInput:
    year: int
    birth_date: date
    annual_salary: Decimal
    savings_capital: Decimal
    insured_salary: Decimal | None = None
    interest_rate: Decimal | None = None
    max_capital: Decimal | None = None
    pillar3a_balance: Decimal = ZERO
    pillar3a_max: Decimal | None = None
    vested_benefits_not_transferred: Decimal = ZERO
    retirement_benefits_drawn: Decimal = ZERO
    wef_outstanding: Decimal = ZERO
    wef_repayable: bool = True
    first_swiss_affiliation_year: int | None = None
    amount: Decimal | None = None
    marginal_tax_rate: Decimal | None = None
    # Day of payment: the 3-year capital lock (art. 79b para. 3 BVG) runs from it. It may be
    # after ``year`` (a payment made after the latest certificate); by default 31 December of
    # ``year`` (the latest day of it, so the lock reported is never too early).
    date: date | None = None
    plan: Plan = BVG_MINIMUM

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        checks.year(errors, self.year)
        checks.day(errors, "birth_date", self.birth_date)
        if self.birth_date.year > self.year:
            errors.add("birth_date", "must not be after the simulated year")
        for name in (
            "annual_salary",
            "savings_capital",
            "insured_salary",
            "max_capital",
            "pillar3a_balance",
            "pillar3a_max",
            "vested_benefits_not_transferred",
            "retirement_benefits_drawn",
            "wef_outstanding",
            "amount",
        ):
            checks.money(errors, name, getattr(self, name))
        checks.rate(errors, "interest_rate", self.interest_rate)
        checks.rate(errors, "marginal_tax_rate", self.marginal_tax_rate, high=checks.ONE)
        first = self.first_swiss_affiliation_year
        if first is not None and not self.birth_date.year <= first <= self.year:
            errors.add(
                "first_swiss_affiliation_year",
                "must be between the birth year and the simulated year",
            )
        checks.day(errors, "date", self.date)
        if self.date is not None and self.date.year < self.year:
            errors.add("date", "must not be before the simulated year")
        errors.raise_if_any()


@dataclass(frozen=True, slots=True)
class BuyInResult:
    max_capital: Decimal
    max_buy_in: Decimal
    annual_cap: Decimal | None
    blocked_reason: str | None
    tax_saving: Decimal | None
    reasons: tuple[str, ...]
    capital_locked_until: date | None
    pillar3a_max: Decimal
    pillar3a_excess: Decimal


def pillar3a_max_balance(birth_year: int, year: int) -> Decimal:
    """Unrounded greatest possible 3a balance at 31 December of ``year`` (see module doc)."""
    balance = ZERO
    for y in range(max(birth_year + 25, PILLAR3A_FIRST_YEAR), year + 1):
        maximum, interest = pillar3a_history(y)
        balance = balance + balance * interest + maximum
    return balance


def regulatory_max_capital(inp: BuyInInput) -> Decimal:
    """Unrounded savings capital the plan would hold today had the person been insured from
    the plan's first credit age on today's insured salary (or the plan table's value)."""
    if inp.max_capital is not None:
        return inp.max_capital
    params = bvg_parameters(inp.year)
    plan = inp.plan
    insured = _insured_salary(inp)
    rate = inp.interest_rate
    if rate is None:
        rate = (
            plan.projection_interest
            if plan.projection_interest is not None
            else (params.min_interest)
        )
    rates = plan.credit_rates
    capital = ZERO
    for age in range(plan.first_credit_age, inp.year - inp.birth_date.year):
        capital = capital + capital * rate + rates[age] * insured
    return capital


def _insured_salary(inp: BuyInInput) -> Decimal:
    if inp.insured_salary is not None:
        return inp.insured_salary
    return coordinated_amount(bvg_parameters(inp.year), inp.annual_salary, inp.plan)


def buy_in(inp: BuyInInput) -> BuyInResult:
    max_capital = regulatory_max_capital(inp)
    pillar3a_max = inp.pillar3a_max
    if pillar3a_max is None:
        pillar3a_max = pillar3a_max_balance(inp.birth_date.year, inp.year)
    pillar3a_excess = max(ZERO, inp.pillar3a_balance - pillar3a_max)
    deductions = (
        inp.savings_capital
        + pillar3a_excess
        + inp.vested_benefits_not_transferred
        + inp.retirement_benefits_drawn
    )
    if not inp.wef_repayable:
        # Art. 60d BVV 2: a withdrawal that can no longer be repaid counts as capital held.
        deductions += inp.wef_outstanding
    maximum = max(ZERO, max_capital - deductions)

    annual_cap = None
    first = inp.first_swiss_affiliation_year
    if first is not None and inp.year < first + ABROAD_YEARS:
        annual_cap = ABROAD_SHARE * _insured_salary(inp)
        maximum = min(maximum, annual_cap)

    reasons = []
    blocked_reason = None
    if inp.wef_repayable and inp.wef_outstanding > ZERO:
        # Art. 79b para. 3 BVG: repay the WEF withdrawal first.
        blocked_reason = WEF_OUTSTANDING
        reasons.append(WEF_OUTSTANDING)
        maximum = ZERO

    max_buy_in = money(maximum)
    base = max_buy_in
    locked_until = None
    if inp.amount is not None:
        if inp.amount > max_buy_in:
            if blocked_reason is None:  # when blocked, the block is the reason
                reasons.append(EXCEEDS_MAXIMUM)
        else:
            base = inp.amount
        if base > ZERO:
            paid_on = inp.date if inp.date is not None else date(inp.year, 12, 31)
            locked_until = add_years(paid_on, CAPITAL_LOCK_YEARS)
    tax_saving = None
    if inp.marginal_tax_rate is not None:
        tax_saving = money(base * inp.marginal_tax_rate)
    return BuyInResult(
        max_capital=money(max_capital),
        max_buy_in=max_buy_in,
        annual_cap=None if annual_cap is None else money(annual_cap),
        blocked_reason=blocked_reason,
        tax_saving=tax_saving,
        reasons=tuple(reasons),
        capital_locked_until=locked_until,
        pillar3a_max=money(pillar3a_max),
        pillar3a_excess=money(pillar3a_excess),
    )
