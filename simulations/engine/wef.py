"""Early withdrawal for home ownership, WEF/EPL (art. 30c BVG, art. 5 WEFV, art. 79b para. 3).

``max_withdrawal`` is the amount limit at ``date``; timing rules (five-year rule, cut-off before
the reference age) do not lower it but appear in ``reasons``. Spouse consent is for the form to
ask, not a reason here.

Age 50 (art. 30c para. 2 BVG, "das 50. Altersjahr überschritten"; the project's BVG.md): the
whole vested benefit up to and including the 50th birthday; from the day after it (aged 50
years and 1 day) the art. 5 WEFV limit max(a, b).

Cut-off: the reference age is counted in months (AHV 21: women born 1961/62/63 reach it at
64 y 3/6/9 m), so the last possible day is the day the person is reference age - the plan's
cut-off years old, e.g. 61 y 6 m for a woman born 1962; from the next day it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import checks
from .checks import ZERO
from .dates import add_months, add_years, completed_years
from .errors import ErrorCollector
from .plan import BVG_MINIMUM, Plan
from .rounding import money

OWNERSHIP = "ownership"
COOPERATIVE = "cooperative"
PURPOSES = (OWNERSHIP, COOPERATIVE)

TOO_CLOSE_TO_RETIREMENT = "too_close_to_retirement"
FIVE_YEAR_RULE = "five_year_rule"
BELOW_MINIMUM = "below_minimum"
EXCEEDS_MAXIMUM = "exceeds_maximum"

MINIMUM_AMOUNT = Decimal(20000)
FULL_BENEFIT_UP_TO_AGE = 50
YEARS_BETWEEN_WITHDRAWALS = 5
BUY_IN_LOCK_YEARS = 3


@dataclass(frozen=True, slots=True)
class BuyInPayment:
    date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class WefInput:
    date: date
    birth_date: date
    vested_benefit: Decimal
    requested_amount: Decimal
    vested_benefit_at_50: Decimal | None = None
    repaid_after_50: Decimal = ZERO
    withdrawn_after_50: Decimal = ZERO
    used_for_housing: Decimal = ZERO
    purpose: str = OWNERSHIP
    last_withdrawal_date: date | None = None
    buy_ins: tuple[BuyInPayment, ...] = ()
    reference_age: int = 65
    # In months, overriding ``reference_age`` when given (64 y 6 m = 774 for a woman born 1962).
    reference_age_months: int | None = None
    plan: Plan = BVG_MINIMUM

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        for name in ("date", "birth_date", "last_withdrawal_date"):
            checks.day(errors, name, getattr(self, name))
        if self.birth_date > self.date:
            errors.add("birth_date", "must not be after the withdrawal date")
        for name in (
            "vested_benefit",
            "requested_amount",
            "vested_benefit_at_50",
            "repaid_after_50",
            "withdrawn_after_50",
            "used_for_housing",
        ):
            checks.money(errors, name, getattr(self, name))
        if self.requested_amount <= ZERO:
            errors.add("requested_amount", "must be more than 0")
        if self.vested_benefit_at_50 is None and after_50_limit_applies(
            self.birth_date, self.date
        ):
            errors.add("vested_benefit_at_50", "is required after age 50")
        if self.purpose not in PURPOSES:
            errors.add("purpose", f"must be one of {', '.join(PURPOSES)}")
        if self.last_withdrawal_date is not None and self.last_withdrawal_date > self.date:
            errors.add("last_withdrawal_date", "must not be after the withdrawal date")
        for index, payment in enumerate(self.buy_ins):
            checks.money(errors, f"buy_ins[{index}].amount", payment.amount)
            if payment.date > self.date:
                errors.add(f"buy_ins[{index}].date", "must not be after the withdrawal date")
        if not 50 <= self.reference_age <= 70:
            errors.add("reference_age", "must be between 50 and 70")
        months = self.reference_age_months
        if months is not None and not 50 * 12 <= months <= 70 * 12:
            errors.add("reference_age_months", "must be between 600 and 840")
        errors.raise_if_any()


@dataclass(frozen=True, slots=True)
class WefResult:
    max_withdrawal: Decimal
    allowed: bool
    reasons: tuple[str, ...]
    age: int
    latest_withdrawal_date: date
    recent_buy_ins: Decimal


def after_50_limit_applies(birth_date: date, on: date) -> bool:
    """True from the day after the 50th birthday: on the birthday itself the person is 50, not
    yet older than 50 (BVG.md; a 29 February birthday falls on 28 February, art. 77 OR)."""
    return on > add_years(birth_date, FULL_BENEFIT_UP_TO_AGE)


def wef(inp: WefInput) -> WefResult:
    age = completed_years(inp.birth_date, inp.date)
    if not after_50_limit_applies(inp.birth_date, inp.date):
        limit = inp.vested_benefit
    else:
        at_50 = inp.vested_benefit_at_50
        assert at_50 is not None  # checked in WefInput
        a = at_50 + inp.repaid_after_50 - inp.withdrawn_after_50
        b = (inp.vested_benefit - inp.used_for_housing) / 2
        limit = min(inp.vested_benefit, max(a, b))
    # Art. 79b para. 3 BVG: benefits bought in during the last three years stay locked.
    recent = sum(
        (p.amount for p in inp.buy_ins if add_years(p.date, BUY_IN_LOCK_YEARS) > inp.date), ZERO
    )
    maximum = max(ZERO, limit - recent)

    months = inp.reference_age_months
    if months is None:
        months = inp.reference_age * 12
    latest = add_months(inp.birth_date, months - inp.plan.wef_cutoff_years * 12)
    reasons = []
    if inp.date > latest:
        reasons.append(TOO_CLOSE_TO_RETIREMENT)
    if inp.last_withdrawal_date is not None and inp.date < add_years(
        inp.last_withdrawal_date, YEARS_BETWEEN_WITHDRAWALS
    ):
        reasons.append(FIVE_YEAR_RULE)
    if inp.purpose == OWNERSHIP and inp.requested_amount < MINIMUM_AMOUNT:
        reasons.append(BELOW_MINIMUM)
    if inp.requested_amount > maximum:
        reasons.append(EXCEEDS_MAXIMUM)
    return WefResult(
        max_withdrawal=money(maximum),
        allowed=not reasons,
        reasons=tuple(reasons),
        age=age,
        latest_withdrawal_date=latest,
        recent_buy_ins=money(recent),
    )
