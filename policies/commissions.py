"""Commission statements computed from the data, in plain Python (no Django): the service
(policies.services.commission_statements_compute) reads rules, mandates and premiums, this
module turns them into lines, and the statement's total is the sum of those lines.

Per premium paid in the period, the agency earns `basis x rate`: the first-year rate while the
premium falls due in the policy's first twelve months, the renewal rate afterwards. A premium
cancelled in the period (paid, then reversed) takes its commission back: a negative line. A
policy surrendered or lapsed in the period, within the rule's clawback months from its start,
gives back the commission of its first-year premiums: a negative line too.

One line per broker, policy, kind and rate; each amount is rounded to the centime, half up
(away from zero), and only then summed.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FIRST_YEAR, RENEWAL, CANCELLATION, CLAWBACK = "first_year", "renewal", "cancellation", "clawback"
KIND_ORDER = {FIRST_YEAR: 0, RENEWAL: 1, CANCELLATION: 2, CLAWBACK: 3}
ENDED_STATUSES = frozenset({"surrendered", "lapsed"})
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Rule:
    product: str
    agency_id: int | None  # None: every agency without a rule of its own
    first_year_rate: Decimal
    renewal_rate: Decimal
    clawback_months: int
    valid_from: date
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class PolicyFacts:
    policy_id: int
    product: str
    start_date: date
    status: str
    terminated_on: date | None
    broker_id: int | None  # the agency's mandate holder
    mandate_start: date
    mandate_end: date | None

    def mandate_on(self, day: date) -> bool:
        return self.mandate_start <= day and (self.mandate_end is None or day <= self.mandate_end)


@dataclass(frozen=True)
class PremiumFacts:
    policy_id: int
    due_date: date
    amount: Decimal
    paid_date: date | None
    cancelled_date: date | None = None


@dataclass(frozen=True)
class Line:
    broker_id: int | None
    policy_id: int
    kind: str
    basis: Decimal
    rate: Decimal
    amount: Decimal


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_bounds(kind: str, day: date) -> tuple[date, date]:
    """The month, quarter or year that contains `day`: (first day, last day)."""
    months = PERIOD_MONTHS[kind]
    start = date(day.year, (day.month - 1) // months * months + 1, 1)
    end = add_months(start, months)
    return start, date.fromordinal(end.toordinal() - 1)


def rule_for(rules: Iterable[Rule], *, agency_id: int, product: str, on: date) -> Rule | None:
    """The agency's own rule for the product on that day, else the one for every agency."""
    fallback = None
    for rule in rules:
        if rule.product != product or not rule.valid_on(on):
            continue
        if rule.agency_id == agency_id:
            return rule
        if rule.agency_id is None and fallback is None:
            fallback = rule
    return fallback


def line_amount(basis: Decimal, rate: Decimal) -> Decimal:
    return (basis * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _first_year(policy: PolicyFacts, premium: PremiumFacts) -> bool:
    return premium.due_date < add_months(policy.start_date, 12)


def statement_lines(*, agency_id: int, start: date, end: date,
                    policies: dict[int, PolicyFacts], premiums: Sequence[PremiumFacts],
                    rules: Sequence[Rule]) -> list[Line]:
    """Every line of the agency's statements for [start, end], all brokers together (the
    service splits them by broker_id)."""
    bases: dict[tuple[int | None, int, str, Decimal], Decimal] = defaultdict(Decimal)

    def add(policy: PolicyFacts, kind: str, rate: Decimal, amount: Decimal) -> None:
        bases[(policy.broker_id, policy.policy_id, kind, rate)] += amount

    for premium in premiums:
        policy = policies.get(premium.policy_id)
        if policy is None or premium.paid_date is None or not policy.mandate_on(premium.paid_date):
            continue  # not paid, or paid while another agency held the mandate
        rule = rule_for(rules, agency_id=agency_id, product=policy.product, on=premium.paid_date)
        if rule is None:
            continue
        first = _first_year(policy, premium)
        rate = rule.first_year_rate if first else rule.renewal_rate
        if start <= premium.paid_date <= end:
            add(policy, FIRST_YEAR if first else RENEWAL, rate, premium.amount)
        if premium.cancelled_date is not None and start <= premium.cancelled_date <= end:
            add(policy, CANCELLATION, rate, -premium.amount)

    for policy in policies.values():
        ended = policy.terminated_on
        if (policy.status not in ENDED_STATUSES or ended is None or not start <= ended <= end):
            continue
        rule = rule_for(rules, agency_id=agency_id, product=policy.product, on=ended)
        if rule is None or ended >= add_months(policy.start_date, rule.clawback_months):
            continue
        for premium in premiums:
            if (premium.policy_id != policy.policy_id or premium.paid_date is None
                    or premium.cancelled_date is not None or not _first_year(policy, premium)
                    or not policy.mandate_on(premium.paid_date)):
                continue
            paid_rule = rule_for(rules, agency_id=agency_id, product=policy.product,
                                 on=premium.paid_date)
            if paid_rule is not None:
                add(policy, CLAWBACK, paid_rule.first_year_rate, -premium.amount)

    lines = [
        Line(broker_id, policy_id, kind, basis, rate, line_amount(basis, rate))
        for (broker_id, policy_id, kind, rate), basis in bases.items() if basis != 0
    ]
    lines.sort(key=lambda ln: (ln.broker_id or 0, ln.policy_id, KIND_ORDER[ln.kind], ln.rate))
    return lines


def statement_total(lines: Iterable[Line]) -> Decimal:
    return sum((line.amount for line in lines), start=Decimal("0.00"))
