"""Commission lines from premiums paid (policies/commissions.py, no database): the arithmetic in
the comments; and, for generated data, a statement always equals the sum of its lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import commissions as c

AGENCY = 7
RULE = c.Rule(product="Épargne", agency_id=None, first_year_rate=Decimal("0.05"),
              renewal_rate=Decimal("0.02"), clawback_months=24, valid_from=date(2000, 1, 1))


def _policy(pk=1, *, start=date(2025, 1, 1), status="active", terminated_on=None, broker=3,
            mandate_start=date(2000, 1, 1), mandate_end=None, product="Épargne"):
    return c.PolicyFacts(policy_id=pk, product=product, start_date=start, status=status,
                         terminated_on=terminated_on, broker_id=broker,
                         mandate_start=mandate_start, mandate_end=mandate_end)


def _premium(due, amount="100.00", paid=None, cancelled=None, pk=1):
    return c.PremiumFacts(policy_id=pk, due_date=due, amount=Decimal(amount), paid_date=paid,
                          cancelled_date=cancelled)


def _lines(policies, premiums, rules=(RULE,), start=date(2026, 1, 1), end=date(2026, 3, 31)):
    return c.statement_lines(agency_id=AGENCY, start=start, end=end,
                             policies={p.policy_id: p for p in policies}, premiums=premiums,
                             rules=list(rules))


def test_first_year_and_renewal_premiums_earn_their_rates():
    policy = _policy(start=date(2025, 3, 1))
    lines = _lines([policy], [
        _premium(date(2026, 2, 1), "100.00", paid=date(2026, 2, 3)),  # 1st year: 100 x 5 % = 5
        _premium(date(2026, 3, 1), "100.00", paid=date(2026, 3, 2)),  # renewal: 100 x 2 % = 2
        _premium(date(2026, 1, 1), "100.00", paid=None),  # unpaid: nothing
    ])
    assert [(ln.kind, ln.basis, ln.amount) for ln in lines] == [
        ("first_year", Decimal("100.00"), Decimal("5.00")),
        ("renewal", Decimal("100.00"), Decimal("2.00"))]


def test_one_line_per_policy_and_kind_sums_the_premiums_then_rounds_once():
    # 3 x 33.33 = 99.99 x 2 % = 1.9998 -> 2.00 (three rounded lines would give 3 x 0.67 = 2.01)
    lines = _lines([_policy(start=date(2020, 1, 1))], [
        _premium(date(2026, m, 1), "33.33", paid=date(2026, m, 5)) for m in (1, 2, 3)])
    assert [(ln.basis, ln.amount) for ln in lines] == [(Decimal("99.99"), Decimal("2.00"))]


def test_a_cancelled_premium_takes_its_commission_back_as_a_negative_line():
    # Paid in 2025 (earned then), cancelled in February 2026: -250 x 2 % = -5.00
    lines = _lines([_policy(start=date(2020, 1, 1))], [
        _premium(date(2025, 12, 1), "250.00", paid=date(2025, 12, 2), cancelled=date(2026, 2, 1))])
    assert [(ln.kind, ln.basis, ln.amount) for ln in lines] == [
        ("cancellation", Decimal("-250.00"), Decimal("-5.00"))]


def test_a_surrender_within_the_clawback_months_takes_back_the_first_year_commission():
    # Started 1.6.2025, surrendered 15.3.2026 (< 24 months): the first year's 3 x 200 paid
    # earned 5 %; clawback -600 x 5 % = -30.00
    policy = _policy(start=date(2025, 6, 1), status="surrendered",
                     terminated_on=date(2026, 3, 15))
    premiums = [_premium(date(2025, m, 1), "200.00", paid=date(2025, m, 2)) for m in (6, 7, 8)]
    lines = _lines([policy], premiums)
    assert [(ln.kind, ln.basis, ln.amount) for ln in lines] == [
        ("clawback", Decimal("-600.00"), Decimal("-30.00"))]


def test_no_clawback_after_the_clawback_months():
    policy = _policy(start=date(2023, 1, 1), status="lapsed", terminated_on=date(2026, 2, 1))
    premiums = [_premium(date(2023, 1, 1), "200.00", paid=date(2023, 1, 2))]
    assert _lines([policy], premiums) == []


def test_the_agencys_own_rule_beats_the_general_one_and_no_rule_earns_nothing():
    own = c.Rule(product="Épargne", agency_id=AGENCY, first_year_rate=Decimal("0.08"),
                 renewal_rate=Decimal("0.03"), clawback_months=12, valid_from=date(2000, 1, 1))
    other = c.Rule(product="Épargne", agency_id=99, first_year_rate=Decimal("0.5"),
                   renewal_rate=Decimal("0.5"), clawback_months=12, valid_from=date(2000, 1, 1))
    premiums = [_premium(date(2026, 1, 1), "100.00", paid=date(2026, 1, 2))]
    lines = _lines([_policy(start=date(2020, 1, 1))], premiums, rules=[RULE, other, own])
    assert [(ln.rate, ln.amount) for ln in lines] == [(Decimal("0.03"), Decimal("3.00"))]
    assert _lines([_policy(start=date(2020, 1, 1), product="Risque")], premiums) == []


def test_a_premium_paid_while_another_agency_held_the_mandate_earns_this_agency_nothing():
    policy = _policy(start=date(2020, 1, 1), mandate_start=date(2026, 2, 1))
    premiums = [_premium(date(2026, 1, 1), paid=date(2026, 1, 10), pk=1)]
    assert _lines([policy], premiums) == []


@pytest.mark.parametrize("kind,day,bounds", [
    ("month", date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
    ("quarter", date(2026, 5, 31), (date(2026, 4, 1), date(2026, 6, 30))),
    ("quarter", date(2026, 12, 31), (date(2026, 10, 1), date(2026, 12, 31))),
    ("year", date(2024, 2, 29), (date(2024, 1, 1), date(2024, 12, 31))),
])
def test_period_bounds(kind, day, bounds):
    assert c.period_bounds(kind, day) == bounds


def test_add_months_keeps_the_end_of_the_month():
    assert c.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert c.add_months(date(2025, 11, 30), 14) == date(2027, 1, 30)


# --- generated data --------------------------------------------------------------------------

days = st.dates(date(2024, 1, 1), date(2026, 12, 31))
money = st.decimals("0.05", "20000", places=2)
rates = st.decimals("0", "0.2", places=4)


@st.composite
def book(draw):
    rules = [c.Rule(product=p, agency_id=draw(st.sampled_from([None, AGENCY])),
                    first_year_rate=draw(rates), renewal_rate=draw(rates),
                    clawback_months=draw(st.integers(0, 36)), valid_from=date(2000, 1, 1))
             for p in ("A", "B")]
    policies, premiums = {}, []
    for pk in range(1, draw(st.integers(1, 8)) + 1):
        terminated = draw(st.none() | days)
        policies[pk] = _policy(pk, start=draw(days), product=draw(st.sampled_from("ABC")),
                               status=draw(st.sampled_from(["active", "surrendered", "lapsed"])),
                               terminated_on=terminated, broker=draw(st.sampled_from([None, 1, 2])),
                               mandate_start=draw(days), mandate_end=draw(st.none() | days))
        for _ in range(draw(st.integers(0, 10))):
            paid = draw(st.none() | days)
            premiums.append(_premium(draw(days), draw(money), paid=paid, pk=pk,
                                     cancelled=draw(st.none() | days) if paid else None))
    return policies, premiums, rules


@settings(max_examples=150, deadline=None)
@given(book(), st.sampled_from(["month", "quarter", "year"]), days)
def test_a_statement_always_equals_the_sum_of_its_lines(data, kind, day):
    policies, premiums, rules = data
    start, end = c.period_bounds(kind, day)
    lines = c.statement_lines(agency_id=AGENCY, start=start, end=end, policies=policies,
                              premiums=premiums, rules=rules)
    for broker in {ln.broker_id for ln in lines}:
        own = [ln for ln in lines if ln.broker_id == broker]
        assert c.statement_total(own) == sum(ln.amount for ln in own)
    assert c.statement_total(lines) == sum((ln.amount for ln in lines), Decimal("0"))
    for ln in lines:
        assert ln.amount == c.line_amount(ln.basis, ln.rate)
        assert ln.basis != 0
        if ln.kind in ("cancellation", "clawback"):
            assert ln.basis < 0 and ln.amount <= 0
        else:
            assert ln.basis > 0 and ln.amount >= 0
    # Computing again from the same data gives the same lines.
    assert lines == c.statement_lines(agency_id=AGENCY, start=start, end=end,
                                      policies=policies, premiums=premiums, rules=rules)
